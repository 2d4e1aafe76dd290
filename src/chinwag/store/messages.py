"""Messages and the per-conversation index counter."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from chinwag.store import compiled
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import conversations, messages
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Message:
    sid: str
    account_sid: str
    service_sid: str
    conversation_sid: str
    index: int
    author: str | None
    body: str | None
    attributes: str
    participant_sid: str | None
    date_created: datetime
    date_updated: datetime
    # [{sid, content_type, filename, size}] as the message JSON shows them; None: no media.
    media: list[dict[str, Any]] | None
    content_sid: str | None


_MESSAGES = RecordMapper(
    messages,
    Message,
    columns={"index": "message_index"},
    fixed={
        "sid",
        "account_sid",
        "service_sid",
        "conversation_sid",
        "index",
        "media",
        "content_sid",
    },
)
_GET = select(*_MESSAGES.columns).where(
    messages.c.conversation_sid == bindparam("conversation_sid"),
    messages.c.sid == bindparam("sid"),
)
_DELETE = delete(messages).where(messages.c.sid == bindparam("sid"))
# The counter moves inside the caller's write transaction (BEGIN IMMEDIATE), so two
# posts never get the same index, a rolled-back post gives its index back, and a
# deleted message never frees one.
_NEXT_INDEX = (
    update(conversations)
    .where(conversations.c.sid == bindparam("match_sid"))
    .values(next_message_index=conversations.c.next_message_index + 1)
    .returning(conversations.c.next_message_index - 1)
)


def next_index(conn: Connection, conversation_sid: str) -> int:
    """Take the conversation's next message index: 0, 1, 2, ... with no gaps or repeats."""
    index: int = conn.execute(_NEXT_INDEX, {"match_sid": conversation_sid}).scalar_one()
    return index


def insert_message(conn: Connection, message: Message) -> None:
    _MESSAGES.insert(conn, message)


def save_message(conn: Connection, message: Message) -> None:
    _MESSAGES.save(conn, message)


def get_message(conn: Connection, conversation_sid: str, sid: str) -> Message | None:
    row = conn.execute(_GET, {"conversation_sid": conversation_sid, "sid": sid}).first()
    return _MESSAGES.from_row(row) if row else None


def list_messages(
    conn: Connection, conversation_sid: str, request: PageRequest, *, descending: bool
) -> Page:
    """A conversation's messages in index order.

    Paged on `id`: a message's index and its row id are both taken in the same
    serialised write transaction, each larger than every existing one, so id
    order is index order.
    """
    query = select(*_MESSAGES.columns).where(messages.c.conversation_sid == conversation_sid)
    return fetch_page(
        conn, query, messages.c.id, request, _MESSAGES.from_row, descending=descending
    )


_LAST = (
    select(*_MESSAGES.columns)
    .where(messages.c.conversation_sid == bindparam("conversation_sid"))
    .order_by(messages.c.id.desc())
    .limit(1)
)


def last_message(conn: Connection, conversation_sid: str) -> Message | None:
    """The conversation's newest message (id order is index order: see list_messages)."""
    # Compiled (store/compiled.py): every change re-reads it for each socket.
    row = compiled.first(conn, _LAST, {"conversation_sid": conversation_sid})
    return _MESSAGES.from_row(row) if row else None


_FROM_INDEX = (
    select(*_MESSAGES.columns)
    .where(
        messages.c.conversation_sid == bindparam("conversation_sid"),
        messages.c.message_index >= bindparam("first_index"),
    )
    .order_by(messages.c.message_index)
)


def messages_from_index(conn: Connection, conversation_sid: str, first_index: int) -> list[Message]:
    """Every message of the conversation with index >= `first_index`, in index order."""
    params = {"conversation_sid": conversation_sid, "first_index": first_index}
    return [_MESSAGES.from_row(row) for row in compiled.rows(conn, _FROM_INDEX, params)]


_AT_INDEXES = (
    select(*_MESSAGES.columns)
    .where(
        messages.c.conversation_sid == bindparam("conversation_sid"),
        messages.c.message_index.in_(bindparam("indexes", expanding=True)),
    )
    .order_by(messages.c.message_index)
)


def messages_at(conn: Connection, conversation_sid: str, indexes: list[int]) -> list[Message]:
    """The conversation's messages at `indexes` that exist, in index order."""
    if not indexes:
        return []
    params = {"conversation_sid": conversation_sid, "indexes": indexes}
    return [_MESSAGES.from_row(row) for row in conn.execute(_AT_INDEXES, params)]


_UPDATED_SINCE = (
    select(*_MESSAGES.columns)
    .where(
        messages.c.conversation_sid == bindparam("conversation_sid"),
        messages.c.date_updated > bindparam("since", type_=messages.c.date_updated.type),
    )
    .order_by(messages.c.message_index)
)
_NEWEST_UPDATE = select(func.max(messages.c.date_updated)).where(
    messages.c.conversation_sid == bindparam("conversation_sid")
)


def messages_updated_since(
    conn: Connection, conversation_sid: str, since: datetime
) -> list[Message]:
    """The conversation's messages created or changed after `since`, in index order."""
    params = {"conversation_sid": conversation_sid, "since": since}
    return [_MESSAGES.from_row(row) for row in conn.execute(_UPDATED_SINCE, params)]


def newest_update(conn: Connection, conversation_sid: str) -> datetime | None:
    """When the conversation's most recently created or changed message was."""
    found: datetime | None = conn.execute(
        _NEWEST_UPDATE, {"conversation_sid": conversation_sid}
    ).scalar()
    return found


def _range(descending: bool) -> Any:
    index = messages.c.message_index
    start = index <= bindparam("first") if descending else index >= bindparam("first")
    return (
        select(*_MESSAGES.columns)
        .where(messages.c.conversation_sid == bindparam("conversation_sid"), start)
        .order_by(index.desc() if descending else index)
        .limit(bindparam("size"))
    )


_RANGE = {False: _range(False), True: _range(True)}
_BEYOND = {
    False: select(messages.c.id).where(
        messages.c.conversation_sid == bindparam("conversation_sid"),
        messages.c.message_index < bindparam("first"),
    ),
    True: select(messages.c.id).where(
        messages.c.conversation_sid == bindparam("conversation_sid"),
        messages.c.message_index > bindparam("first"),
    ),
}


def message_range(
    conn: Connection, conversation_sid: str, first: int, *, descending: bool, size: int
) -> list[Message]:
    """Up to `size` messages from index `first` on (down, when `descending`), in that order."""
    params = {"conversation_sid": conversation_sid, "first": first, "size": size}
    return [_MESSAGES.from_row(row) for row in conn.execute(_RANGE[descending], params)]


def any_before(conn: Connection, conversation_sid: str, first: int, *, descending: bool) -> bool:
    """Whether a message comes before index `first` in that order."""
    params = {"conversation_sid": conversation_sid, "first": first}
    return conn.execute(_BEYOND[descending].limit(1), params).first() is not None


def delete_message(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def count_messages(conn: Connection, conversation_sid: str) -> int:
    query = select(func.count()).where(messages.c.conversation_sid == conversation_sid)
    return int(conn.execute(query).scalar_one())
