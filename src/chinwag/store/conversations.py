"""Conversations."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from chinwag.store.paging import fetch_page
from chinwag.store.tables import conversations
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


_FIELDS = tuple(Conversation.__dataclass_fields__)
_COLUMNS = (conversations.c.id, *(conversations.c[name] for name in _FIELDS))


def _record(row: Row[Any]) -> Conversation:
    m = row._mapping
    return Conversation(**{name: m[name] for name in _FIELDS})


def insert_conversation(conn: Connection, conversation: Conversation) -> None:
    conn.execute(insert(conversations).values(**asdict(conversation)))


def save_conversation(conn: Connection, conversation: Conversation) -> None:
    values = asdict(conversation)
    del values["sid"], values["account_sid"], values["service_sid"], values["date_created"]
    conn.execute(
        update(conversations).where(conversations.c.sid == conversation.sid).values(**values)
    )


def find_conversation(
    conn: Connection, service_sid: str, sid_or_unique_name: str
) -> Conversation | None:
    """Twilio accepts a conversation's UniqueName wherever its SID goes in a path."""
    column = (
        conversations.c.sid if sid_or_unique_name.startswith("CH") else conversations.c.unique_name
    )
    row = conn.execute(
        select(*_COLUMNS).where(
            conversations.c.service_sid == service_sid, column == sid_or_unique_name
        )
    ).first()
    if row is None and column is conversations.c.sid:
        # A unique name may itself start with "CH".
        row = conn.execute(
            select(*_COLUMNS).where(
                conversations.c.service_sid == service_sid,
                conversations.c.unique_name == sid_or_unique_name,
            )
        ).first()
    return _record(row) if row else None


def unique_name_taken(
    conn: Connection, service_sid: str, unique_name: str, except_sid: str | None
) -> bool:
    query = select(conversations.c.sid).where(
        conversations.c.service_sid == service_sid, conversations.c.unique_name == unique_name
    )
    if except_sid is not None:
        query = query.where(conversations.c.sid != except_sid)
    return conn.execute(query.limit(1)).first() is not None


def list_conversations(
    conn: Connection, service_sid: str, filters: ConversationFilter, request: PageRequest
) -> Page:
    query = select(*_COLUMNS).where(conversations.c.service_sid == service_sid)
    if filters.start is not None:
        query = query.where(conversations.c.date_created >= filters.start)
    if filters.end is not None:
        query = query.where(conversations.c.date_created <= filters.end)
    if filters.state is not None:
        query = query.where(conversations.c.state == filters.state)
    # The spec: "If this filter is used, the returned list is sorted by latest
    # conversation creation date in descending order."
    newest_first = filters.start is not None or filters.end is not None
    return fetch_page(conn, query, conversations.c.id, request, _record, descending=newest_first)


def delete_conversation(conn: Connection, sid: str) -> None:
    conn.execute(delete(conversations).where(conversations.c.sid == sid))
