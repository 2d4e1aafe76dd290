"""The databases the benchmarks run chinwag on: a fresh SQLite file or a fresh
PostgreSQL database, migrated, one per measurement.

PostgreSQL comes from the pgserver package (the test dependency that ships the
server binaries), as in the test suite: one server per benchmark run, with its
default settings (fsync and synchronous_commit on), reached over its Unix socket.
Its data directory is made with tempfile.mkdtemp() under /tmp, because as root
pgserver runs postgres as an unprivileged user who must reach it.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chinwag.store.migrate import upgrade

ENGINES = ("sqlite", "postgresql")


class Databases:
    """Hands out fresh, migrated databases of one engine; `postgres` is a pgserver handle."""

    def __init__(self, engine: str, work: Path, postgres: Any = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
        self.engine = engine
        self._work = work
        self._postgres = postgres
        self._names = itertools.count()

    def new(self, label: str) -> str:
        """The URL of a new database with chinwag's schema."""
        name = f"bench_{label.replace('-', '_')}_{next(self._names)}"
        if self._postgres is None:
            url = f"sqlite:///{self._work / f'{name}.db'}"
        else:
            self._postgres.psql(f"CREATE DATABASE {name};")
            url = self._postgres.get_uri(name)
        upgrade(url)
        return url

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
