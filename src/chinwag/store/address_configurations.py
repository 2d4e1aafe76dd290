"""Address configurations: per address of an account, whether and how an inbound message
auto-creates a conversation."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import address_configurations
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class AddressConfiguration:
    sid: str
    account_sid: str
    type: str  # lower case: sms, whatsapp, ...
    address: str
    friendly_name: str | None
    address_country: str | None
    auto_creation_enabled: bool
    auto_creation_type: str  # webhook, studio or default
    conversation_service_sid: str | None  # None: the account's default service
    webhook_url: str | None
    webhook_method: str | None  # GET or POST
    webhook_filters: list[str]
    studio_flow_sid: str | None
    studio_retry_count: int | None
    date_created: datetime
    date_updated: datetime


_TABLE = address_configurations
_CONFIGURATIONS = RecordMapper(
    _TABLE, AddressConfiguration, fixed={"sid", "account_sid", "type", "address", "date_created"}
)
_BY_SID = select(*_CONFIGURATIONS.columns).where(
    _TABLE.c.account_sid == bindparam("account_sid"), _TABLE.c.sid == bindparam("key")
)
_BY_ADDRESS = select(*_CONFIGURATIONS.columns).where(
    _TABLE.c.account_sid == bindparam("account_sid"), _TABLE.c.address == bindparam("key")
)
_LIST = select(*_CONFIGURATIONS.columns).where(_TABLE.c.account_sid == bindparam("account_sid"))
_DELETE = delete(_TABLE).where(_TABLE.c.sid == bindparam("sid"))


def insert_configuration(conn: Connection, configuration: AddressConfiguration) -> None:
    _CONFIGURATIONS.insert(conn, configuration)


def save_configuration(conn: Connection, configuration: AddressConfiguration) -> None:
    _CONFIGURATIONS.save(conn, configuration)


def get_configuration(conn: Connection, account_sid: str, sid: str) -> AddressConfiguration | None:
    row = conn.execute(_BY_SID, {"account_sid": account_sid, "key": sid}).first()
    return _CONFIGURATIONS.from_row(row) if row else None


def get_by_address(conn: Connection, account_sid: str, address: str) -> AddressConfiguration | None:
    """The account's configuration for `address`, exactly as stored: what an inbound
    message to that address looks up to decide whether to auto-create a conversation."""
    row = conn.execute(_BY_ADDRESS, {"account_sid": account_sid, "key": address}).first()
    return _CONFIGURATIONS.from_row(row) if row else None


def list_configurations(
    conn: Connection, account_sid: str, type_: str | None, request: PageRequest
) -> Page:
    query = _LIST.params(account_sid=account_sid)
    if type_ is not None:
        query = query.where(_TABLE.c.type == type_)
    return fetch_page(conn, query, _TABLE.c.id, request, _CONFIGURATIONS.from_row)


def delete_configuration(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})
