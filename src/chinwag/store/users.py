"""Conversation users: one per identity in a Conversation Service."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from chinwag.store.paging import fetch_page
from chinwag.store.tables import users
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class User:
    sid: str
    account_sid: str
    service_sid: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str | None
    date_created: datetime
    date_updated: datetime


_FIELDS = tuple(User.__dataclass_fields__)
_COLUMNS = (users.c.id, *(users.c[name] for name in _FIELDS))
_FIXED = {"sid", "account_sid", "service_sid", "identity"}

# Statements are built once, as in store/participants.py (docs/benchmarks.md).
_INSERT = insert(users)
_SAVE = update(users).where(users.c.sid == bindparam("match_sid"))
_BY_SID = select(*_COLUMNS).where(
    users.c.service_sid == bindparam("service_sid"), users.c.sid == bindparam("key")
)
_BY_IDENTITY = select(*_COLUMNS).where(
    users.c.service_sid == bindparam("service_sid"), users.c.identity == bindparam("key")
)
_LIST = select(*_COLUMNS).where(users.c.service_sid == bindparam("service_sid"))
_DELETE = delete(users).where(users.c.sid == bindparam("sid"))


def _record(row: Row[Any]) -> User:
    m = row._mapping
    return User(**{name: m[name] for name in _FIELDS})


def _values(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _FIELDS}


def insert_user(conn: Connection, user: User) -> None:
    conn.execute(_INSERT, _values(user))


def save_user(conn: Connection, user: User) -> None:
    values = {k: v for k, v in _values(user).items() if k not in _FIXED}
    conn.execute(_SAVE, {**values, "match_sid": user.sid})


def get_user(conn: Connection, service_sid: str, sid: str) -> User | None:
    row = conn.execute(_BY_SID, {"service_sid": service_sid, "key": sid}).first()
    return _record(row) if row else None


def get_by_identity(conn: Connection, service_sid: str, identity: str) -> User | None:
    row = conn.execute(_BY_IDENTITY, {"service_sid": service_sid, "key": identity}).first()
    return _record(row) if row else None


def list_users(conn: Connection, service_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(service_sid=service_sid)
    return fetch_page(conn, query, users.c.id, request, _record)


def delete_user(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})
