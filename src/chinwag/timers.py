"""Fires conversation state timers, and due carrier reports on receipts, while the server runs.

The due times live in the database (`date_inactive`, `date_closed`, a receipt's `date_due`), so
what is due at a restart happens after it; each pass is one write transaction.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from chinwag.delivery.periodic import Periodic
from chinwag.domain.carrier import advance_due_receipts
from chinwag.domain.conversations import fire_due_timers
from chinwag.store.database import Database
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.timers")


def _fire_due(conn: Connection, now: datetime) -> None:
    """One pass, one transaction: conversation timers, then receipts' carrier reports."""
    fire_due_timers(conn, now)
    advance_due_receipts(conn, now)


def timer_runner(
    database: Database,
    *,
    interval: float = 1.0,
    clock: Callable[[], datetime] = utc_now,
) -> Periodic:
    """Fires the timers due by `clock` every `interval` seconds once run."""

    async def fire() -> None:
        await database.write(_fire_due, clock())

    return Periodic(fire, interval, "timer pass", logger)
