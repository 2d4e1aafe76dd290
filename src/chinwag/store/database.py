"""The database handle: the one way to run work in a transaction, on either engine.

Store functions are plain synchronous SQLAlchemy Core code that takes a
`Connection`; `Database.write(work, ...)` and `Database.read(work, ...)` run one in
a transaction and are awaited by the caller. Reads spread over the time a client takes
(a download) run in a `Database.read_series`.

- SQLite (the embedded default): queries run inline on the event loop. A WAL-mode
  write with synchronous=NORMAL takes far less time than a thread hop
  (docs/benchmarks.md), and running each unit of work to completion without an `await` makes it
  atomic with respect to every other request in this process. Write transactions
  start with BEGIN IMMEDIATE, so check-then-write rules (five webhooks per
  conversation, unique names) also hold against other processes on the same file.
  Writes are committed in groups: the units of work asked for while the loop was busy
  run one after another in one transaction, each in a savepoint of its own (a unit
  that fails rolls back only itself), and one commit answers them all. Each caller
  still gets its answer only after that commit.
- PostgreSQL (scale-out): the same work runs over asyncpg through SQLAlchemy's
  `run_sync`, so the event loop is never blocked. Write transactions are
  SERIALIZABLE and retried on a serialization failure, which gives every
  check-then-write rule the same guarantee as SQLite's single writer, across any
  number of processes. Work that locks the rows its rules depend on (the outbox
  claim; writes under one conversation, which lock its row) runs at READ
  COMMITTED instead (`write_locking`): hot paths wait their turn rather than
  fail and retry. Both retry a unique violation: a rule kept across conversations
  by a unique index (one open conversation per address pair) then answers with its
  own error once the winner has committed. A commit that queued deliveries sends
  NOTIFY, so workers wake without polling.

A unit of work that queues deliveries says so (`mark_deliveries_queued`); once it
has committed, the database rings the `Doorbell` it was built with, which wakes
the worker in this process at once. A rolled-back unit rings nothing. Commits of
other processes reach a worker by NOTIFY on PostgreSQL; on SQLite, by the file's
`PRAGMA data_version`, which changes when any other connection commits (read,
never written, a few times a second, so an idle worker need not claim to look).
"""

import asyncio
import contextlib
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

from sqlalchemy import Connection, Engine, NullPool, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chinwag.store.changes import ANYTHING, CHANGES_CHANNEL, Change, ChangeBell, take_changed
from chinwag.store.checkpoints import BACKSTOP_PAGES, Checkpointer
from chinwag.store.sqlite_file import database_file, make_private

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("chinwag.store")

# Set in a connection's `info` by a unit of work that queued deliveries.
_DELIVERIES_QUEUED = "chinwag.deliveries_queued"
# Set in a connection's `info` to the unit of work a group commit is running.
_UNIT = "chinwag.unit"
# The PostgreSQL channel a commit that queued deliveries notifies.
DELIVERIES_CHANNEL = "chinwag_deliveries"
# SQLSTATEs after which a SERIALIZABLE transaction is simply run again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
MAX_SERIALIZABLE_TRIES = 60
# unique_violation: PostgreSQL reports it instead of a serialization failure when a
# concurrent transaction inserted the same key first. Run again, the rule's own
# check sees that row and answers with Twilio's error; a few tries are enough.
UNIQUE_VIOLATION, MAX_UNIQUE_TRIES = "23505", 3
DEFAULT_POOL_SIZE = 10
COMMIT_WATCH_INTERVAL = 0.2  # seconds between looks at SQLite's data_version
# How long SQLite waits for another connection's lock, as PRAGMA busy_timeout (ms).
BUSY_TIMEOUT_MS = 5000
LOCK_RETRY = 0.001  # seconds between a group commit's tries for a file another process holds
_NOTIFY_CHANGE = text(f"SELECT pg_notify('{CHANGES_CHANNEL}', :payload)")
MAX_RETRY_WAIT = 0.1  # seconds; waits grow from 1 ms, doubling, each drawn at random below
# Its own generator, as delivery/retry.py's: the shared one is the embedding app's.
_BACKOFF = random.Random()


