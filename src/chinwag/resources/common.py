"""What every handler needs: the caller's account, the service in scope, forms, JSON replies."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.delivery.prehook import MAX_ANSWER, ask_pre_hook
from chinwag.delivery.sender import OutboundRequest, Sender
from chinwag.domain.conversations import find_conversation
from chinwag.domain.events import Origin
from chinwag.domain.service_webhooks import current_config
from chinwag.domain.services import default_service, find_service
from chinwag.store.accounts import Account
from chinwag.store.database import Database
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.store.services import Service
from chinwag.twilio.errors import Forbidden, InvalidParameter, ResourceNotFound
from chinwag.twilio.forms import Form

DATABASE = web.AppKey("database", Database)
PUBLIC_URL = web.AppKey("public_url", str)
SENDER = web.AppKey("sender", Sender)  # set while the app runs, shared with the worker


@dataclass(frozen=True)
class InService:
    """A resolved request scope: the service, and the absolute URL its resources hang under.

    `root` is `<base>/v1/Services/IS…` on the service path family and `<base>/v1` on the
    default-service family, so `url` and `links` echo the family the caller used.
    """

    service: Service
    root: str
    explicit: bool  # True on /v1/Services/{ChatServiceSid}/...


@dataclass(frozen=True)
class RequestScope:
    account: Account
    base_url: str
    service_sid: str | None
    path: str

    def resolve(self, conn: Connection) -> InService:
        if self.service_sid is None:
            return InService(default_service(conn, self.account.sid), f"{self.base_url}/v1", False)
        service = find_service(conn, self.account.sid, self.service_sid, self.path)
        return InService(service, f"{self.base_url}/v1/Services/{service.sid}", True)


def database(request: web.Request) -> Database:
    return request.app[DATABASE]


def account(request: web.Request) -> Account:
    found: Account = request["account"]
    return found


def base_url(request: web.Request) -> str:
    """`--public-url` if given, else the scheme and host the client used."""
    configured = request.app[PUBLIC_URL]
    return configured or f"{request.scheme}://{request.host}"


def scope(request: web.Request) -> RequestScope:
    return RequestScope(
        account=account(request),
        base_url=base_url(request),
        service_sid=request.match_info.get("ChatServiceSid"),
        path=request.path,
    )


def origin(request: web.Request) -> Origin:
    """REST changes fire webhooks only with `X-Twilio-Webhook-Enabled: true` (domain/events.py)."""
    enabled = request.headers.get("X-Twilio-Webhook-Enabled", "").strip().lower() == "true"
    return Origin(source="API", webhooks_enabled=enabled)


async def pre_event(
    request: web.Request,
    where_to: RequestScope,
    event_type: str,
    params: list[tuple[str, str]],
    allowed: frozenset[str],
    conversation_ref: str | None = None,
) -> dict[str, str]:
    """Ask the service's pre-event webhook, if it wants `event_type`; returns its changes.

    With `conversation_ref` (a SID or UniqueName from the path) the payload names the
    conversation. Raises Forbidden when the webhook rejects the change, so nothing
    is written.
    """
    asked_by = origin(request)
    if not asked_by.webhooks_enabled or SENDER not in request.app:
        return {}

    def look_up(conn: Connection) -> tuple[Service, ServiceWebhookConfig, list[tuple[str, str]]]:
        service = where_to.resolve(conn).service
        named = []
        if conversation_ref is not None:
            missing = ResourceNotFound.for_path(where_to.path)
            conversation = find_conversation(conn, service.sid, conversation_ref, missing)
            named.append(("ConversationSid", conversation.sid))
        return service, current_config(conn, service), named

    service, config, named = database(request).read(look_up)
    if not config.pre_webhook_url or event_type not in config.filters:
        return {}
    payload = [
        ("EventType", event_type),
        ("AccountSid", service.account_sid),
        ("ChatServiceSid", service.sid),
        *named,
        *params,
        ("Source", asked_by.source),
        ("RetryCount", "0"),
    ]
    outbound = OutboundRequest(
        url=config.pre_webhook_url,
        method=config.method,
        params=payload,
        auth_token=account(request).auth_token,
        idempotency_token=str(uuid.uuid4()),
        read_limit=MAX_ANSWER,
    )
    verdict = await ask_pre_hook(request.app[SENDER], outbound, allowed)
    if verdict.rejected_with is not None:
        raise Forbidden(
            f"The pre-event webhook rejected {event_type} with HTTP {verdict.rejected_with}."
        )
    return verdict.changes


async def read_form(request: web.Request) -> Form:
    try:
        body = await request.post()
    except (UnicodeDecodeError, ValueError):
        raise InvalidParameter(
            "The request body is not UTF-8 form data (application/x-www-form-urlencoded)."
        ) from None
    return Form([(name, value) for name, value in body.items() if isinstance(value, str)])


def read_query(request: web.Request) -> Form:
    return Form(list(request.query.items()))


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )
