"""How the worker waits between claims, writing nothing meanwhile.

Busy (queues running or parked), it waits until a queue ends or the next poll.
Idle, it waits until woken (a commit queued deliveries, a stop) or until the next
row comes due: its next attempt, or the end of another worker's lease on it, as
read from the outbox. That time is read again every `recheck` seconds, in case a
wake was missed.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from chinwag.store import outbox
from chinwag.store.database import Database


class Wakeup:
    """Set by a wake, a stop or a queue that ended; cleared before each claim, so a wake
    during the claim is not lost."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds` for a wake; whether one came."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
            return True
        return False

    async def until_due(
        self,
        database: Database,
        clock: Callable[[], datetime],
        recheck: float,
        poll_interval: float,
        stopping: Callable[[], bool],
    ) -> None:
        """Until woken or the next pending row comes due, reading the outbox every `recheck`."""
        while not stopping():
            now = clock()
            due_at = await database.read(outbox.next_due, now)
            wait = recheck if due_at is None else (due_at - now).total_seconds()
            wait = max(wait, poll_interval)  # a row due but unclaimable must not spin
            if await self.sleep(min(wait, recheck)) or wait <= recheck:
                return
