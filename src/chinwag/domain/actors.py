"""Who acts: the `Actor` each transport builds once per request (REST, the dashboard) or
per socket (the client SDK), and the operations below the transports take.

An actor is the account whose credentials were proven, the service when the
credentials are bound to one (an SDK user's Access Token; REST and dashboard
credentials span the account), the SDK user's identity, the transport the call came
in by, and the `Origin` its changes are published with: `Source`, `ClientIdentity`
and whether they fire webhooks (domain/events.py). A rule that depends on who acts
(asking the pre-event webhook, a role's permission) reads it from here, whatever the
door (Matrix Synapse's `Requester`).
"""

from dataclasses import dataclass
from enum import StrEnum

from chinwag.domain.events import Origin
from chinwag.store.accounts import Account


class Transport(StrEnum):
    """The door a call came in by."""

    REST = "rest"  # the REST API, Twilio's and chinwag's own (/v1, /chinwag/v1)
    SDK = "sdk"  # the client SDK's socket (/v3/wsconnect)
    DASHBOARD = "dashboard"  # the dashboard (/chinwag/ui)


def sdk_origin(identity: str) -> Origin:
    """SDK changes always fire webhooks, naming the client (support.twilio.com 4403669397019)."""
    return Origin(source="SDK", webhooks_enabled=True, client_identity=identity)


@dataclass(frozen=True)
class Actor:
    """Who makes a call, and how the changes it makes are published."""

    account: Account
    transport: Transport
    origin: Origin
    service_sid: str | None = None  # the service the credentials are bound to, if one

    @property
    def identity(self) -> str | None:
        """The SDK user's identity; None for the REST API and the dashboard."""
        return self.origin.client_identity

    @property
    def webhooks_enabled(self) -> bool:
        return self.origin.webhooks_enabled

    @classmethod
    def rest(cls, account: Account, *, webhooks_enabled: bool) -> "Actor":
        """REST changes fire webhooks only when the request carries
        `X-Twilio-Webhook-Enabled: true` (domain/events.Origin); `Source` is `API`."""
        return cls(account, Transport.REST, Origin(source="API", webhooks_enabled=webhooks_enabled))

    @classmethod
    def dashboard(cls, account: Account, *, webhooks_enabled: bool = False) -> "Actor":
        """The dashboard changes things as the REST API does (`Source=API`); its forms' box
        stands for `X-Twilio-Webhook-Enabled: true`."""
        origin = Origin(source="API", webhooks_enabled=webhooks_enabled)
        return cls(account, Transport.DASHBOARD, origin)

    @classmethod
    def sdk(cls, account: Account, service_sid: str, identity: str) -> "Actor":
        """An SDK user: the Access Token's account, service and identity."""
        return cls(account, Transport.SDK, sdk_origin(identity), service_sid)
