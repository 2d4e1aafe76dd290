"""Conversation-scoped webhooks."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select

from chinwag.store import compiled
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import scoped_webhooks
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class ScopedWebhook:
    sid: str
    account_sid: str
    service_sid: str
    conversation_sid: str
    target: str
    url: str | None
    method: str | None
    filters: list[str]
    triggers: list[str]
    flow_sid: str | None
    replay_after: int | None
    date_created: datetime
    date_updated: datetime
    ordered: bool = False  # chinwag's own option: domain/ordering.py


_WEBHOOKS = RecordMapper(
    scoped_webhooks,
    ScopedWebhook,
    fixed={"sid", "account_sid", "service_sid", "conversation_sid", "target", "date_created"},
)
_GET = select(*_WEBHOOKS.columns).where(
    scoped_webhooks.c.conversation_sid == bindparam("conversation_sid"),
    scoped_webhooks.c.sid == bindparam("sid"),
)
_GET_IN_ACCOUNT = select(*_WEBHOOKS.columns).where(
    scoped_webhooks.c.account_sid == bindparam("account_sid"),
    scoped_webhooks.c.sid == bindparam("sid"),
)
_LIST = select(*_WEBHOOKS.columns).where(
    scoped_webhooks.c.conversation_sid == bindparam("conversation_sid")
)
_FOR_CONVERSATION = _LIST.order_by(scoped_webhooks.c.id)
_COUNT = (
    select(func.count())
    .select_from(scoped_webhooks)
    .where(scoped_webhooks.c.conversation_sid == bindparam("conversation_sid"))
)
_DELETE = delete(scoped_webhooks).where(scoped_webhooks.c.sid == bindparam("sid"))
_DELETE_FOR_CONVERSATION = delete(scoped_webhooks).where(
    scoped_webhooks.c.conversation_sid == bindparam("conversation_sid")
)


def insert_webhook(conn: Connection, webhook: ScopedWebhook) -> None:
    _WEBHOOKS.insert(conn, webhook)


def save_webhook(conn: Connection, webhook: ScopedWebhook) -> None:
    _WEBHOOKS.save(conn, webhook)


def get_webhook(conn: Connection, conversation_sid: str, sid: str) -> ScopedWebhook | None:
    row = conn.execute(_GET, {"conversation_sid": conversation_sid, "sid": sid}).first()
    return _WEBHOOKS.from_row(row) if row else None


def get_account_webhook(conn: Connection, account_sid: str, sid: str) -> ScopedWebhook | None:
    """The account's webhook `sid`, whichever its conversation."""
    row = conn.execute(_GET_IN_ACCOUNT, {"account_sid": account_sid, "sid": sid}).first()
    return _WEBHOOKS.from_row(row) if row else None


def list_for_conversation(conn: Connection, conversation_sid: str) -> list[ScopedWebhook]:
    """Every webhook of a conversation (at most five), for matching an event."""
    rows = conn.execute(_FOR_CONVERSATION, {"conversation_sid": conversation_sid})
    return [_WEBHOOKS.from_row(row) for row in rows]


def count_webhooks(conn: Connection, conversation_sid: str) -> int:
    count: int = compiled.scalar(conn, _COUNT, {"conversation_sid": conversation_sid})
    return count


def list_webhooks(conn: Connection, conversation_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(conversation_sid=conversation_sid)
    return fetch_page(conn, query, scoped_webhooks.c.id, request, _WEBHOOKS.from_row)


def delete_webhook(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def delete_conversation_webhooks(conn: Connection, conversation_sid: str) -> None:
    conn.execute(_DELETE_FOR_CONVERSATION, {"conversation_sid": conversation_sid})
