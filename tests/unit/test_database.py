"""A commit that queued deliveries wakes workers: in this process (the doorbell the database
was built with), and on PostgreSQL in any (NOTIFY)."""

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import OperationalError

from chinwag.store.checkpoints import BACKSTOP_PAGES, CHECKPOINT_PAUSE
from chinwag.store.database import (
    COMMIT_WATCH_INTERVAL,
    Database,
    Doorbell,
    SqliteDatabase,
    open_database,
    unit_of_work,
)
from chinwag.store.migrate import upgrade
from chinwag.store.outbox import NewDelivery, insert_deliveries
from chinwag.twilio.dates import utc_now
from tests.databases import ENGINES, EngineDatabases


def delivery(number: int) -> NewDelivery:
    return NewDelivery(
        token=f"token-{number}",
        account_sid="AC" + "0" * 32,
        service_sid="IS" + "0" * 32,
        conversation_sid=None,
        webhook_sid=None,
        target="webhook",
        event_type="onUserAdded",
        url="http://127.0.0.1:9/",
        flow_sid=None,
        method="POST",
        params=[("EventType", "onUserAdded")],
        date_created=utc_now(),
    )


class Aborted(Exception):
    pass


def queue_then_abort(conn: Connection) -> None:
    insert_deliveries(conn, [delivery(0)])
    raise Aborted


def test_only_committed_deliveries_wake_listeners(database_url: str) -> None:
    asyncio.run(_only_committed_deliveries_wake(database_url))


async def _only_committed_deliveries_wake(url: str) -> None:
    doorbell = Doorbell()
    listening, writing = open_database(url), open_database(url, doorbell=doorbell)  # 2 processes
    wakes: list[str] = []
    woken = asyncio.Event()

    def wake() -> None:
        wakes.append("listener")
        woken.set()

    doorbell.subscribe(lambda: wakes.append("in-process"))
    unsubscribe = await listening.listen_for_deliveries(wake)
    try:
        with contextlib.suppress(Aborted):  # rolled back: wakes nobody
            await writing.write(queue_then_abort)
        await writing.write(lambda conn: None)  # nothing queued
        await writing.write(insert_deliveries, [delivery(1)])
        if listening.is_postgresql:  # NOTIFY arrives after the commit, in commit order
            await asyncio.wait_for(woken.wait(), 10)
            assert sorted(wakes) == ["in-process", "listener"]
        else:  # no channel between processes on SQLite: see the data_version test below
            assert wakes == ["in-process"]
    finally:
        await unsubscribe()
        await close(listening, writing)


async def close(*databases: Database) -> None:
    for database in databases:
        await database.close()


def migrated_sqlite(tmp_path: Path, name: str) -> str:
    """The URL of a new SQLite file with chinwag's schema."""
    url = f"sqlite:///{tmp_path / name}"
    upgrade(url)
    return url


def count_deliveries(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one())


def test_a_listener_hears_this_process_s_commits_until_it_unsubscribes(database_url: str) -> None:
    asyncio.run(_listener_hears_until_unsubscribed(database_url))


async def _listener_hears_until_unsubscribed(url: str) -> None:
    database = open_database(url)
    wakes: list[str] = []
    unsubscribe = await database.listen_for_deliveries(lambda: wakes.append("woken"))
    try:
        await database.write(insert_deliveries, [delivery(1)])
        if database.is_postgresql:  # its own NOTIFY as well, after the commit
            while len(wakes) < 2:
                await asyncio.sleep(0.01)  # pytest-timeout ends a wait that hangs
        assert wakes[0] == "woken" and len(wakes) == (2 if database.is_postgresql else 1)
        await unsubscribe()
        await database.write(insert_deliveries, [delivery(2)])
        await asyncio.sleep(0.05)
        assert len(wakes) == (2 if database.is_postgresql else 1)
    finally:
        await database.close()


def test_the_doorbell_rings_every_subscriber_until_it_unsubscribes() -> None:
    doorbell, rings = Doorbell(), []
    first = doorbell.subscribe(lambda: rings.append("first"))
    doorbell.subscribe(lambda: rings.append("second"))
    doorbell.ring()
    first()
    doorbell.ring()
    assert rings == ["first", "second", "second"]


def test_on_sqlite_another_process_s_commit_is_seen_without_a_write(tmp_path: Path) -> None:
    """SQLite has no NOTIFY (PostgreSQL wakes other processes by it): `committed` is called
    when another process commits (the file's data_version moves), so an idle worker
    elsewhere looks without claiming; not for the process's own commits, which its
    listeners hear of at once (else every socket would re-read everything on each write)."""
    asyncio.run(_commit_elsewhere_seen(migrated_sqlite(tmp_path, "watched.db")))


async def _commit_elsewhere_seen(url: str) -> None:
    listening, writing = open_database(url), open_database(url)  # as two processes
    seen = asyncio.Event()
    unsubscribe = await listening.listen_for_deliveries(lambda: None, seen.set)
    try:
        await asyncio.sleep(3 * COMMIT_WATCH_INTERVAL)
        assert not seen.is_set()  # nothing committed yet
        await listening.write(insert_deliveries, [delivery(2)])
        await asyncio.sleep(3 * COMMIT_WATCH_INTERVAL)
        assert not seen.is_set()  # only its own commit
        await writing.write(insert_deliveries, [delivery(1)])
        await asyncio.wait_for(seen.wait(), 10)
    finally:
        await unsubscribe()
        await close(listening, writing)


def test_a_unit_of_work_cancelled_while_it_waits_on_the_database_ends_cancelled(
    database_url: str,
) -> None:
    """A task cancelled mid-statement (a socket closing on shutdown, say) ends cancelled, not
    with another error that a caller's `except Exception` would swallow and go on waiting."""
    asyncio.run(_cancelled_mid_statement(database_url))


async def _cancelled_mid_statement(url: str) -> None:
    database = open_database(url)
    statement_sent = asyncio.Event()

    def slow(conn: Connection) -> None:
        statement_sent.set()
        if database.is_postgresql:  # SQLite's statements run on the loop: none is cancelled
            conn.execute(text("SELECT pg_sleep(10)"))

    try:
        task = asyncio.create_task(database.read(slow))
        await statement_sent.wait()
        task.cancel()
        if database.is_postgresql:
            with pytest.raises(asyncio.CancelledError):
                await task
        else:  # the unit ran to its end before the cancel
            assert task.done() and task.result() is None
        assert await database.read(lambda conn: conn.execute(text("SELECT 1")).scalar()) == 1
    finally:
        await database.close()


# SQLite's statements run on the loop: a BEGIN there is never cut short.
@pytest.mark.skipif("postgresql" not in ENGINES, reason="runs on PostgreSQL only")
def test_a_connection_whose_begin_was_cancelled_is_not_reused(
    databases_by_engine: EngineDatabases,
) -> None:
    """A task cancelled while its BEGIN is on the wire leaves the asyncpg connection thinking
    a transaction is open (SQLAlchemy never learns of it), and the pool would hand it to the
    next unit of work, which then failed at its own BEGIN ("nested transaction has a different
    isolation level") or ran inside the stale one. The pool replaces such a connection."""
    databases = databases_by_engine["postgresql"]
    url = databases.new()
    try:
        asyncio.run(_begin_cancelled(url))
    finally:
        databases.drop(url)


async def _begin_cancelled(url: str) -> None:
    database = open_database(url, pool_size=1)
    try:
        async with database.engine.connect() as conn:  # type: ignore[attr-defined]
            driver = (await conn.get_raw_connection()).driver_connection
            begin = asyncio.create_task(driver.transaction(isolation="repeatable_read").start())
            await asyncio.sleep(0)  # BEGIN sent; its answer not yet read
            begin.cancel()
            with pytest.raises(asyncio.CancelledError):
                await begin
        for unit in (database.write_locking, database.write, database.read):
            assert await unit(lambda conn: conn.execute(text("SELECT 1")).scalar()) == 1
    finally:
        await database.close()


def test_on_sqlite_a_read_series_holds_its_snapshot_apart_from_the_shared_reader(
    tmp_path: Path,
) -> None:
    """A series (a download's reads) is one transaction on a connection of its own: it
    keeps its snapshot across awaits while every other read sees each new commit. An
    in-memory database has no second connection: there each read is its own."""
    asyncio.run(_series_apart(f"sqlite:///{tmp_path / 'series.db'}"))


