"""Conversations."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, delete, or_, select

from chinwag.store import compiled
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.services import SERVICES, Service
from chinwag.store.tables import conversations, services
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Conversation:
    sid: str
    account_sid: str
    service_sid: str
    unique_name: str | None
    friendly_name: str | None
    attributes: str
    messaging_service_sid: str | None
    state: str
    timer_inactive: str | None
    timer_closed: str | None
    date_inactive: datetime | None
    date_closed: datetime | None
    email_address: str | None
    email_name: str | None
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class ConversationFilter:
    """The list filters the spec gives ListConversation: creation-date range and State."""

    start: datetime | None = None
    end: datetime | None = None
    state: str | None = None


_CONVERSATIONS = RecordMapper(
    conversations,
    Conversation,
    fixed={"sid", "account_sid", "service_sid", "date_created"},
)
_BY_SID = select(*_CONVERSATIONS.columns).where(
    conversations.c.service_sid == bindparam("service_sid"), conversations.c.sid == bindparam("key")
)
_BY_UNIQUE_NAME = select(*_CONVERSATIONS.columns).where(
    conversations.c.service_sid == bindparam("service_sid"),
    conversations.c.unique_name == bindparam("key"),
)
_NAME_HOLDER = select(conversations.c.sid).where(
    conversations.c.service_sid == bindparam("service_sid"),
    conversations.c.unique_name == bindparam("unique_name"),
)
_DELETE = delete(conversations).where(conversations.c.sid == bindparam("sid"))
_TIMERS_DUE = (
    select(*_CONVERSATIONS.columns)
    .where(
        or_(
            and_(
                conversations.c.state == "active",
                conversations.c.date_inactive <= bindparam("now"),
            ),
            and_(
                conversations.c.state != "closed",
                conversations.c.date_closed <= bindparam("now"),
            ),
        )
    )
    .order_by(conversations.c.id)
    .limit(bindparam("limit"))
)


def insert_conversation(conn: Connection, conversation: Conversation) -> None:
    _CONVERSATIONS.insert(conn, conversation)


def save_conversation(conn: Connection, conversation: Conversation) -> None:
    _CONVERSATIONS.save(conn, conversation)


_LOCK_BY_SID = _BY_SID.with_for_update()
_LOCK_BY_UNIQUE_NAME = _BY_UNIQUE_NAME.with_for_update()


def find_conversation(
    conn: Connection, service_sid: str, sid_or_unique_name: str, for_update: bool = False
) -> Conversation | None:
    """Twilio accepts a conversation's UniqueName wherever its SID goes in a path.

    `for_update` locks the row until the transaction ends (PostgreSQL; SQLite's
    writer is alone anyway), so writers to one conversation take turns.
    """
    by_sid, by_name = (
        (_LOCK_BY_SID, _LOCK_BY_UNIQUE_NAME) if for_update else (_BY_SID, _BY_UNIQUE_NAME)
    )
    params = {"service_sid": service_sid, "key": sid_or_unique_name}
    # Compiled (store/compiled.py): every call under a conversation looks it up.
    row = compiled.first(conn, by_sid, params) if sid_or_unique_name.startswith("CH") else None
    if row is None:  # a unique name may itself start with "CH"
        row = compiled.first(conn, by_name, params)
    return _CONVERSATIONS.from_row(row) if row else None


# The conversation and, joined, the account's default service: one statement where the
# default-service path family would read the service first (it can change, by another
# process too, so it is read in every transaction rather than kept).
_IN_DEFAULT = (
    select(*_CONVERSATIONS.columns, *SERVICES.columns)
    .join_from(conversations, services, services.c.sid == conversations.c.service_sid)
    .where(services.c.account_sid == bindparam("account_sid"), services.c.is_default == 1)
)
_IN_DEFAULT_BY_SID = _IN_DEFAULT.where(conversations.c.sid == bindparam("key"))
_IN_DEFAULT_BY_UNIQUE_NAME = _IN_DEFAULT.where(conversations.c.unique_name == bindparam("key"))
_LOCK_IN_DEFAULT_BY_SID = _IN_DEFAULT_BY_SID.with_for_update(of=conversations)
_LOCK_IN_DEFAULT_BY_UNIQUE_NAME = _IN_DEFAULT_BY_UNIQUE_NAME.with_for_update(of=conversations)
_SPLIT = len(_CONVERSATIONS.columns)


def find_in_default_service(
    conn: Connection, account_sid: str, sid_or_unique_name: str, for_update: bool = False
) -> tuple[Conversation, Service] | None:
    """`find_conversation` in the account's default service, with that service; None when
    either is missing. `for_update` locks the conversation's row only."""
    by_sid, by_name = (
        (_LOCK_IN_DEFAULT_BY_SID, _LOCK_IN_DEFAULT_BY_UNIQUE_NAME)
        if for_update
        else (_IN_DEFAULT_BY_SID, _IN_DEFAULT_BY_UNIQUE_NAME)
    )
    params = {"account_sid": account_sid, "key": sid_or_unique_name}
    row = compiled.first(conn, by_sid, params) if sid_or_unique_name.startswith("CH") else None
    if row is None:  # a unique name may itself start with "CH"
        row = compiled.first(conn, by_name, params)
    if row is None:
        return None
    return _CONVERSATIONS.from_row(row[:_SPLIT]), SERVICES.from_row(row[_SPLIT:])


