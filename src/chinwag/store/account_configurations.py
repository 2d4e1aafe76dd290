"""Account-wide Conversations settings: one row per account (the Configuration resource)."""

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update

from chinwag.store.records import RecordMapper
from chinwag.store.tables import account_configurations


@dataclass(frozen=True)
class AccountConfiguration:
    account_sid: str
    default_messaging_service_sid: str
    default_inactive_timer: str | None  # ISO 8601 durations, as given
    default_closed_timer: str | None


_CONFIGURATIONS = RecordMapper(account_configurations, AccountConfiguration)
_GET = select(*_CONFIGURATIONS.columns).where(
    account_configurations.c.account_sid == bindparam("account_sid")
)
_SAVE = update(account_configurations).where(
    account_configurations.c.account_sid == bindparam("match_account_sid")
)


def insert_configuration(conn: Connection, configuration: AccountConfiguration) -> None:
    _CONFIGURATIONS.insert(conn, configuration)


def get_configuration(conn: Connection, account_sid: str) -> AccountConfiguration | None:
    row = conn.execute(_GET, {"account_sid": account_sid}).first()
    return _CONFIGURATIONS.from_row(row) if row else None


def save_configuration(conn: Connection, configuration: AccountConfiguration) -> None:
    conn.execute(
        _SAVE,
        {
            "match_account_sid": configuration.account_sid,
            "default_messaging_service_sid": configuration.default_messaging_service_sid,
            "default_inactive_timer": configuration.default_inactive_timer,
            "default_closed_timer": configuration.default_closed_timer,
        },
    )
