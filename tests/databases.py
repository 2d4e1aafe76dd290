"""Fresh databases on each engine the suite runs on, and SQL against them.

The suite runs on SQLite and on PostgreSQL (`CHINWAG_TEST_ENGINES`, default
"sqlite,postgresql"). PostgreSQL comes from the pgserver package, which ships the
server binaries and runs as root too. On either engine each test gets a database
of its own, copied from a template that is migrated once (migrating takes far
longer than copying).
"""

import asyncio
import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, make_url, text

from chinwag.store.database import open_database
from chinwag.store.migrate import upgrade

T = TypeVar("T")

ENGINES = [
    name.strip()
    for name in os.environ.get("CHINWAG_TEST_ENGINES", "sqlite,postgresql").split(",")
    if name.strip()
]
TEMPLATE = "chinwag_template"


# Where the test servers' data lives: in memory where the system offers room for it (a
# server takes some 75 MB; a container's /dev/shm may be 64 MB in all). Each new database
# is some 450 files, and making files on a disk-backed /tmp cost up to 1 ms of system time
# each here (docs/benchmarks.md, "Test suite", fifth session).
IN_MEMORY = Path("/dev/shm")
IN_MEMORY_ROOM = 1 << 30  # bytes free


class PostgresServer:
    """One PostgreSQL server for the test session, from pgserver.

    Its data lives in a directory of its own (`IN_MEMORY`, or the system's temporary
    directory), not under pytest's base temp: pgserver runs the server as an
    unprivileged user when started as root, and that user must reach the directory.
    """

    def __init__(self) -> None:
        self._directory = tempfile.mkdtemp(prefix="chinwag-postgres-", dir=_data_parent())
        try:
            import pgserver
        except ImportError:
            pytest.fail(
                "The PostgreSQL tests need the pgserver package, which ships a PostgreSQL "
                "server: pip install -e '.[test]'. (CHINWAG_TEST_ENGINES=sqlite runs the "
                "suite on SQLite only.)"
            )
        self._server = pgserver.get_server(self._directory, cleanup_mode="stop")  # type: ignore[attr-defined]
        # A throw-away server: no commit waits for the disk, and stopping it writes its
        # last checkpoint without fsyncs. Durability is PostgreSQL's, not what is tested.
        # Checkpoints cost nearly nothing then, so the log is kept small (it may be in memory).
        self._server.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            " ALTER SYSTEM SET full_page_writes = off; ALTER SYSTEM SET max_wal_size = '64MB';"
        )
        self._server.psql("SELECT pg_reload_conf();")
        self._names = itertools.count()
        self._server.psql(f"CREATE DATABASE {TEMPLATE};")
        upgrade(self.url(TEMPLATE))

    def stop(self) -> None:
        self._server.cleanup()
        shutil.rmtree(self._directory, ignore_errors=True)

    def url(self, name: str) -> str:
        uri: str = self._server.get_uri(name)
        return uri

    def new_database(self, migrated: bool) -> str:
        name = f"test_{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        # Copied as files, not page by page through the write-ahead log (PostgreSQL 15's
        # default): a fraction of the time for a database this small.
        self._server.psql(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY;")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database at `url`, ending any connection still open to it (a test's
        process that outlived it)."""
        name = make_url(url).database
        self._server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")


def _data_parent() -> Path | None:
    """`IN_MEMORY` if it is there, writable and has room; else None (the temporary directory)."""
    try:
        roomy = shutil.disk_usage(IN_MEMORY).free >= IN_MEMORY_ROOM
    except OSError:  # no such directory
        return None
    return IN_MEMORY if roomy and os.access(IN_MEMORY, os.W_OK) else None


class Databases:
    """Hands out fresh databases of the engine under test."""

    def __init__(self, engine: str, directory: Path, postgres: PostgresServer | None) -> None:
        self.engine = engine
        self._directory = directory
        self._postgres = postgres
        self._names = itertools.count()
        self._sqlite_template: Path | None = None

    def new(self, migrated: bool = True) -> str:
        """The URL of a new database, with chinwag's schema unless `migrated` is False."""
        if self._postgres is not None:
            return self._postgres.new_database(migrated)
        path = self._directory / f"db{next(self._names)}.db"
        if migrated:
            _copy_sqlite(self._migrated_sqlite(), path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Delete a database `new` gave, once its test is done with it, rather than all
        of them with the PostgreSQL server as the session ends, after the last test."""
        if self._postgres is not None:
            self._postgres.drop_database(url)
            return
        path = make_url(url).database
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def _migrated_sqlite(self) -> Path:
        if self._sqlite_template is None:
            template = self._directory / "template.db"
            upgrade(f"sqlite:///{template}")
            self._sqlite_template = template
        return self._sqlite_template


class EngineDatabases:
    """Each engine's `Databases` for the whole session, made when first asked for.

    A worker runs tests of both engines, so switching between them must not stop the
    PostgreSQL server or migrate a template again: both live as long as the session.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._postgres: PostgresServer | None = None
        self._by_engine: dict[str, Databases] = {}

    def __getitem__(self, engine: str) -> Databases:
        if engine not in self._by_engine:
            if engine == "postgresql" and self._postgres is None:
                self._postgres = PostgresServer()
            postgres = self._postgres if engine == "postgresql" else None
            directory = self._directory / engine
            directory.mkdir()
            self._by_engine[engine] = Databases(engine, directory, postgres)
        return self._by_engine[engine]

    def stop(self) -> None:
        if self._postgres is not None:
            self._postgres.stop()


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (it reads the WAL too, if any)."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()


def on_database(url: str, work: Callable[[Connection], T]) -> T:
    """Run `work` in one write transaction on the database at `url`, either engine."""

    async def run() -> T:
        database = open_database(url)
        try:
            return await database.write(work)
        finally:
            await database.close()

    return asyncio.run(run())


def run_sql(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """One SQL statement (named :params) on the database at `url`; returns its rows."""

    def work(conn: Connection) -> list[tuple[Any, ...]]:
        result = conn.execute(text(sql), params)
        return [tuple(row) for row in result] if result.returns_rows else []

    return on_database(url, work)
