"""Conversation Services."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select

from chinwag.store.paging import fetch_page
from chinwag.store.tables import services
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Service:
    sid: str
    account_sid: str
    friendly_name: str
    is_default: bool
    date_created: datetime
    date_updated: datetime


_COLUMNS: tuple[Any, ...] = (
    services.c.id,
    services.c.sid,
    services.c.account_sid,
    services.c.friendly_name,
    services.c.is_default,
    services.c.date_created,
    services.c.date_updated,
)


def _record(row: Row[Any]) -> Service:
    m = row._mapping
    return Service(
        sid=m["sid"],
        account_sid=m["account_sid"],
        friendly_name=m["friendly_name"],
        is_default=bool(m["is_default"]),
        date_created=m["date_created"],
        date_updated=m["date_updated"],
    )


def insert_service(conn: Connection, service: Service) -> None:
    conn.execute(
        insert(services).values(
            sid=service.sid,
            account_sid=service.account_sid,
            friendly_name=service.friendly_name,
            is_default=int(service.is_default),
            date_created=service.date_created,
            date_updated=service.date_updated,
        )
    )


_GET = select(*_COLUMNS).where(
    services.c.sid == bindparam("sid"), services.c.account_sid == bindparam("account_sid")
)
_DEFAULT = select(*_COLUMNS).where(
    services.c.account_sid == bindparam("account_sid"), services.c.is_default == 1
)


def get_service(conn: Connection, account_sid: str, sid: str) -> Service | None:
    row = conn.execute(_GET, {"sid": sid, "account_sid": account_sid}).first()
    return _record(row) if row else None


def get_default_service(conn: Connection, account_sid: str) -> Service | None:
    row = conn.execute(_DEFAULT, {"account_sid": account_sid}).first()
    return _record(row) if row else None


def list_services(conn: Connection, account_sid: str, request: PageRequest) -> Page:
    query = select(*_COLUMNS).where(services.c.account_sid == account_sid)
    return fetch_page(conn, query, services.c.id, request, _record)


def delete_service(conn: Connection, sid: str) -> None:
    conn.execute(delete(services).where(services.c.sid == sid))
