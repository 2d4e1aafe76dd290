"""Retention removes old finished deliveries in batches, never pending ones.

Real SQLite, fixed clock."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, select

from chinwag.delivery.retention import Pruned, RetentionRunner, prune_batches
from chinwag.store import deliveries as delivery_store
from chinwag.store import outbox
from chinwag.store.database import Database, open_database
from chinwag.store.outbox import Attempt, DeliveryStatus, NewDelivery, Outcome
from chinwag.store.tables import deliveries, delivery_attempts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Body = Callable[[Database], Awaitable[None]]


def with_database(url: str, body: Body) -> None:
    """Run `body` on the fresh, migrated database at `url`."""

    async def run() -> None:
        database = open_database(url)
        try:
            await body(database)
        finally:
            await database.close()

    asyncio.run(run())


async def add(
    database: Database, status: DeliveryStatus, finished: datetime, attempts: int = 1
) -> str:
    """A delivery created at `finished`, whose `attempts` attempts left it `status` then."""
    row = NewDelivery(
        token=f"{status}-{finished:%Y%m%d%H%M}-{attempts}",  # unique here, and 36 at most
        account_sid="AC" + "0" * 32,
        service_sid="IS" + "0" * 32,
        conversation_sid="CH" + "0" * 32,
        webhook_sid="WH" + "0" * 32,
        target="webhook",
        event_type="onMessageAdded",
        url="http://127.0.0.1:9/",
        flow_sid=None,
        method="POST",
        params=[("EventType", "onMessageAdded")],
        date_created=finished,
    )
    await database.write(outbox.insert_deliveries, [row])

    def record(conn: Connection) -> None:
        delivery_id = conn.execute(
            select(deliveries.c.id).where(deliveries.c.token == row.token)
        ).scalar_one()
        retry_at = finished if status == DeliveryStatus.PENDING else None
        url = "http://127.0.0.1:9/"
        logged: list[Attempt | None] = [
            Attempt(delivery_id, number, finished, url, "POST", 500, 1.0, "", None)
            for number in range(1, attempts + 1)
        ]
        outcomes = [
            Outcome(delivery_id, status, attempts, retry_at, 500, None, attempt)
            for attempt in logged or [None]  # undeliverable: an outcome without an attempt
        ]
        outbox.record_outcomes(conn, outcomes, finished)

    await database.write(record)
    return row.token


async def remaining(database: Database) -> tuple[set[str], int]:
    def query(conn: Connection) -> tuple[set[str], int]:
        tokens = set(conn.execute(select(deliveries.c.token)).scalars())
        return tokens, len(conn.execute(select(delivery_attempts.c.id)).all())

    return await database.read(query)


async def batches(database: Database, cutoff: datetime, batch_size: int) -> list[Pruned]:
    return [batch async for batch in prune_batches(database, cutoff, batch_size)]


def test_only_finished_deliveries_older_than_the_cutoff_go_with_their_attempts(
    database_url: str,
) -> None:
    async def body(database: Database) -> None:
        old = [
            await add(database, DeliveryStatus.DELIVERED, NOW - 10 * DAY, 2),
            await add(database, DeliveryStatus.DELIVERED, NOW - 9 * DAY, 1),
            await add(database, DeliveryStatus.FAILED, NOW - 8 * DAY, 3),
            await add(database, DeliveryStatus.UNDELIVERABLE, NOW - 8 * DAY, 0),
        ]
        kept = {
            await add(database, DeliveryStatus.PENDING, NOW - 30 * DAY, 2),
            await add(database, DeliveryStatus.DELIVERED, NOW - DAY, 1),
            await add(database, DeliveryStatus.FAILED, NOW - DAY, 1),
        }
        assert (await remaining(database))[1] == 2 + 1 + 3 + 0 + 2 + 1 + 1

        assert await batches(database, NOW - 7 * DAY, 2) == [Pruned(2, 3), Pruned(2, 3)]
        assert await remaining(database) == (kept, 2 + 1 + 1)
        assert not set(old) & (await remaining(database))[0]
        assert await batches(database, NOW - 7 * DAY, 2) == []

    with_database(database_url, body)


def test_a_delivery_redelivered_after_it_was_found_is_not_removed(database_url: str) -> None:
    async def body(database: Database) -> None:
        token = await add(database, DeliveryStatus.FAILED, NOW - 10 * DAY, 1)
        found = await database.read(delivery_store.finished_before, NOW - 7 * DAY, 10)

        await database.write(delivery_store.redeliver, None, token, NOW)  # pending, changed now
        assert await database.write(delivery_store.delete_finished, found, NOW - 7 * DAY) == (0, 0)
        assert await remaining(database) == ({token}, 1)

    with_database(database_url, body)


def test_the_runner_prunes_by_its_clock_and_logs_what_it_removed(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(database: Database) -> None:
        await add(database, DeliveryStatus.DELIVERED, NOW - 3 * DAY, 1)
        kept = await add(database, DeliveryStatus.DELIVERED, NOW - DAY, 1)
        runner = RetentionRunner(database, 2 * DAY, batch_size=1, clock=lambda: NOW)

        with caplog.at_level("INFO", logger="chinwag.retention"):
            assert await runner.prune_once() == Pruned(1, 1)
        assert await remaining(database) == ({kept}, 1)

    with_database(database_url, body)
    [record] = caplog.records
    assert (record.getMessage(), record.__dict__["deliveries"]) == ("pruned deliveries", 1)
