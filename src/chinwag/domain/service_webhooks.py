"""Service-level webhooks (Configuration/Webhooks): pre- and post-event URLs with filters.

Filter names and the upper-case Method enum come from the spec and
twilio.com/docs/conversations/api/webhook-configuration-resource.
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.store import service_webhooks as store
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.store.services import Service
from chinwag.twilio.errors import InvalidParameter
from chinwag.twilio.forms import check_length, is_http_url, shown

SERVICE_FILTERS = frozenset(
    {
        "onMessageAdded",
        "onMessageUpdated",
        "onMessageRemoved",
        "onMessageAdd",
        "onMessageUpdate",
        "onMessageRemove",
        "onConversationUpdated",
        "onConversationRemoved",
        "onConversationAdd",
        "onConversationAdded",
        "onConversationRemove",
        "onConversationUpdate",
        "onConversationStateUpdated",
        "onParticipantAdded",
        "onParticipantUpdated",
        "onParticipantRemoved",
        "onParticipantAdd",
        "onParticipantRemove",
        "onParticipantUpdate",
        "onDeliveryUpdated",
        "onUserAdded",
        "onUserUpdate",
        "onUserUpdated",
    }
)
METHODS = ("GET", "POST")
# Twilio documents no limit for these URLs; a scoped webhook's is 512 (errors/50372).
MAX_URL_LENGTH = 512
TARGETS = ("webhook", "flex")


@dataclass(frozen=True)
class ConfigChanges:
    """Parameters of an update; None means "not given", an empty URL clears it."""

    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    filters: list[str] | None = None
    method: str | None = None
    target: str | None = None


def current_config(conn: Connection, service: Service) -> ServiceWebhookConfig:
    found = store.get_config(conn, service.sid)
    return found or ServiceWebhookConfig(
        service_sid=service.sid,
        account_sid=service.account_sid,
        pre_webhook_url=None,
        post_webhook_url=None,
        filters=[],
        method="POST",
        target="webhook",
    )


def update_config(
    conn: Connection, service: Service, changes: ConfigChanges
) -> ServiceWebhookConfig:
    config = current_config(conn, service)
    if changes.pre_webhook_url is not None:
        config = replace(config, pre_webhook_url=_url("PreWebhookUrl", changes.pre_webhook_url))
    if changes.post_webhook_url is not None:
        config = replace(config, post_webhook_url=_url("PostWebhookUrl", changes.post_webhook_url))
    if changes.filters is not None:
        unknown = [name for name in changes.filters if name not in SERVICE_FILTERS]
        if unknown:
            raise InvalidParameter(f"Filters '{unknown[0]}' is not a Conversations webhook event.")
        config = replace(config, filters=changes.filters)
    if changes.method is not None:
        if changes.method.upper() not in METHODS:
            raise InvalidParameter(f"Method '{changes.method}' is not one of: GET, POST.")
        config = replace(config, method=changes.method.upper())
    if changes.target is not None:
        if changes.target not in TARGETS:
            raise InvalidParameter(f"Target '{changes.target}' is not one of: webhook, flex.")
        config = replace(config, target=changes.target)
    store.save_config(conn, config)
    return config


def _url(name: str, value: str) -> str | None:
    if value == "":
        return None
    check_length(name, value, MAX_URL_LENGTH)
    if not is_http_url(value):
        raise InvalidParameter(f"{name} '{shown(value)}' is not an absolute http(s) URL.")
    return value
