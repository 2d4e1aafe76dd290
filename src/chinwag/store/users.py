"""Conversation users: one per identity in a Conversation Service."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
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


_USERS = RecordMapper(users, User, fixed={"sid", "account_sid", "service_sid", "identity"})
_BY_SID = select(*_USERS.columns).where(
    users.c.service_sid == bindparam("service_sid"), users.c.sid == bindparam("key")
)
_BY_IDENTITY = select(*_USERS.columns).where(
    users.c.service_sid == bindparam("service_sid"), users.c.identity == bindparam("key")
)
_LIST = select(*_USERS.columns).where(users.c.service_sid == bindparam("service_sid"))
_DELETE = delete(users).where(users.c.sid == bindparam("sid"))
# A participant's user may be created by two requests at once (two conversations,
# each locking only its own row): the second insert does nothing instead of failing.
_INSERT_IF_ABSENT = {
    "postgresql": postgresql.insert(users)
    .on_conflict_do_nothing(index_elements=["service_sid", "identity"])
    .returning(users.c.id),
    "sqlite": sqlite.insert(users)
    .on_conflict_do_nothing(index_elements=["service_sid", "identity"])
    .returning(users.c.id),
}


def insert_user(conn: Connection, user: User) -> None:
    _USERS.insert(conn, user)


def insert_user_if_absent(conn: Connection, user: User) -> bool:
    """Insert `user` unless the service has a user with its identity; whether it was."""
    statement = _INSERT_IF_ABSENT[conn.dialect.name]
    return conn.execute(statement, _USERS.insert_values(user)).first() is not None


def save_user(conn: Connection, user: User) -> None:
    _USERS.save(conn, user)


def get_user(conn: Connection, service_sid: str, sid: str) -> User | None:
    row = conn.execute(_BY_SID, {"service_sid": service_sid, "key": sid}).first()
    return _USERS.from_row(row) if row else None


def get_by_identity(conn: Connection, service_sid: str, identity: str) -> User | None:
    row = conn.execute(_BY_IDENTITY, {"service_sid": service_sid, "key": identity}).first()
    return _USERS.from_row(row) if row else None


def list_users(conn: Connection, service_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(service_sid=service_sid)
    return fetch_page(conn, query, users.c.id, request, _USERS.from_row)


def delete_user(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})