class UnsupportedDatabase(ValueError):
    pass


class Doorbell:
    """Rung after every commit that queued deliveries; a worker in this process subscribes."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` at every ring from now on; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def ring(self) -> None:
        for listener in list(self._listeners):
            listener()


@dataclass(eq=False)  # each unit is itself: `unit_of_work` tells them apart
class _Unit(Generic[T]):
    """A unit of work waiting for SQLite's next group commit, and its caller's answer."""

    run: Callable[[Connection], T]
    answer: asyncio.Future[T]

    def waiting(self) -> bool:
        """Whether its caller still waits: not answered, not cancelled, its loop running."""
        return not self.answer.done() and not self.answer.get_loop().is_closed()


def unit_of_work(conn: Connection) -> object:
    """What identifies the unit of work running on `conn`: the same for all its statements,
    another for the next unit, even when SQLite commits both in one transaction."""
    return conn.info.get(_UNIT) or conn.get_transaction()


def _run_group(
    conn: Connection, group: list[_Unit[Any]]
) -> tuple[list[tuple[_Unit[Any], Any]], list[str], bool]:
    """Run each unit of a group whose caller still waits: the units that stand with their
    results, the changes they marked, and whether they queued deliveries."""
    kept: list[tuple[_Unit[Any], Any]] = []
    changes: list[str] = []
    queued = False
    for unit in group:
        if not unit.waiting():
            continue
        ran = _in_savepoint(conn, unit)
        if ran is not None:
            kept.append(ran)
            changes += take_changed(conn)
            queued = _take_deliveries_queued(conn) or queued
    return kept, changes, queued


def _in_savepoint(conn: Connection, unit: _Unit[T]) -> tuple[_Unit[T], T] | None:
    """Run `unit` in a savepoint of the group's transaction; if it fails, roll back to the
    savepoint, forget what it marked, answer its caller with the error and return None."""
    raw = conn.connection.driver_connection
    assert raw is not None
    conn.info[_UNIT] = unit
    raw.execute("SAVEPOINT unit")
    try:
        result = unit.run(conn)
    except Exception as error:
        raw.execute("ROLLBACK TO unit")  # raises if SQLite ended the whole transaction
        raw.execute("RELEASE unit")
        take_changed(conn)  # a rolled-back change is told to no one
        _take_deliveries_queued(conn)
        unit.answer.set_exception(error)
        return None
    finally:
        del conn.info[_UNIT]
    raw.execute("RELEASE unit")
    return unit, result


def mark_deliveries_queued(conn: Connection) -> None:
    """The unit of work running on `conn` queued deliveries: ring when it commits."""
    conn.info[_DELIVERIES_QUEUED] = True


def _take_deliveries_queued(conn: Connection | None) -> bool:
    """Whether the unit of work on `conn` queued deliveries, forgetting it: `info` lives
    as long as the pooled connection, past this transaction."""
    return conn is not None and bool(conn.info.pop(_DELIVERIES_QUEUED, False))


def engine_url(url: str) -> str:
    """Normalise a user-given URL to the driver chinwag uses for its engine."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise UnsupportedDatabase(
        f"Database URL '{url}' is neither SQLite (sqlite:///path/to/file.db) "
        "nor PostgreSQL (postgresql://user:password@host/dbname)."
    )


def create_sqlite_engine(url: str, **options: Any) -> Engine:
    """The engine of an SQLite URL; `options` go to `create_engine` (a `poolclass`)."""
    engine = create_engine(engine_url(url), **options)
    path = database_file(engine_url(url))

    @event.listens_for(engine, "do_connect")
    def _before_connect(*_: Any) -> None:
        # The file holds auth tokens and key secrets: owner-only (store/sqlite_file.py).
        if path is not None:
            make_private(path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # A savepoint (each unit of a group commit) keeps the pages it changes in a
        # sub-journal: in memory, not a temporary file.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        mode = "IMMEDIATE" if options.get("write") else "DEFERRED"
        # On the driver itself: `exec_driver_sql` builds an execution context, a tenth
        # of a create's CPU (docs/benchmarks.md, "API", and its git history). Errors are raised as
        # SQLAlchemy's, as that did.
        sql = f"BEGIN {mode}"
        driver = connection.connection.driver_connection
        assert driver is not None
        try:
            if options.get("lock_or_busy"):  # SQLITE_BUSY at once: the caller waits instead
                driver.execute("PRAGMA busy_timeout=0")
                try:
                    driver.execute(sql)
                finally:
                    driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            else:
                driver.execute(sql)
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, (), error, sqlite3.Error) from error

    return engine


