"""Fires conversation state timers, and due carrier reports on receipts, while the server runs.

The due times live in the database (`date_inactive`, `date_closed`, a receipt's `date_due`), so
what is due at a restart happens after it; each pass is one write transaction. A pass
looks in a read first, so a server with nothing due writes nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from chinwag.delivery.periodic import Periodic
from chinwag.domain.carrier import advance_due_receipts
from chinwag.domain.conversations import fire_due_timers
from chinwag.store.conversations import timers_due
from chinwag.store.database import Database
from chinwag.store.receipts import receipts_due
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.timers")


def _fire_due(conn: Connection, now: datetime) -> None:
    """One pass, one transaction: conversation timers, then receipts' carrier reports."""
    fire_due_timers(conn, now)
    advance_due_receipts(conn, now)


def _anything_due(conn: Connection, now: datetime) -> bool:
    return bool(timers_due(conn, now, 1) or receipts_due(conn, now, 1))


def timer_runner(
    database: Database,
    *,
    interval: float = 1.0,
    clock: Callable[[], datetime] = utc_now,
) -> Periodic:
    """Fires the timers due by `clock` every `interval` seconds once run."""

    async def fire() -> None:
        now = clock()
        if await database.read(_anything_due, now):
            await database.write(_fire_due, now)

    return Periodic(fire, interval, "timer pass", logger)
