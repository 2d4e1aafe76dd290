"""Claiming and recording deliveries in bulk (a database of the test's own, a sender that
answers at once)."""

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from chinwag.delivery.sender import OutboundRequest, SendResult
from chinwag.delivery.worker import Worker
from chinwag.domain.accounts import create_account
from chinwag.store import full_claim, outbox
from chinwag.store.database import Database, open_database
from chinwag.store.migrate import upgrade
from chinwag.twilio.dates import utc_now

LEASE = timedelta(minutes=5)
NOW = timedelta(0)


class InstantSender:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, request: OutboundRequest) -> SendResult:
        self.sent.append(request.idempotency_token)
        return SendResult(200, None)


def count_writes(
    database: Database, monkeypatch: pytest.MonkeyPatch, fail_records: int = 0
) -> Counter[str]:
    """Counts the worker's write transactions by the work run in them; the first
    `fail_records` record_outcomes writes raise."""
    writes: Counter[str] = Counter()
    original = database.write_locking

    async def write_locking(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        writes[work.__name__] += 1
        if work is outbox.record_outcomes and writes[work.__name__] <= fail_records:
            raise RuntimeError("record_outcomes failed")
        return await original(work, *args, **kwargs)

    monkeypatch.setattr(database, "write_locking", write_locking)
    return writes


async def queue(database: Database, due: Sequence[tuple[str | None, timedelta]]) -> None:
    """One pending delivery per (webhook, due from now), in this outbox order; a webhook
    of None is a service-level URL's."""
    account = await database.write(create_account, "outbox")
    now = utc_now()
    rows = [
        outbox.NewDelivery(
            token=f"00000000-0000-0000-0000-{i:012d}",
            account_sid=account.sid,
            service_sid="IS" + "0" * 32,
            conversation_sid=None,
            webhook_sid=webhook,
            target="webhook",
            event_type="onMessageAdded",
            url=f"http://127.0.0.1:9/{webhook}",
            flow_sid=None,
            method="POST",
            params=[("Index", str(i))],
            date_created=now + delay,  # a new row is due when it is created
        )
        for i, (webhook, delay) in enumerate(due)
    ]
    await database.write(outbox.insert_deliveries, rows)


async def count(database: Database, where: str) -> int:
    def run(conn: Connection) -> int:
        return int(conn.execute(text(f"SELECT count(*) FROM {where}")).scalar_one())

    return await database.read(run)


def test_a_claim_takes_the_oldest_due_first_and_same_time_rows_in_outbox_order(
    database_url: str,
) -> None:
    async def scenario() -> list[int]:
        database = open_database(database_url)
        try:
            earlier, earliest, future = (timedelta(seconds=s) for s in (-1, -2, 60))
            rows = [("WH1", earlier), ("WH2", NOW), ("WH1", earlier), ("WH3", earliest)]
            await queue(database, [*rows, ("WH4", NOW), ("WH5", future)])
            claimed = await database.write_locking(full_claim.claim_due, utc_now(), 10, LEASE)
            again = await database.write_locking(full_claim.claim_due, utc_now(), 10, LEASE)
            assert again == []  # leased, or not due
            return [int(d.token[-12:]) for d in claimed]
        finally:
            await database.close()

    # WH3's is due first; WH1's two share a time and keep their order, as do WH2's and
    # WH4's; WH5's is not due yet.
    assert asyncio.run(scenario()) == [3, 0, 2, 1, 4]


def sqlite_plan(tmp_path: Path, statement: Any, **params: object) -> str:
    """SQLite's EXPLAIN QUERY PLAN of `statement` on a migrated database."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)

    def plan(conn: Connection) -> str:
        compiled = statement.compile(dialect=conn.dialect)
        values = compiled.construct_params(params)
        args = tuple(values[name] for name in compiled.positiontup or [])
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args)
        return " | ".join(str(row[-1]) for row in rows)

    async def scenario() -> str:
        database = open_database(url)
        try:
            return await database.read(plan)
        finally:
            await database.close()

    return asyncio.run(scenario())


def test_a_claim_reads_the_index_in_order_instead_of_sorting_the_backlog(
    tmp_path: Path,
) -> None:
    described = sqlite_plan(tmp_path, outbox.DUE, now="2030-01-01 00:00:00", limit=100)
    assert "ix_deliveries_status_next_attempt_at" in described
    assert "TEMP B-TREE" not in described, described


def test_a_webhook_claim_seeks_the_webhook_index_instead_of_reading_the_backlog(
    tmp_path: Path,
) -> None:
    described = sqlite_plan(
        tmp_path, outbox.DUE_FOR_WEBHOOK, now="2030-01-01 00:00:00", limit=10, webhook_sid="WH1"
    )
    assert "ix_deliveries_webhook_sid_status_next_attempt_at (webhook_sid=? AND" in described
    assert "TEMP B-TREE" not in described, described


def test_a_webhook_claim_takes_only_its_due_rows_oldest_first_up_to_its_count(
    database_url: str,
) -> None:
    async def scenario() -> list[list[int]]:
        database = open_database(database_url)
        try:
            later = timedelta(seconds=60)
            rows = [("WH1", NOW), ("WH2", NOW), ("WH1", NOW), ("WH3", later), ("WH1", NOW)]
            await queue(database, rows)

            async def claim(rows_per_webhook: dict[str, int]) -> list[int]:
                claimed = await database.write_locking(
                    outbox.claim_for_webhooks, utc_now(), LEASE, rows_per_webhook
                )
                return [int(d.token[-12:]) for d in claimed]

            return [
                await claim({"WH1": 2, "WH3": 5}),  # WH3's one row is not due yet
                await claim({"WH1": 5}),  # the rest of WH1's; the first two are leased
                await claim({"WH1": 5}),
                [
                    int(d.token[-12:])
                    for d in await database.write_locking(
                        full_claim.claim_due, utc_now(), 10, LEASE
                    )
                ],
            ]
        finally:
            await database.close()

    assert asyncio.run(scenario()) == [[0, 2], [4], [], [1]]


def test_a_webhook_whose_queue_ends_has_its_next_rows_claimed_without_a_full_claim(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WH1's second row falls due while its first is being sent; polls are an hour
    apart, so only the claim by webhook can find it."""
    clock = [utc_now() + timedelta(seconds=1)]

    class ClockAdvancingSender(InstantSender):
        async def send(self, request: OutboundRequest) -> SendResult:
            clock[0] += timedelta(seconds=10)
            return await super().send(request)

    async def scenario() -> None:
        database = open_database(database_url)
        writes = count_writes(database, monkeypatch)
        sender = ClockAdvancingSender()
        worker = Worker(database, sender, clock=lambda: clock[0], poll_interval=3600)
        try:
            await queue(database, [("WH1", NOW), ("WH1", timedelta(seconds=5))])
            running = asyncio.create_task(worker.run())
            while await count(database, "deliveries WHERE status = 'pending'"):
                await asyncio.sleep(0.01)  # pytest-timeout ends a wait that hangs
            worker.stop()
            await running

            assert [int(token[-12:]) for token in sender.sent] == [0, 1]
            assert writes["claim_due"] == 1  # the first, at start
            assert writes["claim_for_webhooks"] >= 1
        finally:
            await database.close()

    asyncio.run(scenario())


def test_queues_that_finish_together_are_recorded_in_one_write(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        database = open_database(database_url)
        writes = count_writes(database, monkeypatch)
        sender = InstantSender()
        worker = Worker(database, sender, host_concurrency=100, poll_interval=0.01)
        try:
            await queue(database, [(f"WH{i}", NOW) for i in range(30)])
            running = asyncio.create_task(worker.run())
            while await count(database, "deliveries WHERE status = 'pending'"):
                await asyncio.sleep(0.01)  # pytest-timeout ends a wait that hangs
            worker.stop()
            await running

            assert len(sender.sent) == 30
            assert writes["record_outcomes"] == 1  # not one per webhook queue
            assert await count(database, "delivery_attempts WHERE response_status = 200") == 30
        finally:
            await database.close()

    asyncio.run(scenario())


def test_a_failed_write_leaves_the_whole_batch_leased_to_be_sent_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        database = open_database(database_url)
        writes = count_writes(database, monkeypatch, fail_records=1)
        sender = InstantSender()
        try:
            await queue(database, [("WH1", NOW), ("WH2", NOW), ("WH3", NOW)])
            clock = [utc_now()]  # after the rows' creation, so they are due
            worker = Worker(database, sender, clock=lambda: clock[0], poll_interval=0.01)
            running = asyncio.create_task(worker.run())
            while writes["record_outcomes"] < 1:
                await asyncio.sleep(0.01)
            assert await count(database, "deliveries WHERE status = 'pending'") == 3
            clock[0] += LEASE * 2  # the leases end: the rows are claimed and sent again
            worker.wake()  # now, not at its idle recheck (the lease's length, in real time)
            while await count(database, "deliveries WHERE status = 'pending'"):
                await asyncio.sleep(0.01)
            worker.stop()
            await running

            assert sorted(Counter(sender.sent).values()) == [2, 2, 2]
            assert await count(database, "delivery_attempts") == 3  # none from the failed one
        finally:
            await database.close()

    asyncio.run(scenario())


def test_the_skipping_claim_and_the_lease_statements_keep_their_indexes(tmp_path: Path) -> None:
    """The lists bound as one parameter (store/bound_lists.py) must not cost an index; the
    window is read from the due index alone, in its order."""
    skipping = sqlite_plan(
        tmp_path,
        full_claim._DUE_IN_WINDOW,
        now="2030-01-01 00:00:00",
        limit=100,
        window=400,
        skip_webhooks='["WH1"]',
        skip_urls="[]",
    )
    assert "COVERING INDEX ix_deliveries_status_next_attempt_at" in skipping, skipping
    assert "SEARCH deliveries USING INTEGER PRIMARY KEY" in skipping, skipping
    for statement in (outbox._LEASE, outbox._RENEW, outbox._STILL_QUEUED):
        (tmp_path / "plan.db").unlink()
        described = sqlite_plan(tmp_path, statement, ids="[1, 2]", until=None)
        assert described.startswith("SEARCH deliveries USING INTEGER PRIMARY KEY"), described


def test_past_the_window_a_claim_seeks_each_webhook_and_the_service_urls(tmp_path: Path) -> None:
    """Neither the heads nor the service-level URLs' rows are found by reading the due
    index: a seek per webhook, and the NULL range of the webhook index."""
    now = "2030-01-01 00:00:00"
    heads = sqlite_plan(tmp_path, full_claim._DUE_HEADS, now=now, limit=10, skip_webhooks="[]")
    assert "ix_deliveries_status_next_attempt_at" not in heads, heads
    assert "ix_deliveries_webhook_sid_status_next_attempt_at (webhook_sid>?)" in heads
    assert "INDEX ix_deliveries_webhook_sid_status_next_attempt_at (webhook_sid=? AND" in heads
    (tmp_path / "plan.db").unlink()
    urls = sqlite_plan(tmp_path, full_claim._DUE_FOR_URLS, now=now, limit=10, skip_urls="[]")
    assert "ix_deliveries_status_next_attempt_at" not in urls, urls
    assert "INDEX ix_deliveries_webhook_sid_status_next_attempt_at (webhook_sid=? AND" in urls


async def claim_tokens(database: Database, limit: int, **skip: frozenset[str]) -> list[int]:
    claimed = await database.write_locking(full_claim.claim_due, utc_now(), limit, LEASE, **skip)
    return [int(d.token[-12:]) for d in claimed]


def test_past_a_window_of_busy_rows_a_claim_seeks_the_service_urls_and_the_webhooks_heads(
    database_url: str,
) -> None:
    """A claim of 2 reads a window of 8 due rows, all of busy WH1's: the rows behind them
    are found by seeking, the service URL's first, then the webhooks' by their head's age;
    WH1's are never taken, and leased rows are passed over."""

    async def scenario() -> list[list[int]]:
        database = open_database(database_url)
        try:
            busy: list[tuple[str | None, timedelta]] = [
                ("WH1", timedelta(seconds=-20 + i)) for i in range(10)
            ]
            rest = [("WH3", -5), ("WH2", -4), ("WH2", -3), (None, -2), *[("WH4", -1)] * 3]
            await queue(database, busy + [(sid, timedelta(seconds=s)) for sid, s in rest])
            skip = {"skip_webhooks": frozenset({"WH1"})}
            return [
                await claim_tokens(database, 2, **skip),  # window of 8: all WH1's
                await claim_tokens(database, 3, **skip),  # window of 12: WH2's first
                await claim_tokens(database, 5, **skip),  # the window holds every due row
                await claim_tokens(database, 20, **skip),
            ]
        finally:
            await database.close()

    # WH3's row is 10, WH2's 11 and 12, the URL's 13, WH4's 14 to 16. The second claim
    # takes WH2's first row in its window, so WH2 is not sought again; WH3's head is
    # leased; WH4 takes the room left.
    assert asyncio.run(scenario()) == [[13, 10], [11, 14, 15], [12, 16], []]


@pytest.mark.parametrize(
    "statement",
    [
        outbox.DUE,
        outbox.DUE_FOR_WEBHOOK,
        full_claim._DUE_IN_WINDOW,
        full_claim._DUE_HEADS,
        full_claim._DUE_FOR_URLS,
    ],
)
def test_every_claiming_statement_tests_the_locked_row_itself(statement: Any) -> None:
    """On PostgreSQL, FOR UPDATE on a row another worker changed and committed after the
    statement's snapshot locks its new version, rechecking only the conditions on that
    table: a lease tested in a subquery alone let two workers claim one row."""
    sql = str(statement.compile(dialect=PGDialect_asyncpg()))  # type: ignore[no-untyped-call]
    assert "FOR UPDATE OF deliveries SKIP LOCKED" in sql
    outer = sql.rsplit("WHERE", 1)[1]
    assert "deliveries.status" in outer, sql
    assert "deliveries.lease_until IS NULL OR deliveries.lease_until <= " in outer, sql


def test_shares_split_the_room_evenly_oldest_head_first() -> None:
    assert full_claim.shares(10, 3) == [4, 3, 3]
    assert full_claim.shares(2, 5) == [1, 1, 0, 0, 0]
    assert full_claim.shares(5, 0) == []
