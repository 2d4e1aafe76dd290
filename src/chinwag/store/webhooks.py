"""Conversation-scoped webhooks."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from chinwag.store.paging import fetch_page
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


_FIELDS = tuple(ScopedWebhook.__dataclass_fields__)
_COLUMNS = (scoped_webhooks.c.id, *(scoped_webhooks.c[name] for name in _FIELDS))
_FIXED = {"sid", "account_sid", "service_sid", "conversation_sid", "target", "date_created"}

# Statements are built once: building a SQLAlchemy statement per call costs more
# than running it (docs/benchmarks.md).
_INSERT = insert(scoped_webhooks)
_SAVE = update(scoped_webhooks).where(scoped_webhooks.c.sid == bindparam("match_sid"))
_GET = select(*_COLUMNS).where(
    scoped_webhooks.c.conversation_sid == bindparam("conversation_sid"),
    scoped_webhooks.c.sid == bindparam("sid"),
)
_COUNT = (
    select(func.count())
    .select_from(scoped_webhooks)
    .where(scoped_webhooks.c.conversation_sid == bindparam("conversation_sid"))
)
_DELETE = delete(scoped_webhooks).where(scoped_webhooks.c.sid == bindparam("sid"))
_DELETE_FOR_CONVERSATION = delete(scoped_webhooks).where(
    scoped_webhooks.c.conversation_sid == bindparam("conversation_sid")
)


def _record(row: Row[Any]) -> ScopedWebhook:
    m = row._mapping
    return ScopedWebhook(**{name: m[name] for name in _FIELDS})


def _values(webhook: ScopedWebhook) -> dict[str, Any]:
    return {name: getattr(webhook, name) for name in _FIELDS}


def insert_webhook(conn: Connection, webhook: ScopedWebhook) -> None:
    conn.execute(_INSERT, _values(webhook))


def save_webhook(conn: Connection, webhook: ScopedWebhook) -> None:
    values = {k: v for k, v in _values(webhook).items() if k not in _FIXED}
    conn.execute(_SAVE, {**values, "match_sid": webhook.sid})


def get_webhook(conn: Connection, conversation_sid: str, sid: str) -> ScopedWebhook | None:
    row = conn.execute(_GET, {"conversation_sid": conversation_sid, "sid": sid}).first()
    return _record(row) if row else None


_FOR_CONVERSATION = (
    select(*_COLUMNS)
    .where(scoped_webhooks.c.conversation_sid == bindparam("conversation_sid"))
    .order_by(scoped_webhooks.c.id)
)


def list_for_conversation(conn: Connection, conversation_sid: str) -> list[ScopedWebhook]:
    """Every webhook of a conversation (at most five), for matching an event."""
    rows = conn.execute(_FOR_CONVERSATION, {"conversation_sid": conversation_sid})
    return [_record(row) for row in rows]


def count_webhooks(conn: Connection, conversation_sid: str) -> int:
    count: int = conn.execute(_COUNT, {"conversation_sid": conversation_sid}).scalar_one()
    return count


def list_webhooks(conn: Connection, conversation_sid: str, request: PageRequest) -> Page:
    query = select(*_COLUMNS).where(scoped_webhooks.c.conversation_sid == conversation_sid)
    return fetch_page(conn, query, scoped_webhooks.c.id, request, _record)


def delete_webhook(conn: Connection, sid: str) -> None:
    conn.execute(delete(scoped_webhooks).where(scoped_webhooks.c.sid == sid))


def delete_conversation_webhooks(conn: Connection, conversation_sid: str) -> None:
    conn.execute(
        delete(scoped_webhooks).where(scoped_webhooks.c.conversation_sid == conversation_sid)
    )
