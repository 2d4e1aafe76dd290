"""The per-host limit in the worker, with a fake sender: a full host takes neither more
sending slots nor the claim room (no network; a SQLite file of the test's own)."""

import asyncio
from collections import Counter

from sqlalchemy import Connection, select

from chinwag.delivery.host_gate import target_host
from chinwag.delivery.sender import OutboundRequest, SendResult
from chinwag.delivery.worker import Worker
from chinwag.domain import accounts
from chinwag.store import outbox
from chinwag.store.database import Database, open_database
from chinwag.store.outbox import NewDelivery
from chinwag.store.tables import deliveries
from chinwag.twilio.dates import utc_now


class StuckHostSender:
    """Answers at once, except requests to `slow` wait until `release` is set."""

    def __init__(self, slow: str) -> None:
        self.slow = slow
        self.release = asyncio.Event()
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.sent: list[str] = []

    async def send(self, request: OutboundRequest) -> SendResult:
        host = target_host(request.url)
        self.in_flight[host] += 1
        self.most[host] = max(self.most[host], self.in_flight[host])
        if host == self.slow:
            await self.release.wait()
        self.in_flight[host] -= 1
        self.sent.append(request.url)
        return SendResult(200, None)


async def queue_deliveries(database: Database, urls: list[str]) -> None:
    account = await database.write(accounts.create_account, "hosts")
    now = utc_now()
    rows = [
        NewDelivery(
            token=f"00000000-0000-0000-0000-{number:012d}",
            account_sid=account.sid,
            service_sid="IS" + "0" * 32,
            conversation_sid=None,
            webhook_sid=f"WH{number:032d}",  # one webhook each: one queue each
            target="webhook",
            event_type="onConversationUpdated",
            url=url,
            flow_sid=None,
            method="POST",
            params=[("EventType", "onConversationUpdated")],
            date_created=now,
        )
        for number, url in enumerate(urls)
    ]
    await database.write(outbox.insert_deliveries, rows)


def test_a_full_host_leaves_claim_room_and_slots_to_the_others(database_url: str) -> None:
    url = database_url
    slow = [f"http://slow:1/{n}" for n in range(6)]
    asyncio.run(_full_host_leaves_room(url, slow))


async def _full_host_leaves_room(url: str, slow: list[str]) -> None:
    database = open_database(url)
    # Six webhooks on the slow host come first; a batch of four could hold only them.
    await queue_deliveries(database, [*slow, "http://fast:1/"])
    sender = StuckHostSender("slow:1")
    try:
        worker = Worker(database, sender, batch_size=4, host_concurrency=2, poll_interval=0.01)
        running = asyncio.create_task(worker.run())
        while "http://fast:1/" not in sender.sent:  # pytest-timeout ends a wait that hangs
            await asyncio.sleep(0.01)
        assert sender.in_flight["slow:1"] == 2  # the slow host still holds its two
        sender.release.set()
        while len(sender.sent) < 7:
            await asyncio.sleep(0.01)
        worker.stop()
        await running

        assert sender.most["slow:1"] == 2
        assert sorted(sender.sent) == sorted([*slow, "http://fast:1/"])
        statuses = await database.read(
            lambda conn: conn.exec_driver_sql("SELECT status, lease_until FROM deliveries").all()
        )
        assert set(statuses) == {("delivered", None)}
    finally:
        await database.close()


def test_queues_of_a_full_host_wait_parked_and_are_given_back_on_stop(database_url: str) -> None:
    asyncio.run(_parked_queues_given_back_on_stop(database_url))


async def _parked_queues_given_back_on_stop(url: str) -> None:
    database = open_database(url)
    slow = [f"http://slow:1/{n}" for n in range(6)]
    await queue_deliveries(database, [*slow, "http://fast:1/"])
    sender = StuckHostSender("slow:1")

    def rows(conn: Connection) -> list[tuple[str, bool]]:
        query = select(deliveries.c.status, deliveries.c.lease_until.is_not(None))
        return [tuple(row) for row in conn.execute(query.order_by(deliveries.c.id))]

    try:
        worker = Worker(database, sender, batch_size=4, host_concurrency=2, poll_interval=0.01)
        running = asyncio.create_task(worker.run())
        while (await database.read(rows))[-1] != ("delivered", False):  # fast, recorded
            await asyncio.sleep(0.01)
        # Two slow queues in flight, four parked: all six still leased to this worker.
        assert await database.read(rows) == [("pending", True)] * 6 + [("delivered", False)]
        worker.stop()
        sender.release.set()
        await running
        # The two in flight finished; the parked four went back unsent, for any worker.
        assert sender.in_flight["slow:1"] == 0 and len(sender.sent) == 3
        assert await database.read(rows) == (
            [("delivered", False)] * 2 + [("pending", False)] * 4 + [("delivered", False)]
        )
    finally:
        await database.close()
