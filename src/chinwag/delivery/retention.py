"""Retention: finished deliveries and their attempt log are removed once old enough.

Finished means delivered, failed (dead-lettered) or undeliverable; age is counted
from the delivery's last change (its last attempt, or its redelivery). Pending
deliveries are never removed, however old. Rows go in batches, each found in a
read and deleted in its own short write transaction, so a large prune never holds
SQLite's write lock, or the event loop of the process running it, for long.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chinwag.delivery.periodic import Periodic
from chinwag.store import deliveries as delivery_store
from chinwag.store.database import Database
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.retention")

DEFAULT_RETENTION_DAYS = 7.0
BATCH_SIZE = 1000
PRUNE_INTERVAL = 3600.0  # seconds between the worker's prunes (the first is at its start)


@dataclass(frozen=True)
class Pruned:
    """How many rows a prune removed."""

    deliveries: int = 0
    attempts: int = 0

    def __add__(self, other: "Pruned") -> "Pruned":
        return Pruned(self.deliveries + other.deliveries, self.attempts + other.attempts)


async def prune_batches(
    database: Database, cutoff: datetime, batch_size: int = BATCH_SIZE
) -> AsyncIterator[Pruned]:
    """Remove finished deliveries last changed before `cutoff`, one batch per step."""
    while True:
        ids = await database.read(delivery_store.finished_before, cutoff, batch_size)
        if not ids:
            return
        yield Pruned(*await database.write(delivery_store.delete_finished, ids, cutoff))
        if len(ids) < batch_size:
            return


async def prune(database: Database, cutoff: datetime, batch_size: int = BATCH_SIZE) -> Pruned:
    """All of `prune_batches`, summed."""
    total = Pruned()
    async for batch in prune_batches(database, cutoff, batch_size):
        total += batch
    return total


class RetentionRunner:
    """Prunes what is older than `keep`, at start and then every `interval` seconds."""

    def __init__(
        self,
        database: Database,
        keep: timedelta,
        *,
        interval: float = PRUNE_INTERVAL,
        batch_size: int = BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._keep = keep
        self._batch_size = batch_size
        self._clock = clock
        self._periodic = Periodic(self.prune_once, interval, "pruning deliveries", logger)

    def stop(self) -> None:
        self._periodic.stop()

    async def run(self) -> None:
        await self._periodic.run()

    async def prune_once(self) -> Pruned:
        cutoff = self._clock() - self._keep
        total = Pruned()
        async for batch in prune_batches(self._database, cutoff, self._batch_size):
            total += batch
            if self._periodic.stopping:
                break
            await asyncio.sleep(0)  # requests and deliveries go between batches
        if total.deliveries:
            logger.info(
                "pruned deliveries",
                extra={
                    "deliveries": total.deliveries,
                    "attempts": total.attempts,
                    "cutoff": cutoff.isoformat(),
                },
            )
        return total
