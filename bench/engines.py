"""The databases the benchmarks run chinwag on: a fresh SQLite file or a fresh
PostgreSQL database, migrated, one per measurement (or a copy of a filled one),
and `Sql` to query them from the benchmarks' synchronous code on either engine.

PostgreSQL comes from the pgserver package (the test dependency that ships the
server binaries), as in the test suite: one server per benchmark run, with its
default settings (fsync and synchronous_commit on), reached over its Unix socket.
Its data directory is made with tempfile.mkdtemp() under /tmp, because as root
pgserver runs postgres as an unprivileged user who must reach it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from chinwag.store.database import open_database
from chinwag.store.migrate import upgrade

T = TypeVar("T")

ENGINES = ("sqlite", "postgresql")


def integers(text: str) -> list[int]:
    """A command-line list of whole numbers: "1,2,4" (or "1_000,1_000_000")."""
    return [int(part.replace("_", "")) for part in text.split(",")]


def _engines(text: str) -> list[str]:
    names = text.split(",")
    for name in names:
        if name not in ENGINES:
            raise argparse.ArgumentTypeError(f"'{name}' is not one of {', '.join(ENGINES)}")
    return names


def add_engines_option(parser: argparse.ArgumentParser, default: list[str]) -> None:
    parser.add_argument(
        "--engines",
        type=_engines,
        default=default,
        help=f"chinwag's database, comma-separated from {','.join(ENGINES)} "
        f"(default {','.join(default)})",
    )


class Databases:
    """Hands out fresh, migrated databases of one engine; `postgres` is a pgserver handle."""

    def __init__(self, engine: str, work: Path, postgres: Any = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
        self.engine = engine
        self._work = work
        self._postgres = postgres
        self._names = itertools.count()

    def _name(self, label: str) -> str:
        return f"bench_{label.replace('-', '_')}_{next(self._names)}"

    def _url(self, name: str) -> str:
        if self._postgres is None:
            return f"sqlite:///{self._work / f'{name}.db'}"
        return str(self._postgres.get_uri(name))

    def new(self, label: str) -> str:
        """The URL of a new database with chinwag's schema."""
        name = self._name(label)
        if self._postgres is not None:
            self._postgres.psql(f"CREATE DATABASE {name};")
        url = self._url(name)
        upgrade(url)
        return url

    def copy(self, url: str, label: str) -> str:
        """The URL of a new database holding what the one at `url` holds; nothing may
        be connected to that one (PostgreSQL copies it as a template)."""
        name = self._name(label)
        if self._postgres is not None:
            source = make_url(url).database
            self._postgres.psql(f"CREATE DATABASE {name} TEMPLATE {source};")
            return self._url(name)
        source_path = Path(make_url(url).database or "")
        target = self._url(name)
        for suffix in ("", "-wal"):  # a WAL file not yet checkpointed holds commits too
            if Path(f"{source_path}{suffix}").exists():
                shutil.copy(f"{source_path}{suffix}", f"{make_url(target).database}{suffix}")
        return target

    def settle(self, url: str) -> None:
        """VACUUM ANALYZE a PostgreSQL database just written in bulk: what autovacuum
        would do within a minute, done now rather than during a measurement."""
        if self._postgres is not None:
            self._postgres.psql(f"\\c {make_url(url).database}\nVACUUM ANALYZE;")

    def drop(self, url: str) -> None:
        """Remove a database nothing is connected to any more (so that PostgreSQL's
        autovacuum does not clean up after it during the next measurement)."""
        if self._postgres is not None:
            self._postgres.psql(f"DROP DATABASE {make_url(url).database};")
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)

    def postgres_pid(self) -> int | None:
        """The PostgreSQL server's pid (its backends are its children); None on SQLite."""
        return None if self._postgres is None else int(self._postgres.get_pid())

    def version(self) -> str:
        if self._postgres is None:
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        return (
            "PostgreSQL " + str(self._postgres.psql("SHOW server_version;")).split("\n")[2].strip()
        )


class Sql:
    """Units of work on a chinwag database from synchronous code, on one event loop
    and one open Database (so polling it costs a query, not a connection)."""

    def __init__(self, url: str) -> None:
        self._runner = asyncio.Runner()
        self._database = open_database(url)

    def read(self, work: Callable[[Connection], T]) -> T:
        return self._runner.run(self._database.read(work))

    def scalar(self, sql: str, **params: Any) -> Any:
        return self.read(lambda conn: conn.execute(text(sql), params).scalar())

    def rolled_back(self, work: Callable[[Connection], T]) -> T:
        """`work` in a write transaction that is rolled back: what it would do, undone."""

        class Undo(Exception):
            def __init__(self, result: T) -> None:
                self.result = result

        def undone(conn: Connection) -> None:
            raise Undo(work(conn))

        try:
            self._runner.run(self._database.write_locking(undone))
        except Undo as undo:
            return undo.result
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._runner.run(self._database.close())
        self._runner.close()


@contextmanager
def sql(url: str) -> Iterator[Sql]:
    handle = Sql(url)
    try:
        yield handle
    finally:
        handle.close()


@contextmanager
def databases(engine: str, work: Path) -> Iterator[Databases]:
    """Databases of `engine`; for PostgreSQL, a pgserver started here and stopped on exit."""
    if engine != "postgresql":
        yield Databases(engine, work)
        return
    import pgserver

    directory = tempfile.mkdtemp(prefix="chinwag-bench-pg-")
    server = pgserver.get_server(directory, cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        yield Databases(engine, work, server)
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
