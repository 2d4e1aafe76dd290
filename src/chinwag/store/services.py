"""Conversation Services."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, delete, select, update

from chinwag.store import compiled
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
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


_SERVICES = RecordMapper(services, Service)
SERVICES = _SERVICES  # for statements that read a service with another row (store/conversations.py)
_GET = select(*_SERVICES.columns).where(
    services.c.sid == bindparam("sid"), services.c.account_sid == bindparam("account_sid")
)
_DEFAULT = select(*_SERVICES.columns).where(
    services.c.account_sid == bindparam("account_sid"), services.c.is_default == 1
)
_LIST = select(*_SERVICES.columns).where(services.c.account_sid == bindparam("account_sid"))
_DELETE = delete(services).where(services.c.sid == bindparam("sid"))
# One statement flags the chosen service and unflags the others: never two defaults.
_SET_DEFAULT = (
    update(services)
    .where(services.c.account_sid == bindparam("match_account_sid"))
    .values(is_default=case((services.c.sid == bindparam("default_sid"), 1), else_=0))
)


def insert_service(conn: Connection, service: Service) -> None:
    _SERVICES.insert(conn, service)


def get_service(conn: Connection, account_sid: str, sid: str) -> Service | None:
    row = conn.execute(_GET, {"sid": sid, "account_sid": account_sid}).first()
    return _SERVICES.from_row(row) if row else None


def get_default_service(conn: Connection, account_sid: str) -> Service | None:
    # Compiled (store/compiled.py): every call on the default-service path family looks it up.
    row = compiled.first(conn, _DEFAULT, {"account_sid": account_sid})
    return _SERVICES.from_row(row) if row else None


def list_services(conn: Connection, account_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(account_sid=account_sid)
    return fetch_page(conn, query, services.c.id, request, _SERVICES.from_row)


def delete_service(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def set_default_service(conn: Connection, account_sid: str, sid: str) -> None:
    """Make `sid` the account's default service, and no other."""
    conn.execute(_SET_DEFAULT, {"match_account_sid": account_sid, "default_sid": sid})
