"""Fires conversation state timers while the server runs.

The due times live in the database (`date_inactive`, `date_closed`), so timers
set before a restart fire after it; each firing is one write transaction.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from chinwag.domain.conversations import fire_due_timers
from chinwag.store.database import Database
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.timers")


class TimerRunner:
    def __init__(
        self,
        database: Database,
        *,
        interval: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._interval = interval
        self._clock = clock
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._database.write(fire_due_timers, self._clock())
            except Exception:  # a failing pass must not stop the timers for good
                logger.exception("timer pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
