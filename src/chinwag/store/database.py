"""The database handle: an engine plus the one way to run work in a transaction.

On the embedded SQLite default, queries run inline on the event loop: a WAL-mode
write with synchronous=NORMAL takes tens of microseconds, far less than a thread
hop, and running each unit of work to completion without an `await` makes it
atomic with respect to every other request in this process. Write transactions
start with BEGIN IMMEDIATE, so check-then-write rules (five webhooks per
conversation, unique names) also hold against other processes on the same file.
"""

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

P = ParamSpec("P")
T = TypeVar("T")


# Set in a connection's `info` by a unit of work that queued deliveries.
DELIVERIES_QUEUED = "chinwag.deliveries_queued"


class UnsupportedDatabase(ValueError):
    pass


def sqlite_url(url: str) -> str:
    """Normalise a user-given database URL to the synchronous SQLite driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise UnsupportedDatabase(
            f"Database URL '{url}' is not SQLite; this version of chinwag supports "
            "SQLite only (sqlite:///path/to/file.db)."
        )
    return parsed.set(drivername="sqlite").render_as_string(hide_password=False)


def create_sqlite_engine(url: str) -> Engine:
    engine = create_engine(sqlite_url(url))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """One writer and one reader connection, held for the life of the process.

    Used from one thread (the event loop, or a CLI command). Holding the
    connections saves a pool checkout per unit of work; SQLite in WAL mode lets
    the reader see every committed write while the writer works.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_sqlite_engine(url)
        self._writer: Connection | None = None
        self._reader: Connection | None = None
        # Called after a commit that queued deliveries (the worker wakes on it).
        self.on_deliveries_committed: Callable[[], None] = lambda: None

    def _writer_connection(self) -> Connection:
        if self._writer is None:
            self._writer = self.engine.connect().execution_options(write=True)
        return self._writer

    def _reader_connection(self) -> Connection:
        if self._reader is None:
            self._reader = self.engine.connect()
        return self._reader

    def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work` in one write transaction: committed whole, or rolled back whole."""
        conn = self._writer_connection()
        try:
            with conn.begin():
                result = work(conn, *args, **kwargs)
        finally:
            queued = conn.info.pop(DELIVERIES_QUEUED, False)  # cleared on rollback too
        if queued:
            self.on_deliveries_committed()
        return result

    def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work` in one read transaction: a consistent snapshot."""
        conn = self._reader_connection()
        with conn.begin():
            return work(conn, *args, **kwargs)

    def ping(self) -> bool:
        try:
            self.read(lambda conn: conn.execute(text("SELECT 1")))
        except Exception:  # any driver error means "not reachable"
            return False
        return True

    def close(self) -> None:
        for conn in (self._writer, self._reader):
            if conn is not None:
                conn.close()
        self._writer = self._reader = None
        self.engine.dispose()