def _count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def _insert(conn: Connection) -> None:
    conn.execute(text("INSERT INTO t VALUES (1)"))


async def _series_apart(url: str) -> None:
    database, in_memory = open_database(url), open_database("sqlite://")
    try:
        await database.write(lambda conn: conn.execute(text("CREATE TABLE t (x INTEGER)")))
        await database.write(_insert)
        async with database.read_series() as series:
            assert series.one_transaction
            assert await series.read(_count) == 1
            await database.write(_insert)
            assert await database.read(_count) == 2
            assert await series.read(_count) == 1
        async with database.read_series() as series:
            assert await series.read(_count) == 2
        async with in_memory.read_series() as series:
            assert not series.one_transaction
    finally:
        await close(database, in_memory)


def test_a_failed_unit_of_work_rolls_back_alone_among_those_asked_with_it(
    database_url: str,
) -> None:
    """Writes asked for together (SQLite commits them as one group, each in a savepoint)
    answer one by one: the failed one leaves nothing, the others stand."""
    asyncio.run(_failed_unit_alone(database_url))


def _insert_delivery_then_fail(conn: Connection, number: int) -> None:
    insert_deliveries(conn, [delivery(number)])
    raise Aborted


async def _failed_unit_alone(url: str) -> None:
    database = open_database(url)
    try:
        answers = await asyncio.gather(
            database.write(insert_deliveries, [delivery(1)]),
            database.write(_insert_delivery_then_fail, 2),
            database.write(insert_deliveries, [delivery(3)]),
            return_exceptions=True,
        )
        assert answers[0] is None and isinstance(answers[1], Aborted) and answers[2] is None
        tokens = await database.read(
            lambda conn: conn.execute(text("SELECT token FROM deliveries ORDER BY token")).scalars()
        )
        assert list(tokens) == ["token-1", "token-3"]
    finally:
        await database.close()


def test_on_sqlite_writes_asked_for_together_share_one_commit(tmp_path: Path) -> None:
    asyncio.run(_one_commit_for_a_group(migrated_sqlite(tmp_path, "grouped.db")))


async def _one_commit_for_a_group(url: str) -> None:
    database = open_database(url)
    assert isinstance(database, SqliteDatabase)
    commits: list[int] = []
    event.listen(database.engine, "commit", lambda conn: commits.append(1))
    units: list[object] = []

    def note_unit(conn: Connection, number: int) -> None:
        units.append(unit_of_work(conn))
        insert_deliveries(conn, [delivery(number)])
        units.append(unit_of_work(conn))

    try:
        await asyncio.gather(*(database.write(note_unit, number) for number in range(5)))
        assert len(commits) == 1
        assert len(set(units)) == 5  # one identity per unit, the same within each
        await database.write(note_unit, 5)
        assert len(commits) == 2
    finally:
        await database.close()


def test_on_sqlite_a_write_whose_caller_left_before_its_turn_is_not_run(tmp_path: Path) -> None:
    asyncio.run(_caller_left(migrated_sqlite(tmp_path, "left.db")))


async def _caller_left(url: str) -> None:
    database = open_database(url)
    try:
        left = asyncio.create_task(database.write(insert_deliveries, [delivery(1)]))
        await asyncio.sleep(0)  # the task now waits for the group's commit
        left.cancel()
        await database.write(insert_deliveries, [delivery(2)])
        assert left.cancelled()
        assert await database.read(count_deliveries) == 1
    finally:
        await database.close()


def test_on_sqlite_a_thread_copies_the_log_into_the_database_file(tmp_path: Path) -> None:
    """The writer's own checkpoint waits for a log of BACKSTOP_PAGES; the thread copies a
    few pages' commits long before that, off the event loop."""
    url = migrated_sqlite(tmp_path, "checkpointed.db")
    asyncio.run(_log_copied(url, tmp_path / "checkpointed.db"))


