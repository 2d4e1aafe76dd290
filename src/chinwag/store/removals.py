"""Removals from a conversation's Sync objects, for clients that were away (tables.py).

A conversation keeps the removals of its last `KEPT` only: each new one deletes those
older, so the table stays bounded by what a week of deletions writes.
"""

from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.conversations import Conversation
from chinwag.store.tables import sync_removals

KEPT = timedelta(days=7)  # a client away longer re-reads what it opens

_PRUNE = delete(sync_removals).where(
    sync_removals.c.conversation_sid == bindparam("conversation_sid"),
    sync_removals.c.removed_at < bindparam("before", type_=sync_removals.c.removed_at.type),
)
_AFTER = (
    select(sync_removals.c.item_key, sync_removals.c.removed_at)
    .where(
        sync_removals.c.conversation_sid == bindparam("conversation_sid"),
        sync_removals.c.object == bindparam("object"),
        sync_removals.c.removed_at > bindparam("since", type_=sync_removals.c.removed_at.type),
    )
    .order_by(sync_removals.c.id)
)


def record_removal(
    conn: Connection, conversation: Conversation, object: str, key: str, when: datetime
) -> None:
    """`key` left the conversation's `object` ("messages" or "roster") at `when`."""
    conn.execute(_PRUNE, {"conversation_sid": conversation.sid, "before": when - KEPT})
    conn.execute(
        sync_removals.insert(),
        {
            "account_sid": conversation.account_sid,
            "conversation_sid": conversation.sid,
            "object": object,
            "item_key": key,
            "removed_at": when,
        },
    )


def removals_after(
    conn: Connection, conversation_sid: str, object: str, since: datetime
) -> list[tuple[str, datetime]]:
    """The keys removed from `object` after `since`, oldest first, with when."""
    params = {"conversation_sid": conversation_sid, "object": object, "since": since}
    return [(row.item_key, row.removed_at) for row in conn.execute(_AFTER, params)]
