"""Service configuration: the roles a service gives by default, and its reachability flag."""

from dataclasses import dataclass

from sqlalchemy import Connection

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


_CONFIGS = RecordMapper(service_configurations, ServiceConfiguration, key="service_sid")


def get_configuration(conn: Connection, service_sid: str) -> ServiceConfiguration | None:
    return _CONFIGS.get(conn, service_sid)


def save_configuration(conn: Connection, config: ServiceConfiguration) -> None:
    """Replace the service's configuration."""
    _CONFIGS.replace(conn, config)
