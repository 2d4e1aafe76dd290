"""Leases kept while a worker holds its rows, the next due time an idle worker sleeps
until, and a stop that abandons a hanging request after the grace and gives it back
(a database of the test's own, a sender that never answers)."""

import asyncio
from datetime import timedelta

from sqlalchemy import Connection, select

from chinwag.delivery.sender import OutboundRequest, SendResult
from chinwag.delivery.worker import Worker
from chinwag.store import full_claim, outbox
from chinwag.store.database import open_database
from chinwag.store.tables import deliveries
from chinwag.twilio.dates import utc_now
from tests.unit.test_outbox_claims import LEASE, NOW, queue


def leases(conn: Connection) -> list[tuple[str, bool]]:
    query = select(deliveries.c.status, deliveries.c.lease_until.is_not(None))
    return [tuple(row) for row in conn.execute(query.order_by(deliveries.c.id))]


def test_next_due_is_the_earliest_unleased_row_or_the_earliest_lease_end(
    database_url: str,
) -> None:
    async def scenario() -> None:
        database = open_database(database_url)
        try:
            now = utc_now()
            assert await database.read(outbox.next_due, now) is None  # nothing pending
            await queue(database, [("WH1", NOW), ("WH2", timedelta(seconds=60))])
            claimed = await database.write_locking(
                full_claim.claim_due, now + LEASE / 100, 1, LEASE
            )
            assert len(claimed) == 1  # WH1's, leased until about now + LEASE
            due = await database.read(outbox.next_due, now)
            assert due is not None and now + timedelta(seconds=59) < due < now + LEASE
            # Once WH2's row is claimed too, the first lease end is next.
            later = now + timedelta(seconds=61)
            await database.write_locking(full_claim.claim_due, later, 1, LEASE)
            due = await database.read(outbox.next_due, later)
            assert due is not None and now + LEASE <= due < later + LEASE
        finally:
            await database.close()

    asyncio.run(scenario())


def test_renewing_extends_only_rows_still_leased(database_url: str) -> None:
    async def scenario() -> None:
        database = open_database(database_url)
        try:
            await queue(database, [("WH1", NOW), ("WH2", NOW)])
            claimed = await database.write_locking(full_claim.claim_due, utc_now(), 10, LEASE)
            await database.write_locking(outbox.release, [claimed[1].id])
            later = utc_now() + LEASE * 3
            ids = [delivery.id for delivery in claimed]
            await database.write_locking(outbox.renew_leases, ids, later)
            # The released row stays claimable; the held one's lease moved on.
            assert await database.read(leases) == [("pending", True), ("pending", False)]
            assert await database.read(outbox.next_due, utc_now()) is not None
            taken = await database.write_locking(full_claim.claim_due, utc_now() + LEASE, 10, LEASE)
            assert [delivery.id for delivery in taken] == [claimed[1].id]
        finally:
            await database.close()

    asyncio.run(scenario())


class HangingSender:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, request: OutboundRequest) -> SendResult:
        self.started.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")


def test_stopping_abandons_a_hanging_request_after_the_grace_and_releases_its_queue(
    database_url: str,
) -> None:
    async def scenario() -> None:
        database = open_database(database_url)
        sender = HangingSender()
        try:
            await queue(database, [("WH1", NOW), ("WH1", NOW), ("WH2", NOW)])
            worker = Worker(database, sender, shutdown_grace=0.1, poll_interval=0.01)
            running = asyncio.create_task(worker.run())
            await asyncio.wait_for(sender.started.wait(), 10)
            while (await database.read(leases)).count(("pending", True)) < 3:
                await asyncio.sleep(0.01)  # both queues claimed
            worker.stop()
            await asyncio.wait_for(running, 10)  # would hang for ever without the grace
            assert await database.read(leases) == [("pending", False)] * 3
            attempts = await database.read(
                lambda conn: conn.exec_driver_sql("SELECT count(*) FROM delivery_attempts").scalar()
            )
            assert attempts == 0  # an abandoned request is not an attempt
        finally:
            await database.close()

    asyncio.run(scenario())


def test_a_stopping_worker_s_hand_over_wakes_workers_and_a_give_back_does_not(
    database_url: str,
) -> None:
    async def scenario() -> list[str]:
        database = open_database(database_url)
        rings: list[str] = []
        database.doorbell.subscribe(lambda: rings.append("rung"))
        try:
            await queue(database, [("WH1", NOW), ("WH2", NOW)])
            rings.clear()  # the rows' own ring
            first, second = await database.write_locking(full_claim.claim_due, utc_now(), 10, LEASE)
            await database.write_locking(outbox.release, [first.id])
            assert rings == []  # the worker claims it again itself, when its host frees
            await database.write_locking(outbox.hand_over, [second.id])
            return rings
        finally:
            await database.close()

    assert asyncio.run(scenario()) == ["rung"]
