"""Event Streams sinks of an account: where subscribed events are delivered."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import sinks, subscriptions
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Sink:
    sid: str
    account_sid: str
    description: str
    sink_type: str  # "webhook": the only type chinwag delivers to
    # As shown in the API: {"destination": ..., "method": ..., "batch_events": ...}.
    sink_configuration: dict[str, Any]
    status: str
    date_created: datetime
    date_updated: datetime
    ordered: bool = False  # chinwag's own option: domain/ordering.py

    @property
    def destination(self) -> str:
        return str(self.sink_configuration["destination"])

    @property
    def method(self) -> str:
        return str(self.sink_configuration.get("method", "POST"))

    @property
    def batch_events(self) -> bool:
        return bool(self.sink_configuration.get("batch_events", True))


_SINKS = RecordMapper(sinks, Sink, fixed={"sid", "account_sid", "sink_type", "date_created"})
_LIST = select(*_SINKS.columns).where(sinks.c.account_sid == bindparam("account_sid"))
_GET = _LIST.where(sinks.c.sid == bindparam("sid"))
_DELETE = delete(sinks).where(sinks.c.sid == bindparam("sid"))
_IN_USE = exists().where(subscriptions.c.sink_sid == sinks.c.sid)


def insert_sink(conn: Connection, sink: Sink) -> None:
    _SINKS.insert(conn, sink)


def save_sink(conn: Connection, sink: Sink) -> None:
    _SINKS.save(conn, sink)


def get_sink(conn: Connection, account_sid: str, sid: str) -> Sink | None:
    row = conn.execute(_GET, {"account_sid": account_sid, "sid": sid}).first()
    return _SINKS.from_row(row) if row else None


def list_sinks(
    conn: Connection,
    account_sid: str,
    request: PageRequest,
    *,
    in_use: bool | None = None,
    status: str | None = None,
) -> Page:
    """The account's sinks, oldest first; `in_use`: only those a subscription sends to
    (or, False, only those none does)."""
    query = _LIST.params(account_sid=account_sid)
    if in_use is not None:
        query = query.where(_IN_USE if in_use else ~_IN_USE)
    if status is not None:
        query = query.where(sinks.c.status == status)
    return fetch_page(conn, query, sinks.c.id, request, _SINKS.from_row)


def delete_sink(conn: Connection, sid: str) -> None:
    """The sink and (by their foreign keys) its subscriptions and their types."""
    conn.execute(_DELETE, {"sid": sid})


SINK_COLUMNS = _SINKS.columns  # a sink read with its subscribed types (store/subscriptions.py)


def sink_from_row(row: Any) -> Sink:
    return _SINKS.from_row(row)