async def _log_copied(url: str, path: Path) -> None:
    database = open_database(url)
    try:
        await database.write(lambda conn: None)  # opens the writer, with its checkpointer
        await asyncio.sleep(3 * CHECKPOINT_PAUSE)
        before = path.stat().st_size
        autocheckpoint = await database.write(
            lambda conn: conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
        )
        assert autocheckpoint == BACKSTOP_PAGES
        await database.write(insert_deliveries, [delivery(number) for number in range(500)])
        for _ in range(100):
            if path.stat().st_size > before:
                break
            await asyncio.sleep(CHECKPOINT_PAUSE)
        assert path.stat().st_size > before
    finally:
        await database.close()


def test_on_sqlite_a_loop_that_ends_before_its_group_commits_leaves_no_write_waiting(
    tmp_path: Path,
) -> None:
    """A loop can stop between a write's request and its group's commit (asyncio.run
    returning); that unit is dropped, and the next loop's writes are committed."""
    database = open_database(migrated_sqlite(tmp_path, "loops.db"))
    first = asyncio.new_event_loop()
    abandoned = first.create_task(database.write(insert_deliveries, [delivery(1)]))
    first.call_soon(first.stop)  # after the write's first step, before its group's commit
    first.run_forever()
    first.close()
    assert not abandoned.done()

    async def second_loop() -> int:
        await asyncio.wait_for(database.write(insert_deliveries, [delivery(2)]), 5)
        count = await database.read(count_deliveries)
        await database.close()
        return count

    assert asyncio.run(second_loop()) == 1


@contextlib.contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process's writer holding the file's write lock, mid-transaction."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_on_sqlite_a_group_waits_for_another_process_s_write_lock_on_the_loop(
    tmp_path: Path,
) -> None:
    """SQLite's busy handler would hold the event loop while it waits (and back off to
    100 ms sleeps); the group waits on the loop instead, and commits once the lock is free."""
    url = migrated_sqlite(tmp_path, "waits.db")
    asyncio.run(_group_waits_on_the_loop(url, tmp_path / "waits.db"))


async def _group_waits_on_the_loop(url: str, path: Path) -> None:
    database = open_database(url)
    try:
        await database.write(lambda conn: None)  # the writer is open
        with write_lock_held(path):
            waiting = asyncio.create_task(database.write(insert_deliveries, [delivery(1)]))
            await asyncio.sleep(0.05)  # the loop runs this while the write waits
            assert not waiting.done()
            joining = asyncio.create_task(database.write(insert_deliveries, [delivery(2)]))
            await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.gather(waiting, joining), 5)
        assert await database.read(count_deliveries) == 2
    finally:
        await database.close()


def test_on_sqlite_a_group_that_cannot_take_the_write_lock_in_time_fails_every_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another process holds the file's write lock past the busy timeout, every unit
    of the group gets SQLite's "database is locked" and none is written."""
    monkeypatch.setattr("chinwag.store.database.BUSY_TIMEOUT_MS", 50)
    url = migrated_sqlite(tmp_path, "locked.db")
    asyncio.run(_group_cannot_begin(url, tmp_path / "locked.db"))


async def _group_cannot_begin(url: str, path: Path) -> None:
    database = open_database(url)
    try:
        with write_lock_held(path):
            answers = await asyncio.gather(
                database.write(insert_deliveries, [delivery(1)]),
                database.write(insert_deliveries, [delivery(2)]),
                return_exceptions=True,
            )
        assert all(isinstance(answer, OperationalError) for answer in answers), answers
        assert all("database is locked" in str(answer) for answer in answers), answers
        await database.write(insert_deliveries, [delivery(3)])
        assert await database.read(count_deliveries) == 1
    finally:
        await database.close()


def test_on_sqlite_closing_answers_a_group_that_waits_for_the_write_lock(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path, "closing.db")
    asyncio.run(_close_while_waiting(url, tmp_path / "closing.db"))


async def _close_while_waiting(url: str, path: Path) -> None:
    database = open_database(url)
    with write_lock_held(path):
        waiting = asyncio.create_task(database.write(insert_deliveries, [delivery(1)]))
        await asyncio.sleep(0)  # asked for: its group is due
        closing = asyncio.create_task(database.close())
        await asyncio.sleep(0.05)
        assert not closing.done()
    await asyncio.wait_for(closing, 5)
    assert waiting.done() and waiting.exception() is None
    reopened = open_database(url)
    try:
        assert await reopened.read(count_deliveries) == 1
    finally:
        await reopened.close()
