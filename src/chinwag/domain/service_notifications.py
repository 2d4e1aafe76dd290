"""Push notification settings of a service (`Configuration/Notifications`).

Stored and returned only: chinwag has no push credentials and sends no notification.
Fields and defaults: the spec's `UpdateServiceNotificationRequest` ("The default is
`false`" for each `Enabled`); docs/compatibility.md.
"""

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import Connection

from chinwag.store import service_notifications as store
from chinwag.store.service_notifications import ServiceNotifications
from chinwag.store.services import Service


@dataclass(frozen=True)
class NotificationChanges:
    """Parameters of an update; None means "not given", an empty text clears it."""

    log_enabled: bool | None = None
    new_message_enabled: bool | None = None
    new_message_template: str | None = None
    new_message_sound: str | None = None
    new_message_badge_count_enabled: bool | None = None
    new_message_with_media_enabled: bool | None = None
    new_message_with_media_template: str | None = None
    added_to_conversation_enabled: bool | None = None
    added_to_conversation_template: str | None = None
    added_to_conversation_sound: str | None = None
    removed_from_conversation_enabled: bool | None = None
    removed_from_conversation_template: str | None = None
    removed_from_conversation_sound: str | None = None


def current_notifications(conn: Connection, service: Service) -> ServiceNotifications:
    """The stored settings, or the defaults: nothing enabled, no template or sound."""
    found = store.get_notifications(conn, service.sid)
    return found or default_notifications(service.sid, service.account_sid)


def default_notifications(service_sid: str, account_sid: str) -> ServiceNotifications:
    """A service's settings before any update: nothing enabled, no template or sound."""
    return ServiceNotifications(
        service_sid=service_sid,
        account_sid=account_sid,
        log_enabled=False,
        new_message_enabled=False,
        new_message_template=None,
        new_message_sound=None,
        new_message_badge_count_enabled=False,
        new_message_with_media_enabled=False,
        new_message_with_media_template=None,
        added_to_conversation_enabled=False,
        added_to_conversation_template=None,
        added_to_conversation_sound=None,
        removed_from_conversation_enabled=False,
        removed_from_conversation_template=None,
        removed_from_conversation_sound=None,
    )


def update_notifications(
    conn: Connection, service: Service, changes: NotificationChanges
) -> ServiceNotifications:
    given: dict[str, Any] = {
        field.name: getattr(changes, field.name)
        for field in fields(changes)
        if getattr(changes, field.name) is not None
    }
    cleared: dict[str, Any] = {n: None if v == "" else v for n, v in given.items()}
    updated = replace(current_notifications(conn, service), **cleared)
    store.save_notifications(conn, updated)
    return updated
