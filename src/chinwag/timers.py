"""Fires conversation state timers while the server runs.

The due times live in the database (`date_inactive`, `date_closed`), so timers
set before a restart fire after it; each firing is one write transaction. A pass
looks in a read first, so a server with no timer due writes nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from chinwag.delivery.periodic import Periodic
from chinwag.domain.conversations import fire_due_timers
from chinwag.store.conversations import timers_due
from chinwag.store.database import Database
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.timers")


def timer_runner(
    database: Database,
    *,
    interval: float = 1.0,
    clock: Callable[[], datetime] = utc_now,
) -> Periodic:
    """Fires the timers due by `clock` every `interval` seconds once run."""

    async def fire() -> None:
        now = clock()
        if await database.read(timers_due, now, 1):
            await database.write(fire_due_timers, now)

    return Periodic(fire, interval, "timer pass", logger)
