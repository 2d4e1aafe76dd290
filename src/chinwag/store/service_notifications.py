"""Push notification settings of a service (Configuration/Notifications), absent until set."""

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from chinwag.store import compiled
from chinwag.store.records import RecordMapper
from chinwag.store.tables import service_notifications


@dataclass(frozen=True)
class ServiceNotifications:
    service_sid: str
    account_sid: str
    log_enabled: bool
    new_message_enabled: bool
    new_message_template: str | None
    new_message_sound: str | None
    new_message_badge_count_enabled: bool
    new_message_with_media_enabled: bool
    new_message_with_media_template: str | None
    added_to_conversation_enabled: bool
    added_to_conversation_template: str | None
    added_to_conversation_sound: str | None
    removed_from_conversation_enabled: bool
    removed_from_conversation_template: str | None
    removed_from_conversation_sound: str | None


_NOTIFICATIONS = RecordMapper(service_notifications, ServiceNotifications, key="service_sid")
_GET = select(*_NOTIFICATIONS.columns).where(
    service_notifications.c.service_sid == bindparam("service_sid")
)


def get_notifications(conn: Connection, service_sid: str) -> ServiceNotifications | None:
    # Compiled (store/compiled.py): every new message asks what the service pushes.
    row = compiled.first(conn, _GET, {"service_sid": service_sid})
    return _NOTIFICATIONS.from_row(row) if row else None


def save_notifications(conn: Connection, notifications: ServiceNotifications) -> None:
    """Replace the service's settings."""
    _NOTIFICATIONS.replace(conn, notifications)
