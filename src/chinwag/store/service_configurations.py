"""Service configuration: the roles a service gives by default, and its reachability flag."""

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.records import RecordMapper
from chinwag.store.tables import service_configurations


@dataclass(frozen=True)
class ServiceConfiguration:
    service_sid: str
    account_sid: str
    default_conversation_creator_role_sid: str | None
    default_conversation_role_sid: str | None
    default_chat_service_role_sid: str | None
    reachability_enabled: bool


_CONFIGS = RecordMapper(service_configurations, ServiceConfiguration)
_GET = select(*_CONFIGS.columns).where(
    service_configurations.c.service_sid == bindparam("service_sid")
)
_DELETE = delete(service_configurations).where(
    service_configurations.c.service_sid == bindparam("service_sid")
)


def get_configuration(conn: Connection, service_sid: str) -> ServiceConfiguration | None:
    row = conn.execute(_GET, {"service_sid": service_sid}).first()
    return _CONFIGS.from_row(row) if row else None


def save_configuration(conn: Connection, config: ServiceConfiguration) -> None:
    """Replace the service's configuration (delete + insert: portable across engines)."""
    conn.execute(_DELETE, {"service_sid": config.service_sid})
    _CONFIGS.insert(conn, config)
