"""Service-level webhooks: the account's global configuration (/v1/Configuration/Webhooks),
each service's own (/v1/Services/{ChatServiceSid}/Configuration/Webhooks), and which of
the two a service's events go to.

Twilio: "If configured, service-scoped webhooks will override your global webhook
settings such that only the service-scoped hooks will fire. This applies only to the
services where service-level hooks are configured."
(twilio.com/docs/conversations/api/per-service-webhook-resource). Both have pre-event
hooks, conversation-scoped webhooks none (twilio.com/docs/conversations/conversations-webhooks).
Filter names and the upper-case Method enum come from the spec and
twilio.com/docs/conversations/api/webhook-configuration-resource.
"""

from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy import Connection

from chinwag.store import global_webhooks as global_store
from chinwag.store import service_webhooks as service_store
from chinwag.store.global_webhooks import GlobalWebhookConfig
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.store.services import Service
from chinwag.twilio.errors import InvalidParameter
from chinwag.twilio.forms import check_length, shown
from chinwag.twilio.urls import NOT_A_URL, is_http_url

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

Config = TypeVar("Config", ServiceWebhookConfig, GlobalWebhookConfig)


@dataclass(frozen=True)
class ConfigChanges:
    """Parameters of an update; None means "not given", an empty URL clears it.

    `target` is the global configuration's only: the service one has none (spec schemas).
    """

    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    filters: list[str] | None = None
    method: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class EventHooks:
    """The pre- and post-event webhooks one service's events go to (see `hooks_for`)."""

    pre_webhook_url: str | None
    post_webhook_url: str | None
    filters: frozenset[str]
    method: str  # POST where none was given, as for every Twilio webhook
    target: str
    ordered: bool = False  # chinwag's own option: domain/ordering.py

    def pre_url(self, event_type: str) -> str | None:
        """Where to ask before `event_type`, if anywhere."""
        return self.pre_webhook_url if event_type in self.filters else None

    def post_url(self, event_type: str) -> str | None:
        """Where to send `event_type` once it happened, if anywhere."""
        if self.target != "webhook":  # chinwag has no Flex to route to
            return None
        return self.post_webhook_url if event_type in self.filters else None


NO_HOOKS = EventHooks(None, None, frozenset(), "POST", "webhook")


def hooks_for(conn: Connection, account_sid: str, service_sid: str) -> EventHooks:
    """The service's own configuration once it has a URL, else the account's global one.

    A service configuration "overrides your global webhook settings such that only the
    service-scoped hooks will fire" (per-service-webhook-resource), pre- and post-event
    alike; one whose URLs were never set, or were cleared, configures nothing, so the
    global configuration serves that service as it serves every other. `NO_HOOKS` when
    neither is set.
    """
    own = service_store.get_config(conn, service_sid)
    if own is not None and (own.pre_webhook_url or own.post_webhook_url):
        return _hooks(own, "webhook")
    found = global_store.get_config(conn, account_sid)
    return _hooks(found, found.target) if found is not None else NO_HOOKS


def service_config(conn: Connection, service: Service) -> ServiceWebhookConfig:
    """The service's configuration; never set, every field reads null (spec `fetchEmpty`)."""
    return service_store.get_config(conn, service.sid) or ServiceWebhookConfig(
        service_sid=service.sid,
        account_sid=service.account_sid,
        pre_webhook_url=None,
        post_webhook_url=None,
        filters=None,
        method=None,
    )


def update_service_config(
    conn: Connection, service: Service, changes: ConfigChanges
) -> ServiceWebhookConfig:
    config = _changed(service_config(conn, service), changes)
    service_store.save_config(conn, config)
    return config


def global_config(conn: Connection, account_sid: str) -> GlobalWebhookConfig:
    """The account's global configuration; never set, it reads as an unset service one
    does, with the ordinary `webhook` target (Twilio's examples all show it)."""
    return global_store.get_config(conn, account_sid) or GlobalWebhookConfig(
        account_sid=account_sid,
        pre_webhook_url=None,
        post_webhook_url=None,
        filters=None,
        method=None,
        target="webhook",
    )


def update_global_config(
    conn: Connection, account_sid: str, changes: ConfigChanges
) -> GlobalWebhookConfig:
    config = _changed(global_config(conn, account_sid), changes)
    if changes.target is not None:
        if changes.target not in TARGETS:
            raise InvalidParameter(f"Target '{changes.target}' is not one of: webhook, flex.")
        config = replace(config, target=changes.target)
    global_store.save_config(conn, config)
    return config


def _hooks(config: Config, target: str) -> EventHooks:
    return EventHooks(
        pre_webhook_url=config.pre_webhook_url,
        post_webhook_url=config.post_webhook_url,
        filters=frozenset(config.filters or ()),
        method=config.method or "POST",
        target=target,
        ordered=config.ordered,
    )


def _changed(config: Config, changes: ConfigChanges) -> Config:
    """`config` with the given values in place, each validated; nothing is written here."""
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
    return config


def _url(name: str, value: str) -> str | None:
    if value == "":
        return None
    check_length(name, value, MAX_URL_LENGTH)
    if not is_http_url(value):
        raise InvalidParameter(f"{name} '{shown(value)}' {NOT_A_URL}")
    return value
