"""Following the attempt log as it grows: what `chinwag deliveries tail` prints.

The log is polled by increasing attempt id through the store. An attempt and its
delivery's new status are written in one transaction, so when an attempt is read
its delivery already says whether a retry follows. On SQLite ids are committed in
order; on PostgreSQL with several workers an attempt can commit after one with a
higher id and is then not shown (the log itself keeps it: `deliveries show`).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chinwag.delivery.sender import SendResult
from chinwag.store import deliveries as delivery_store
from chinwag.store.database import Database
from chinwag.store.deliveries import LoggedAttempt
from chinwag.store.outbox import DeliveryStatus

POLL_INTERVAL = 0.5
BATCH_SIZE = 500


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"  # a 2xx answer
    RETRYING = "retrying"  # failed, and another attempt followed or is due
    FAILED = "failed"  # failed, and it was the last (dead-lettered or permanent)


def outcome(entry: LoggedAttempt) -> AttemptOutcome:
    if SendResult(entry.response_status, entry.error).ok:
        return AttemptOutcome.DELIVERED
    if entry.attempt < entry.delivery_attempts or entry.delivery_status == DeliveryStatus.PENDING:
        return AttemptOutcome.RETRYING
    return AttemptOutcome.FAILED


@dataclass(frozen=True)
class TailFilter:
    since: datetime | None = None  # only attempts started at or after
    conversation_sids: tuple[str, ...] = ()
    webhook_sids: tuple[str, ...] = ()
    outcomes: frozenset[AttemptOutcome] = frozenset()  # empty: every outcome


async def follow(
    database: Database,
    after_id: int,
    where: TailFilter,
    *,
    interval: float = POLL_INTERVAL,
) -> AsyncIterator[tuple[LoggedAttempt, AttemptOutcome]]:
    """Attempts logged after `after_id` that match, oldest first, for ever."""
    while True:
        entries = await database.read(
            delivery_store.attempts_after,
            after_id,
            BATCH_SIZE,
            since=where.since,
            conversation_sids=where.conversation_sids,
            webhook_sids=where.webhook_sids,
        )
        for entry in entries:
            after_id = entry.id
            result = outcome(entry)
            if not where.outcomes or result in where.outcomes:
                yield entry, result
        if len(entries) < BATCH_SIZE:
            await asyncio.sleep(interval)
