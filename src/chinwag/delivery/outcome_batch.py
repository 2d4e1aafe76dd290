"""Outcomes recorded in batches: one write for every queue that finishes before it runs.

Most queues are one delivery long, and a write transaction each cost more than
the sends (bench/delivery.py), so a queue's outcomes join the batch whose write
is scheduled for the event loop's next turn, and the queue waits for that write.
A queue finishing once the write has started opens the next batch.

No database here: the worker gives the write (`outbox.record_outcomes` in one transaction).
"""

import asyncio
from collections.abc import Awaitable, Callable

from chinwag.store.outbox import Outcome


class OutcomeBatch:
    """The outcomes waiting for the one write that records them, and that write."""

    def __init__(self, write: Callable[[list[Outcome]], Awaitable[None]]) -> None:
        self._write = write
        self._next: tuple[list[Outcome], asyncio.Task[None]] | None = None

    async def record(self, outcomes: list[Outcome]) -> None:
        """Return once `outcomes` are written with the batch's; a failed write raises in
        every queue of the batch."""
        if self._next is None:
            self._next = ([], asyncio.create_task(self._write_next()))
        batch, written = self._next
        batch.extend(outcomes)
        await written

    async def _write_next(self) -> None:
        assert self._next is not None
        batch, _ = self._next
        self._next = None  # queues finishing from now on start the next batch
        await self._write(batch)