class Read(Protocol):
    """`Database.read`'s signature: `await read(work, *args)` runs `work(conn, *args)`."""

    async def __call__(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T: ...


@dataclass(frozen=True)
class ReadSeries:
    """Reads spread over a long time (a download's): `read` runs each; `one_transaction`
    says whether they share one transaction (one snapshot, held for the series)."""

    read: Read
    one_transaction: bool


class Database:
    """Runs units of work in transactions; `open_database` picks the engine."""

    url: str
    is_postgresql: bool = False

    def __init__(self, doorbell: Doorbell | None = None) -> None:
        self.doorbell = doorbell or Doorbell()
        self.changes = ChangeBell()  # committed changes of conversations (store/changes.py)

    async def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work` in one write transaction: committed whole, or rolled back whole."""
        raise NotImplementedError

    async def write_locking(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """A write transaction for work that locks the rows its rules depend on.

        The outbox claim (FOR UPDATE SKIP LOCKED) and writes under one conversation
        (which lock its row first) serialise themselves; on PostgreSQL they run at
        READ COMMITTED, where a writer waits for the lock and then sees the previous
        holder's commit, instead of failing and retrying as SERIALIZABLE would.
        """
        raise NotImplementedError

    async def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work` in one read transaction: a consistent snapshot."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def read_series(self) -> AsyncIterator[ReadSeries]:
        """Reads spread over the time a client takes: here each is a transaction of its
        own, as `read`, so none holds a connection of the pool while the client waits."""
        yield ReadSeries(self.read, one_transaction=False)

    async def listen_for_deliveries(
        self, wake: Callable[[], None], committed: Callable[[], None] | None = None
    ) -> Callable[[], Awaitable[None]]:
        """Call `wake` after every commit that queued deliveries; returns an async unsubscribe.

        This process's commits ring the doorbell; other processes' reach `wake` by
        NOTIFY on PostgreSQL. SQLite has no such channel: there `committed` is called
        when any commit, by any connection, may have changed the database, and the
        worker looks if it has nothing else to do.
        """
        unsubscribe_doorbell = self.doorbell.subscribe(wake)

        async def unsubscribe() -> None:
            unsubscribe_doorbell()

        return unsubscribe

    async def listen_for_changes(
        self, hear: Callable[[Change], None]
    ) -> Callable[[], Awaitable[None]]:
        """Call `hear` with every committed change of a conversation; returns an async
        unsubscribe. This process's commits are told at once; other processes' by NOTIFY
        on PostgreSQL, and on SQLite as `ANYTHING` when the file's data_version moves."""
        unsubscribe_bell = self.changes.subscribe(hear)

        async def unsubscribe() -> None:
            unsubscribe_bell()

        return unsubscribe

    async def announce(self, change: Change) -> None:
        """Tell every listener of a change nothing stores (a typing indicator)."""
        self.changes.ring(change.encode())

    async def ping(self) -> bool:
        try:
            await self.read(lambda conn: conn.execute(text("SELECT 1")))
        except Exception:  # any driver error means "not reachable"
            return False
        return True

    async def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    """One writer and one reader connection, held for the life of the process.

    Used from one thread (the event loop). Holding the connections saves a pool
    checkout per unit of work; SQLite in WAL mode lets the reader see every
    committed write while the writer works.
    """

    def __init__(self, url: str, doorbell: Doorbell | None = None) -> None:
        super().__init__(doorbell)
        self.url = url
        self.engine = create_sqlite_engine(url)
        self._writer: Connection | None = None
        self._reader: Connection | None = None
        self._series_engine: Engine | None = None
        self._group: list[_Unit[Any]] = []  # units waiting for the next group commit
        # The loop that commit is due on; None once it has run. A loop that ended before
        # running it (asyncio.run returning) leaves it set: the next loop schedules its own.
        self._commit_due_on: asyncio.AbstractEventLoop | None = None
        self._checkpointer: Checkpointer | None = None  # with the writer, for a file
        self._locked_since: float | None = None  # loop time of the first try the lock refused

    def _writer_connection(self) -> Connection:
        if self._writer is None:
            # Its BEGIN never waits in SQLite for another process's lock (`_commit_group`).
            self._writer = self.engine.connect().execution_options(write=True, lock_or_busy=True)
            if database_file(engine_url(self.url)) is not None:  # a file has a log to copy
                self._checkpointer = Checkpointer(self.engine.raw_connection)
                self._writer.connection.driver_connection.execute(  # type: ignore[union-attr]
                    f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}"
                )
        return self._writer

    def _reader_connection(self) -> Connection:
        if self._reader is None:
            self._reader = self.engine.connect()
        return self._reader

    async def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        loop = asyncio.get_running_loop()
        if self._commit_due_on is not loop:  # after the callbacks already due: their writes join
            self._commit_due_on = loop
            loop.call_soon(self._commit_group)
        unit: _Unit[T] = _Unit(lambda conn: work(conn, *args, **kwargs), loop.create_future())
        self._group.append(unit)
        return await unit.answer

    def _commit_group(self) -> None:
        """Run the waiting units in one transaction, a savepoint each, and commit once:
        one commit's cost (its WAL write, the file lock) for many requests.

        While another process holds the file's write lock, the group waits on the loop,
        tried again every LOCK_RETRY with the units asked for meanwhile, instead of in
        SQLite's busy handler, which would hold the loop and back off to 100 ms sleeps."""
        group, self._group = self._group, []
        self._commit_due_on = None
        conn = self._writer_connection()
        try:
            transaction = conn.begin()
        except DBAPIError as error:
            if self._try_again_later(group, error):
                return
            self._fail(conn, group, error)
            return
        self._locked_since = None
        try:
            with transaction:
                kept, changes, queued = _run_group(conn, group)
        except BaseException as error:  # COMMIT failed: no unit of the group stands
            self._fail(conn, group, error)
            if not isinstance(error, Exception):
                raise
            return
        if self._checkpointer is not None:
            self._checkpointer.committed()
        for unit, result in kept:
            unit.answer.set_result(result)
        if queued:
            self.doorbell.ring()
        for change in changes:
            self.changes.ring(change)

    def _try_again_later(self, group: list[_Unit[Any]], error: DBAPIError) -> bool:
        """Put a group back to be committed again shortly when its BEGIN found the file
        locked by another connection, until that has lasted BUSY_TIMEOUT_MS."""
        code = getattr(error.orig, "sqlite_errorcode", 0)  # extended: SQLITE_BUSY_RECOVERY too
        if code & 0xFF != sqlite3.SQLITE_BUSY:
            return False
        loop = asyncio.get_running_loop()
        if self._locked_since is None:
            self._locked_since = loop.time()
        elif loop.time() - self._locked_since > BUSY_TIMEOUT_MS / 1000:
            self._locked_since = None
            return False
        self._group[:0] = group
        if self._commit_due_on is not loop:
            self._commit_due_on = loop
            loop.call_later(LOCK_RETRY, self._commit_group)
        return True

    @staticmethod
    def _fail(conn: Connection, group: list[_Unit[Any]], error: BaseException) -> None:
        """BEGIN or COMMIT failed: every waiting unit of the group gets the error."""
        take_changed(conn)
        _take_deliveries_queued(conn)
        for unit in group:
            if unit.waiting():
                unit.answer.set_exception(error)

    write_locking = write

    async def listen_for_changes(
        self, hear: Callable[[Change], None]
    ) -> Callable[[], Awaitable[None]]:
        unsubscribe_bell = await super().listen_for_changes(hear)
        watching = asyncio.create_task(self._watch_commits(lambda: hear(ANYTHING)))

        async def unsubscribe() -> None:
            await unsubscribe_bell()
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching

        return unsubscribe

    async def listen_for_deliveries(
        self, wake: Callable[[], None], committed: Callable[[], None] | None = None
    ) -> Callable[[], Awaitable[None]]:
        unsubscribe_doorbell = await super().listen_for_deliveries(wake)
        watching = None
        if committed is not None:
            watching = asyncio.create_task(self._watch_commits(committed))

        async def unsubscribe() -> None:
            await unsubscribe_doorbell()
            if watching is not None:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching

        return unsubscribe

    async def _watch_commits(self, committed: Callable[[], None]) -> None:
        """Call `committed` whenever another process commits: read on this process's
        writer connection (between its transactions: one thread), whose data_version
        moves only for other connections' commits, so this process's own writes (told
        to listeners already) never make every socket re-read everything."""
        last = None
        while True:
            try:
                raw = self._writer_connection().connection.dbapi_connection
                assert raw is not None
                version = raw.execute("PRAGMA data_version").fetchone()
            except Exception:  # a busy or vanished file: look again later
                logger.exception("watching commits failed")
                version = last
            if last is not None and version != last:
                committed()
            last = version
            await asyncio.sleep(COMMIT_WATCH_INTERVAL)

    async def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        conn = self._reader_connection()
        with conn.begin():
            return work(conn, *args, **kwargs)

    @contextlib.asynccontextmanager
    async def read_series(self) -> AsyncIterator[ReadSeries]:
        """One read transaction on a connection of its own (opened for the series, on
        this thread), so that what one read opens serves the next (a BLOB handle, which
        would otherwise walk a large BLOB's pages from its start for every chunk) while
        the shared reader stays free. The snapshot lasts as long as the series: until it
        ends, checkpoints copy no commit made after it from the WAL into the database
        file. An in-memory database has no second connection: a transaction per read."""
        if database_file(engine_url(self.url)) is None:
            async with super().read_series() as series:
                yield series
            return
        if self._series_engine is None:  # no pool: one connection per series, closed after
            self._series_engine = create_sqlite_engine(self.url, poolclass=NullPool)
        with self._series_engine.connect() as conn, conn.begin():

            async def read(
                work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
            ) -> T:
                return work(conn, *args, **kwargs)

            yield ReadSeries(read, one_transaction=True)

    async def close(self) -> None:
        # Answer what was asked before the close: its group's commit is due on this loop,
        # or tried again there while another process holds the file.
        waiting = [unit.answer for unit in self._group if unit.waiting()]
        if waiting:
            await asyncio.wait(waiting)
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        for conn in (self._writer, self._reader):
            if conn is not None:
                conn.close()
        self._writer = self._reader = None
        self.engine.dispose()
        if self._series_engine is not None:
            self._series_engine.dispose()


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None) or getattr(
        getattr(error.orig, "__cause__", None), "sqlstate", None
    )


