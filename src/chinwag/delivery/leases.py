"""The deliveries a worker holds, kept leased for as long as the worker is alive.

A claim leases its rows until now + `lease` (store/outbox.py); a worker that dies
stops renewing, so its rows are claimable by any worker (a restarted `serve`, or
another `chinwag worker`) once the lease ends: within `lease` of the crash
(15 s by default). A live worker renews the leases of every row it still holds
(sending, waiting for a sending slot, or parked for its host) every third of the
lease, so however slow a receiver, its rows are never taken from a worker that
is still working on them. Renewing is one write for all the rows, and runs only
while rows are held: an idle worker writes nothing.

Bookkeeping plus that one write; the worker says what it holds and lets go.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from chinwag.store import outbox
from chinwag.store.database import Database

logger = logging.getLogger("chinwag.delivery")

# How long a dead worker's claimed rows wait for another worker; live workers renew.
DEFAULT_LEASE = timedelta(seconds=15)


class Leases:
    """The ids of the rows this worker holds, renewed every `lease / 3` while any are."""

    def __init__(self, database: Database, lease: timedelta, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._lease = lease
        self._clock = clock
        self._held: set[int] = set()
        self._stop = asyncio.Event()

    @property
    def held(self) -> int:
        return len(self._held)

    def hold(self, ids: Iterable[int]) -> None:
        """Rows just claimed: renew them from now on."""
        self._held.update(ids)

    def let_go(self, ids: Iterable[int]) -> None:
        """Rows recorded, released, or left to their lease (a failed write): no more renewing."""
        self._held.difference_update(ids)

    async def release(self, ids: list[int], *, wake_workers: bool = False) -> None:
        """Give rows back unsent, for any worker to claim now; `wake_workers` (a stopping
        worker's) wakes them as new rows would. A running worker gives back only
        what it will claim again itself, and must not wake itself for it."""
        self.let_go(ids)
        await self._database.write_locking(
            outbox.hand_over if wake_workers else outbox.release, ids
        )

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Renew until stopped; a failed renewal is logged and the next one runs on time
        (two in a row must fail before any lease ends)."""
        interval = self._lease.total_seconds() / 3
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)
            if self._held and not self._stop.is_set():
                try:
                    await self.renew()
                except Exception:
                    logger.exception("renewing delivery leases failed")

    async def renew(self) -> None:
        until = self._clock() + self._lease
        await self._database.write_locking(outbox.renew_leases, sorted(self._held), until)
