"""Bulk-load a message history for bench/history.py, straight into chinwag's tables.

The conversations already exist (made through the API, so they belong to the
account and its default service); this adds `total` messages spread over them:

- one hot conversation takes a tenth of all messages, every tenth message of the
  whole history, so its rows are scattered through the table as a busy
  conversation's are;
- a few small conversations get a few messages each, the most recent ones, so
  they look the same whatever the size of the history before them;
- the rest is dealt round-robin over the other (background) conversations.

Each conversation's messages get indexes 0, 1, 2, ... in id order, and its
next_message_index counter is set to its count, as the API would have left them.
SQLite: SQLAlchemy Core executemany in transactions of CHUNK rows. PostgreSQL:
asyncpg COPY of the same rows, then VACUUM ANALYZE (what autovacuum does soon
after a load this size; the server would otherwise plan on an empty table's
statistics).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from chinwag.store.database import create_sqlite_engine, open_database
from chinwag.store.tables import conversations, messages

CHUNK = 50_000
HOT_EVERY = 10  # one message in ten goes to the hot conversation
SMALL_MESSAGES = 10  # messages in each small conversation
BODY = "a chat message of a realistic length, about as long as people write them " * 2
COLUMNS = (
    "sid",
    "account_sid",
    "service_sid",
    "conversation_sid",
    "message_index",
    "author",
    "body",
    "attributes",
    "participant_sid",
    "date_created",
    "date_updated",
)


@dataclass(frozen=True)
class Layout:
    """Which conversation each message goes to."""

    account_sid: str
    service_sid: str
    hot: str
    small: list[str]
    background: list[str]


def rows(layout: Layout, total: int) -> Iterator[tuple[Any, ...]]:
    """`total` message rows in the order they are inserted (id order)."""
    small_total = len(layout.small) * SMALL_MESSAGES
    assert total > 2 * small_total, "too few messages for the small conversations"
    next_index: dict[str, int] = {}
    background = itertools.cycle(layout.background)
    start = datetime.now(UTC) - timedelta(milliseconds=total)
    for k in range(total):
        if k >= total - small_total:
            conversation = layout.small[(k - total + small_total) % len(layout.small)]
        elif k % HOT_EVERY == 0:
            conversation = layout.hot
        else:
            conversation = next(background)
        index = next_index.get(conversation, 0)
        next_index[conversation] = index + 1
        created = start + timedelta(milliseconds=k)
        yield (
            "IM" + uuid.uuid4().hex,
            layout.account_sid,
            layout.service_sid,
            conversation,
            index,
            "bench",
            f"{k}: {BODY}",
            "{}",
            None,
            created,
            created,
        )


_COUNTERS = update(conversations).values(
    next_message_index=select(func.count())
    .where(messages.c.conversation_sid == conversations.c.sid)
    .scalar_subquery()
)


def _seed_sqlite(url: str, layout: Layout, total: int) -> None:
    engine = create_sqlite_engine(url)
    statement = insert(messages)
    batch = iter(rows(layout, total))
    try:
        while chunk := [
            dict(zip(COLUMNS, row, strict=True)) for row in itertools.islice(batch, CHUNK)
        ]:
            with engine.connect().execution_options(write=True) as conn, conn.begin():
                conn.execute(statement, chunk)
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(_COUNTERS)
    finally:
        engine.dispose()


async def _seed_postgresql(url: str, layout: Layout, total: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        batch = iter(rows(layout, total))
        while chunk := list(itertools.islice(batch, CHUNK)):
            await conn.copy_records_to_table("messages", records=chunk, columns=COLUMNS)
        await conn.execute(
            "UPDATE conversations SET next_message_index = (SELECT count(*) FROM messages "
            "WHERE messages.conversation_sid = conversations.sid)"
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def seed(url: str, layout: Layout, total: int) -> None:
    """Insert `total` messages laid out as the module docstring says."""
    if url.startswith("postgresql"):
        asyncio.run(_seed_postgresql(url, layout, total))
    else:
        _seed_sqlite(url, layout, total)


def message_id(url: str, conversation_sid: str, index: int) -> int:
    """The row id of a conversation's message (a PageToken is PA<id>)."""
    query = select(messages.c.id).where(
        messages.c.conversation_sid == conversation_sid, messages.c.message_index == index
    )

    async def run() -> int:
        database = open_database(url)
        try:
            found: int = await database.read(lambda conn: conn.execute(query).scalar_one())
            return found
        finally:
            await database.close()

    return asyncio.run(run())