def unique_name_holder(conn: Connection, service_sid: str, unique_name: str) -> str | None:
    """The SID of the conversation in this service that has `unique_name`, if any."""
    params = {"service_sid": service_sid, "unique_name": unique_name}
    found: str | None = conn.execute(_NAME_HOLDER, params).scalar()
    return found


def timers_due(conn: Connection, now: datetime, limit: int) -> list[Conversation]:
    """Conversations whose inactive or closed timer has come, across all services."""
    return [
        _CONVERSATIONS.from_row(row)
        for row in conn.execute(_TIMERS_DUE, {"now": now, "limit": limit})
    ]


def list_conversations(
    conn: Connection, service_sid: str, filters: ConversationFilter, request: PageRequest
) -> Page:
    query = select(*_CONVERSATIONS.columns).where(conversations.c.service_sid == service_sid)
    if filters.start is not None:
        query = query.where(conversations.c.date_created >= filters.start)
    if filters.end is not None:
        query = query.where(conversations.c.date_created <= filters.end)
    if filters.state is not None:
        query = query.where(conversations.c.state == filters.state)
    # The spec: "If this filter is used, the returned list is sorted by latest
    # conversation creation date in descending order."
    newest_first = filters.start is not None or filters.end is not None
    return fetch_page(
        conn, query, conversations.c.id, request, _CONVERSATIONS.from_row, descending=newest_first
    )


def delete_conversation(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


_ANY_BY_SID = select(*_CONVERSATIONS.columns).where(conversations.c.sid == bindparam("sid"))
_LOCK_ANY_BY_SID = _ANY_BY_SID.with_for_update()


def get_conversation(conn: Connection, sid: str, for_update: bool = False) -> Conversation | None:
    """The conversation by SID whatever its service (what an inbound message routes to)."""
    row = conn.execute(_LOCK_ANY_BY_SID if for_update else _ANY_BY_SID, {"sid": sid}).first()
    return _CONVERSATIONS.from_row(row) if row else None


def search_conversations(
    conn: Connection, service_sid: str, text: str | None, state: str | None, request: PageRequest
) -> Page:
    """The dashboard's list: newest first, on the (service_sid, id) index, keyset-paged.

    `text` matches a SID exactly, or a part of the friendly or unique name
    (case-insensitive); the scan stays inside the service's index range and stops
    after one page of matches.
    """
    query = select(*_CONVERSATIONS.columns).where(conversations.c.service_sid == service_sid)
    if state is not None:
        query = query.where(conversations.c.state == state)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                conversations.c.sid == text,
                conversations.c.friendly_name.ilike(pattern, escape="\\"),
                conversations.c.unique_name.ilike(pattern, escape="\\"),
            )
        )
    return fetch_page(
        conn, query, conversations.c.id, request, _CONVERSATIONS.from_row, descending=True
    )
