"""Push credentials of an account (APN, FCM, GCM)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import credentials
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Credential:
    sid: str
    account_sid: str
    type: str  # apn, gcm or fcm
    friendly_name: str | None
    sandbox: bool
    # Write-only: stored as given, never in a response.
    certificate: str | None
    private_key: str | None
    api_key: str | None
    secret: str | None
    date_created: datetime
    date_updated: datetime


_CREDENTIALS = RecordMapper(credentials, Credential, fixed={"sid", "account_sid", "date_created"})
_GET = select(*_CREDENTIALS.columns).where(
    credentials.c.account_sid == bindparam("account_sid"), credentials.c.sid == bindparam("sid")
)
_LIST = select(*_CREDENTIALS.columns).where(credentials.c.account_sid == bindparam("account_sid"))
_DELETE = delete(credentials).where(credentials.c.sid == bindparam("sid"))


def insert_credential(conn: Connection, credential: Credential) -> None:
    _CREDENTIALS.insert(conn, credential)


def save_credential(conn: Connection, credential: Credential) -> None:
    _CREDENTIALS.save(conn, credential)


def get_credential(conn: Connection, account_sid: str, sid: str) -> Credential | None:
    row = conn.execute(_GET, {"account_sid": account_sid, "sid": sid}).first()
    return _CREDENTIALS.from_row(row) if row else None


def list_credentials(conn: Connection, account_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(account_sid=account_sid)
    return fetch_page(conn, query, credentials.c.id, request, _CREDENTIALS.from_row)


def newest_of_types(conn: Connection, account_sid: str, types: Sequence[str]) -> Credential | None:
    """The account's most recently created credential of one of these types, if any."""
    query = (
        _LIST.where(credentials.c.type.in_(list(types))).order_by(credentials.c.id.desc()).limit(1)
    )
    row = conn.execute(query, {"account_sid": account_sid}).first()
    return _CREDENTIALS.from_row(row) if row else None


def delete_credential(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})