def _worth_retrying(error: DBAPIError, tries: int) -> bool:
    state = _sqlstate(error)
    if state in RETRYABLE_SQLSTATES:
        return tries < MAX_SERIALIZABLE_TRIES
    return state == UNIQUE_VIOLATION and tries < MAX_UNIQUE_TRIES


def _refuse_a_connection_in_a_transaction(dbapi_connection: Any, *_: object) -> None:
    """A task cancelled while its BEGIN was on the wire (a socket closing, a request whose
    client left) leaves asyncpg holding a transaction SQLAlchemy never recorded, so
    rollback-on-return skips it; the next unit of work on that connection then fails at its
    own BEGIN or runs inside the stale one. The pool replaces such a connection instead."""
    driver = dbapi_connection.driver_connection
    if driver._top_xact is not None or driver.is_in_transaction():
        raise DisconnectionError("connection left in a transaction by a cancelled task")


class PostgresDatabase(Database):
    """A pool of asyncpg connections; see the module docstring for isolation."""

    is_postgresql = True

    def __init__(
        self, url: str, pool_size: int = DEFAULT_POOL_SIZE, doorbell: Doorbell | None = None
    ) -> None:
        super().__init__(doorbell)
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            engine_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
        event.listen(self.engine.sync_engine, "checkout", _refuse_a_connection_in_a_transaction)

    async def _transaction(
        self,
        isolation: str,
        work: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        async with self.engine.connect() as conn:
            try:
                conn = await conn.execution_options(isolation_level=isolation)
                async with conn.begin():
                    result = await conn.run_sync(work, *args, **kwargs)
                    queued = _take_deliveries_queued(conn.sync_connection)
                    if queued:  # delivered to listeners at commit, not before
                        await conn.execute(text(f"NOTIFY {DELIVERIES_CHANNEL}"))
                    for change in take_changed(conn.sync_connection):
                        await conn.execute(_NOTIFY_CHANGE, {"payload": change})
            finally:
                # Forgotten on rollback too. A statement cancelled mid-way invalidates the
                # connection, and its `info` goes with it: reading it would reconnect here.
                if not conn.invalidated:
                    _take_deliveries_queued(conn.sync_connection)
                    take_changed(conn.sync_connection)
        if queued:
            self.doorbell.ring()
        return result

    async def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await self._retried("SERIALIZABLE", work, *args, **kwargs)

    async def _retried(
        self,
        isolation: str,
        work: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A write transaction run again after a conflict; a unique violation too, so a
        check-then-insert rule answers with its own error once the winner has committed."""
        for tries in range(1, MAX_SERIALIZABLE_TRIES + 1):
            try:
                return await self._transaction(isolation, work, *args, **kwargs)
            except DBAPIError as error:
                if not _worth_retrying(error, tries):
                    raise
                # Conflicting transactions back off by different, growing amounts (full
                # jitter), so even many writers to one conversation each get their turn.
                await asyncio.sleep(_BACKOFF.uniform(0, min(MAX_RETRY_WAIT, 0.001 * 2**tries)))
        raise AssertionError("unreachable")

    async def write_locking(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await self._retried("READ COMMITTED", work, *args, **kwargs)

    async def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        # REPEATABLE READ: one snapshot for the whole unit, and never a serialization failure
        # for a transaction that only reads.
        return await self._transaction("REPEATABLE READ", work, *args, **kwargs)

    async def listen_for_deliveries(
        self, wake: Callable[[], None], committed: Callable[[], None] | None = None
    ) -> Callable[[], Awaitable[None]]:
        conn = await self.engine.connect()
        raw = await conn.get_raw_connection()
        asyncpg_connection: Any = raw.driver_connection

        def on_notify(*_: object) -> None:
            wake()

        await asyncpg_connection.add_listener(DELIVERIES_CHANNEL, on_notify)
        unsubscribe_doorbell = await super().listen_for_deliveries(wake)

        async def unsubscribe() -> None:
            await unsubscribe_doorbell()
            try:
                await asyncpg_connection.remove_listener(DELIVERIES_CHANNEL, on_notify)
            finally:
                await conn.close()

        return unsubscribe

    async def listen_for_changes(
        self, hear: Callable[[Change], None]
    ) -> Callable[[], Awaitable[None]]:
        """Every process's changes arrive by NOTIFY, this process's own included."""
        conn = await self.engine.connect()
        raw = await conn.get_raw_connection()
        asyncpg_connection: Any = raw.driver_connection

        def on_notify(_connection: object, _pid: object, _channel: object, payload: object) -> None:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                hear(Change.decode(str(payload)))

        await asyncpg_connection.add_listener(CHANGES_CHANNEL, on_notify)

        async def unsubscribe() -> None:
            try:
                await asyncpg_connection.remove_listener(CHANGES_CHANNEL, on_notify)
            finally:
                await conn.close()

        return unsubscribe

    async def announce(self, change: Change) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(_NOTIFY_CHANGE, {"payload": change.encode()})
            await conn.commit()

    async def close(self) -> None:
        await self.engine.dispose()


def open_database(
    url: str, pool_size: int = DEFAULT_POOL_SIZE, doorbell: Doorbell | None = None
) -> Database:
    """The Database for a user-given URL, ringing `doorbell` (its own by default) after
    commits that queued deliveries; raises UnsupportedDatabase for other engines."""
    if make_url(engine_url(url)).get_backend_name() == "postgresql":
        return PostgresDatabase(url, pool_size, doorbell)
    return SqliteDatabase(url, doorbell)
