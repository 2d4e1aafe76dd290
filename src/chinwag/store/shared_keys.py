"""Shared keys of an account: the secrets webhooks are signed with instead of its auth token."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import shared_keys
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class SharedKey:
    sid: str  # webhooks_sharedkey_...: the API's `id`
    account_sid: str
    friendly_name: str
    secret: str  # in the create response only
    date_created: datetime
    date_updated: datetime


_KEYS = RecordMapper(shared_keys, SharedKey, fixed={"sid", "account_sid", "date_created"})
_LIST = select(*_KEYS.columns).where(shared_keys.c.account_sid == bindparam("account_sid"))
_GET = _LIST.where(shared_keys.c.sid == bindparam("sid"))
_COUNT = select(func.count()).where(shared_keys.c.account_sid == bindparam("account_sid"))
_DELETE = delete(shared_keys).where(shared_keys.c.sid == bindparam("sid"))


def insert_shared_key(conn: Connection, key: SharedKey) -> None:
    _KEYS.insert(conn, key)


def save_shared_key(conn: Connection, key: SharedKey) -> None:
    _KEYS.save(conn, key)


def get_shared_key(conn: Connection, account_sid: str, sid: str) -> SharedKey | None:
    row = conn.execute(_GET, {"account_sid": account_sid, "sid": sid}).first()
    return _KEYS.from_row(row) if row else None


def count_shared_keys(conn: Connection, account_sid: str) -> int:
    count: int = conn.execute(_COUNT, {"account_sid": account_sid}).scalar_one()
    return count


def list_shared_keys(conn: Connection, account_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(account_sid=account_sid)
    return fetch_page(conn, query, shared_keys.c.id, request, _KEYS.from_row)


def delete_shared_key(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})
