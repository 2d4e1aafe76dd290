"""Accounts and their API keys."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, update

from chinwag.store.records import RecordMapper
from chinwag.store.tables import accounts, api_keys


@dataclass(frozen=True)
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    date_created: datetime


@dataclass(frozen=True)
class ApiKey:
    sid: str
    account_sid: str
    secret_sha256: str  # what REST Basic auth compares against
    secret: str | None  # what Access Tokens are verified with; None for keys made before 0020
    friendly_name: str
    date_created: datetime


_ACCOUNTS = RecordMapper(accounts, Account)
_API_KEYS = RecordMapper(api_keys, ApiKey)
_GET_ACCOUNT = select(*_ACCOUNTS.columns).where(accounts.c.sid == bindparam("sid"))
_LIST_ACCOUNTS = select(*_ACCOUNTS.columns).order_by(accounts.c.id)
_COUNT_ACCOUNTS = select(func.count()).select_from(accounts)
_UPDATE_ACCOUNT = update(accounts).where(accounts.c.sid == bindparam("match_sid"))
_LOCK_ACCOUNT = select(accounts.c.id).where(accounts.c.sid == bindparam("sid")).with_for_update()
_GET_API_KEY = select(*_API_KEYS.columns).where(api_keys.c.sid == bindparam("sid"))
_DELETE_API_KEY = delete(api_keys).where(api_keys.c.sid == bindparam("sid"))
_NEWEST_SIGNING_KEY = (
    select(*_API_KEYS.columns)
    .where(api_keys.c.account_sid == bindparam("account_sid"), api_keys.c.secret.is_not(None))
    .order_by(api_keys.c.id.desc())
    .limit(1)
)


def get_account(conn: Connection, sid: str) -> Account | None:
    row = conn.execute(_GET_ACCOUNT, {"sid": sid}).first()
    return _ACCOUNTS.from_row(row) if row else None


def list_accounts(conn: Connection) -> list[Account]:
    return [_ACCOUNTS.from_row(row) for row in conn.execute(_LIST_ACCOUNTS)]


def count_accounts(conn: Connection) -> int:
    count: int = conn.execute(_COUNT_ACCOUNTS).scalar_one()
    return count


def insert_account(conn: Connection, account: Account) -> None:
    _ACCOUNTS.insert(conn, account)


def lock_account(conn: Connection, sid: str) -> None:
    """Hold the account's row until the transaction ends, so that writes which count or
    compare the account's rows (its Webhooks configuration's limits) run one at a time
    (PostgreSQL; SQLite's write transactions never overlap)."""
    conn.execute(_LOCK_ACCOUNT, {"sid": sid})


def set_auth_token(conn: Connection, sid: str, auth_token: str) -> None:
    conn.execute(_UPDATE_ACCOUNT, {"match_sid": sid, "auth_token": auth_token})


def get_api_key(conn: Connection, sid: str) -> ApiKey | None:
    row = conn.execute(_GET_API_KEY, {"sid": sid}).first()
    return _API_KEYS.from_row(row) if row else None


def insert_api_key(conn: Connection, key: ApiKey) -> None:
    _API_KEYS.insert(conn, key)


def delete_api_key(conn: Connection, sid: str) -> bool:
    """Delete the key `sid`; whether there was one."""
    return conn.execute(_DELETE_API_KEY, {"sid": sid}).rowcount > 0


def newest_signing_key(conn: Connection, account_sid: str) -> ApiKey | None:
    """The account's most recent key whose secret is kept, to sign Access Tokens with."""
    row = conn.execute(_NEWEST_SIGNING_KEY, {"account_sid": account_sid}).first()
    return _API_KEYS.from_row(row) if row else None
