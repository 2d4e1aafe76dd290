"""The account's Conversations Configuration: its default Conversation Service, default
Messaging Service and default conversation timers.

Rules: twilio.com/docs/conversations/api/configuration-resource and the spec
(`conversations.v1.configuration`, UpdateConfigurationRequest); docs/compatibility.md
lists each with its source. The defaults are applied where conversations are created
(domain/conversations.create_conversation).
"""

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.domain.conversations import closed_timer, inactive_timer, timer_or_none
from chinwag.store import account_configurations as store
from chinwag.store import services as service_store
from chinwag.store.account_configurations import AccountConfiguration
from chinwag.twilio import sids
from chinwag.twilio.errors import (
    InvalidMessagingServiceSid,
    InvalidParameter,
    ServiceInstanceNotFound,
)


@dataclass(frozen=True)
class ConfigurationChanges:
    """Parameters of an update; None means "not given", an empty or zero timer (PT0S)
    clears it."""

    default_chat_service_sid: str | None = None
    default_messaging_service_sid: str | None = None
    default_inactive_timer: str | None = None
    default_closed_timer: str | None = None


@dataclass(frozen=True)
class Configuration:
    """What the resource shows: the stored settings and the default service (None once
    the default service was deleted)."""

    settings: AccountConfiguration
    default_chat_service_sid: str | None


def create_configuration(conn: Connection, account_sid: str) -> AccountConfiguration:
    """A new account's settings. Twilio gives every account a default Messaging Service
    that conversations created without one belong to; chinwag has no Messaging Services,
    so the account gets an SID of its own that stands for it."""
    settings = AccountConfiguration(
        account_sid=account_sid,
        default_messaging_service_sid=sids.new_sid(sids.MESSAGING_SERVICE),
        default_inactive_timer=None,
        default_closed_timer=None,
    )
    store.insert_configuration(conn, settings)
    return settings


def current_configuration(conn: Connection, account_sid: str) -> Configuration:
    settings = store.get_configuration(conn, account_sid)
    if settings is None:  # every account is created with one (and migration 0009 backfilled)
        raise InvalidParameter(f"Account {account_sid} has no Conversations configuration.")
    default = service_store.get_default_service(conn, account_sid)
    return Configuration(settings, default.sid if default else None)


def update_configuration(
    conn: Connection, account_sid: str, changes: ConfigurationChanges
) -> Configuration:
    """Given parameters replace the stored ones; a new default service re-points every
    `/v1/Conversations/...` (default-service) path of the account at once."""
    current = current_configuration(conn, account_sid)
    settings = current.settings
    if changes.default_messaging_service_sid is not None:
        sid = changes.default_messaging_service_sid
        if not sids.is_sid(sid, sids.MESSAGING_SERVICE):
            raise InvalidMessagingServiceSid(
                f"DefaultMessagingServiceSid '{sid}' is not a Messaging Service SID "
                "(MG + 32 hex digits)."
            )
        settings = replace(settings, default_messaging_service_sid=sid)
    if changes.default_inactive_timer is not None:
        value = changes.default_inactive_timer
        if value:
            inactive_timer(value, "DefaultInactiveTimer")
        settings = replace(settings, default_inactive_timer=timer_or_none(value))
    if changes.default_closed_timer is not None:
        value = changes.default_closed_timer
        if value:
            closed_timer(value, "DefaultClosedTimer")
        settings = replace(settings, default_closed_timer=timer_or_none(value))
    default_sid = current.default_chat_service_sid
    if changes.default_chat_service_sid is not None:
        default_sid = _check_service(conn, account_sid, changes.default_chat_service_sid)
        service_store.set_default_service(conn, account_sid, default_sid)
    store.save_configuration(conn, settings)
    return Configuration(settings, default_sid)


def _check_service(conn: Connection, account_sid: str, sid: str) -> str:
    if not sids.is_sid(sid, sids.SERVICE):
        raise InvalidParameter(
            f"DefaultChatServiceSid '{sid}' is not a Conversation Service SID (IS + 32 hex digits)."
        )
    if service_store.get_service(conn, account_sid, sid) is None:
        raise ServiceInstanceNotFound(
            f"DefaultChatServiceSid '{sid}' is not a Conversation Service of this account."
        )
    return sid
