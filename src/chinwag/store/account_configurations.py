"""Account-wide Conversations settings: one row per account (the Configuration resource)."""

from dataclasses import dataclass

from sqlalchemy import Connection

from chinwag.store.records import RecordMapper
from chinwag.store.tables import account_configurations


@dataclass(frozen=True)
class AccountConfiguration:
    account_sid: str
    default_messaging_service_sid: str
    default_inactive_timer: str | None  # ISO 8601 durations, as given
    default_closed_timer: str | None


_CONFIGURATIONS = RecordMapper(account_configurations, AccountConfiguration, key="account_sid")


def insert_configuration(conn: Connection, configuration: AccountConfiguration) -> None:
    _CONFIGURATIONS.insert(conn, configuration)


def get_configuration(conn: Connection, account_sid: str) -> AccountConfiguration | None:
    return _CONFIGURATIONS.get(conn, account_sid)


def save_configuration(conn: Connection, configuration: AccountConfiguration) -> None:
    """Replace the account's configuration."""
    _CONFIGURATIONS.replace(conn, configuration)
