"""Accounts and their API keys."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update

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
    secret_sha256: str
    friendly_name: str
    date_created: datetime


_ACCOUNT_COLUMNS = (
    accounts.c.sid,
    accounts.c.auth_token,
    accounts.c.friendly_name,
    accounts.c.date_created,
)
_GET_ACCOUNT = select(*_ACCOUNT_COLUMNS).where(accounts.c.sid == bindparam("sid"))


def get_account(conn: Connection, sid: str) -> Account | None:
    row = conn.execute(_GET_ACCOUNT, {"sid": sid}).first()
    return Account(*row) if row else None


def list_accounts(conn: Connection) -> list[Account]:
    rows = conn.execute(select(*_ACCOUNT_COLUMNS).order_by(accounts.c.id))
    return [Account(*row) for row in rows]


def count_accounts(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(accounts)).scalar_one()


def insert_account(conn: Connection, account: Account) -> None:
    conn.execute(
        insert(accounts).values(
            sid=account.sid,
            auth_token=account.auth_token,
            friendly_name=account.friendly_name,
            date_created=account.date_created,
        )
    )


def set_auth_token(conn: Connection, sid: str, auth_token: str) -> None:
    conn.execute(update(accounts).where(accounts.c.sid == sid).values(auth_token=auth_token))


def get_api_key(conn: Connection, sid: str) -> ApiKey | None:
    row = conn.execute(
        select(
            api_keys.c.sid,
            api_keys.c.account_sid,
            api_keys.c.secret_sha256,
            api_keys.c.friendly_name,
            api_keys.c.date_created,
        ).where(api_keys.c.sid == sid)
    ).first()
    return ApiKey(*row) if row else None


def insert_api_key(conn: Connection, key: ApiKey) -> None:
    conn.execute(
        insert(api_keys).values(
            sid=key.sid,
            account_sid=key.account_sid,
            secret_sha256=key.secret_sha256,
            friendly_name=key.friendly_name,
            date_created=key.date_created,
        )
    )
