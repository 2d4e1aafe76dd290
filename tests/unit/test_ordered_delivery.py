"""Ordered delivery in the outbox (store/outbox.py): an order's later deliveries wait behind
its head, and only the head's end (delivered, or dead) lets the next one go. A database of
the test's own, on each engine."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from chinwag.domain.accounts import create_account
from chinwag.store import deliveries as delivery_store
from chinwag.store import full_claim, outbox
from chinwag.store.database import Database, open_database
from chinwag.store.outbox import SERVICE_LEVEL, DeliveryStatus, NewDelivery, Outcome, order_key
from chinwag.store.tables import deliveries
from chinwag.twilio.dates import utc_now
from tests.unit.test_outbox_claims import sqlite_plan

T = TypeVar("T")
LEASE = timedelta(minutes=5)
FIRST = "WH1/CH1"  # an order: webhook WH1's deliveries of conversation CH1
OTHER = "WH1/CH2"  # the same webhook's deliveries of another conversation
PENDING, WAITING = DeliveryStatus.PENDING, DeliveryStatus.WAITING
DELIVERED, FAILED = DeliveryStatus.DELIVERED, DeliveryStatus.FAILED


@pytest.mark.parametrize(
    ("webhook", "conversation", "ordered", "key"),
    [
        ("WH1", "CH1", True, "WH1/CH1"),
        ("DG1", "CH1", True, "DG1/CH1"),
        (SERVICE_LEVEL, "CH1", True, "service/CH1"),
        ("WH1", "CH1", False, None),
        ("DG1", None, True, None),  # a user event or a sink's test event: no conversation
    ],
)
def test_an_order_is_a_webhooks_deliveries_of_one_conversation(
    webhook: str, conversation: str | None, ordered: bool, key: str | None
) -> None:
    assert order_key(webhook, conversation, ordered) == key


class Outbox:
    """One account's outbox on a database of the test's own; rows are numbered by token."""

    def __init__(self, database: Database, account_sid: str) -> None:
        self.database = database
        self.account_sid = account_sid
        self.queued = 0

    async def queue(self, *keys: str | None) -> None:
        """One delivery per key (None: unordered), in this order, in one transaction."""
        rows = [self._row(key) for key in keys]
        await self.database.write(outbox.insert_deliveries, rows)

    def _row(self, key: str | None) -> NewDelivery:
        number, self.queued = self.queued, self.queued + 1
        return NewDelivery(
            token=token(number),
            account_sid=self.account_sid,
            service_sid="IS" + "0" * 32,
            conversation_sid="CH1",
            webhook_sid="WH1",
            target="webhook",
            event_type="onMessageAdded",
            url="http://127.0.0.1:9/hook",
            flow_sid=None,
            method="POST",
            params=[("Index", str(number))],
            date_created=utc_now(),
            order_key=key,
        )

    async def claim(self, now: datetime | None = None) -> list[int]:
        claimed = await self.database.write_locking(
            full_claim.claim_due, now or utc_now(), 10, LEASE
        )
        return [number(d.token) for d in claimed]

    async def end(self, row: int, status: DeliveryStatus, retry_at: datetime | None = None) -> None:
        """Record an attempt at `row` that left it `status`, as the worker does."""
        query = select(deliveries.c.id).where(deliveries.c.token == token(row))

        def id_of(conn: Connection) -> int:
            found: int = conn.execute(query).scalar_one()
            return found

        outcome = Outcome(await self.database.read(id_of), status, 1, retry_at, 200, None, None)
        await self.database.write_locking(outbox.record_outcomes, [outcome], utc_now())

    async def statuses(self) -> list[str]:
        return [status for status, _, _ in await self.rows()]

    async def rows(self) -> list[tuple[str, datetime | None, str | None]]:
        """(status, next attempt, order key) of every row, in outbox order."""
        query = select(deliveries.c.status, deliveries.c.next_attempt_at, deliveries.c.order_key)

        def read(conn: Connection) -> list[tuple[str, datetime | None, str | None]]:
            found = conn.execute(query.order_by(deliveries.c.id))
            return [(row.status, row.next_attempt_at, row.order_key) for row in found]

        return await self.database.read(read)


def token(number: int) -> str:
    return f"00000000-0000-0000-0000-{number:012d}"


def number(token: str) -> int:
    return int(token[-12:])


def run(database_url: str, scenario: Callable[[Outbox], Awaitable[T]]) -> T:
    async def main() -> T:
        database = open_database(database_url)
        try:
            account = await database.write(create_account, "ordered")
            return await scenario(Outbox(database, account.sid))
        finally:
            await database.close()

    return asyncio.run(main())


def test_only_the_first_unfinished_delivery_of_an_order_is_pending(database_url: str) -> None:
    async def scenario(box: Outbox) -> list[tuple[str, bool]]:
        await box.queue(FIRST, FIRST, FIRST, OTHER, None, None)
        await box.queue(FIRST, OTHER)  # later transactions queue behind them
        return [(status, due is not None) for status, due, _ in await box.rows()]

    assert run(database_url, scenario) == [
        (PENDING, True),
        (WAITING, False),  # not due: its turn comes when the head ends
        (WAITING, False),
        (PENDING, True),  # another conversation's order: its own head
        (PENDING, True),  # unordered deliveries never wait
        (PENDING, True),
        (WAITING, False),
        (WAITING, False),
    ]


def test_a_heads_end_lets_the_next_go_and_a_retry_holds_it(database_url: str) -> None:
    async def scenario(box: Outbox) -> list[Sequence[object]]:
        await box.queue(FIRST, FIRST, FIRST)
        seen: list[Sequence[object]] = [await box.claim()]  # the head alone
        await box.end(0, PENDING, utc_now() + timedelta(hours=1))  # failed: a retry is due
        seen += [await box.statuses(), await box.claim()]  # nothing else may go meanwhile
        await box.end(0, DELIVERED)
        seen += [await box.statuses(), await box.claim()]
        await box.end(1, FAILED)  # dead after its retries: the next goes all the same
        seen += [await box.statuses(), await box.claim()]
        return seen

    assert run(database_url, scenario) == [
        [0],
        [PENDING, WAITING, WAITING],
        [],
        [DELIVERED, PENDING, WAITING],
        [1],
        [DELIVERED, FAILED, PENDING],
        [2],
    ]


def test_a_delivery_queued_while_its_head_is_sent_waits_for_it(database_url: str) -> None:
    async def scenario(box: Outbox) -> list[list[str]]:
        await box.queue(FIRST)
        assert await box.claim() == [0]  # leased: in flight
        await box.queue(FIRST)
        seen = [await box.statuses()]
        await box.end(0, DELIVERED)
        return [*seen, await box.statuses()]

    assert run(database_url, scenario) == [[PENDING, WAITING], [DELIVERED, PENDING]]


def test_an_order_whose_deliveries_all_ended_starts_again_at_once(database_url: str) -> None:
    async def scenario(box: Outbox) -> list[str]:
        await box.queue(FIRST)
        await box.claim()
        await box.end(0, FAILED)
        await box.queue(FIRST)
        return await box.statuses()

    assert run(database_url, scenario) == [FAILED, PENDING]


def test_redelivery_keeps_a_pending_head_in_its_order_and_sends_others_outside_it(
    database_url: str,
) -> None:
    async def scenario(box: Outbox) -> list[list[tuple[str, str | None]]]:
        await box.queue(FIRST, FIRST, FIRST)

        async def redeliver(row: int) -> None:
            await box.database.write(
                delivery_store.redeliver, box.account_sid, token(row), utc_now()
            )

        async def seen() -> list[tuple[str, str | None]]:
            return [(status, key) for status, _, key in await box.rows()]

        await redeliver(1)  # a waiting one: sent now, out of its order
        await redeliver(0)  # the head: due now, still the head
        after_waiting = await seen()
        await box.end(0, DELIVERED)
        await redeliver(0)  # an old event again: beside the new head, holding nothing
        return [after_waiting, await seen()]

    assert run(database_url, scenario) == [
        [(PENDING, FIRST), (PENDING, None), (WAITING, FIRST)],
        [(PENDING, None), (PENDING, None), (PENDING, FIRST)],
    ]


def test_an_order_never_has_two_pending_deliveries(database_url: str) -> None:
    """Whoever queues them, however concurrently: the database refuses a second head."""

    async def scenario(box: Outbox) -> None:
        await box.queue(FIRST)
        now = utc_now()

        def second_head(conn: Connection) -> None:
            values = {
                "token": token(99),
                "account_sid": box.account_sid,
                "target": "webhook",
                "event_type": "onMessageAdded",
                "method": "POST",
                "params": [],
                "status": PENDING,
                "order_key": FIRST,
                "date_created": now,
                "date_updated": now,
            }
            conn.execute(insert(deliveries).values(values))

        with pytest.raises(IntegrityError):
            await box.database.write(second_head)

    run(database_url, scenario)


def test_a_waiting_delivery_names_its_head_and_is_never_pruned(database_url: str) -> None:
    async def scenario(box: Outbox) -> tuple[list[str | None], list[int]]:
        await box.queue(FIRST, FIRST, None)

        def read(conn: Connection) -> tuple[list[str | None], list[int]]:
            found = [delivery_store.find_delivery(conn, None, token(n)) for n in range(3)]
            finished = delivery_store.finished_before(conn, utc_now() + timedelta(days=1), 10)
            return [d.waiting_for if d else "missing" for d in found], finished

        return await box.database.read(read)

    waiting_for, finished = run(database_url, scenario)
    assert waiting_for == [None, token(0), None]
    assert finished == []  # pending and waiting alike


def test_the_order_statements_seek_the_order_index(tmp_path: Path) -> None:
    last = sqlite_plan(tmp_path, outbox._LAST_UNFINISHED, order_key=FIRST)
    assert "ix_deliveries_order_key_status_id (order_key=?" in last, last
    (tmp_path / "plan.db").unlink()
    start = sqlite_plan(tmp_path, outbox._START_NEXT, ended_order=FIRST, now=None)
    assert "ix_deliveries_order_key_status_id (order_key=? AND status=?)" in start, start
