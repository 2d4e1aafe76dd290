"""Fresh databases on each engine the suite runs on, and SQL against them.

The suite runs on SQLite and on PostgreSQL (`CHINWAG_TEST_ENGINES`, default
"sqlite,postgresql"). PostgreSQL comes from the pgserver package, which ships the
server binaries and runs as root too. On either engine each test gets a database
of its own, copied from a template that is migrated once (migrating takes far
longer than copying).
"""

import asyncio
import fcntl
import itertools
import os
import pwd
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager, suppress
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
# each here (docs/benchmarks.md, "Test suite", and its git history).
IN_MEMORY = Path("/dev/shm")
IN_MEMORY_ROOM = 1 << 30  # bytes free


# Each worker's server has a data directory of its own, named for the worker's pid
# ("chinwag-postgres-<pid>-<random>"): a run killed before it could stop its servers
# leaves them running from their directories, and the next start stops and removes
# those whose pid is no longer alive (`remove_stale_data_directories`).
DATA_PREFIX = "chinwag-postgres-"
# The pid, then mkdtemp's suffix (letters, digits, _).
_DATA_NAME = re.compile(re.escape(DATA_PREFIX) + r"(\d+)-\w+")
# The OS user pgserver runs the server as when started as root (pgserver.postgres_server).
SYSTEM_USER = "pgserver"


class PostgresServer:
    """One PostgreSQL server for the test session, from pgserver.

    Its data lives in a directory of its own (`IN_MEMORY`, or the system's temporary
    directory), not under pytest's base temp: pgserver runs the server as an
    unprivileged user when started as root, and that user must reach the directory.
    The workers of a run start their servers at the same time: what they share (that
    user, the leftovers of a killed run) is set up under `_setup_lock`.
    """

    def __init__(self) -> None:
        try:
            import pgserver
        except ImportError:
            pytest.fail(
                "The PostgreSQL tests need the pgserver package, which ships a PostgreSQL "
                "server: pip install -e '.[test]'. (CHINWAG_TEST_ENGINES=sqlite runs the "
                "suite on SQLite only.)"
            )
        with _setup_lock():
            for parent in {IN_MEMORY, Path(tempfile.gettempdir())}:
                remove_stale_data_directories(parent)
            self._directory = _new_data_directory(_system_user())
        self._names = itertools.count()
        try:
            self._server = pgserver.get_server(self._directory, cleanup_mode="stop")  # type: ignore[attr-defined]
        except BaseException:
            _remove_data_directory(self._directory)
            raise
        try:
            self._prepare()
        except BaseException:
            self.stop()
            raise

    def _prepare(self) -> None:
        # A throw-away server: no commit waits for the disk, and stopping it writes its
        # last checkpoint without fsyncs. Durability is PostgreSQL's, not what is tested.
        # Checkpoints cost nearly nothing then, so the log is kept small (it may be in memory).
        self._server.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            " ALTER SYSTEM SET full_page_writes = off; ALTER SYSTEM SET max_wal_size = '64MB';"
        )
        self._server.psql("SELECT pg_reload_conf();")
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


@contextmanager
def _setup_lock() -> Iterator[None]:
    """Held by one test process of this OS user at a time, across runs.

    pgserver creates its OS user (when run as root) outside its own lock: workers
    starting together each ran `useradd`, each of which replaced the user with a new uid,
    and a worker's initdb, as the latest uid, could not enter the directory chowned
    to an earlier one ("Permission denied").
    """
    path = Path(tempfile.gettempdir()) / f"chinwag-postgres.{os.geteuid()}.lock"
    # Not through a link another user put in the shared directory, nor another user's file.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_uid != os.geteuid():
            raise RuntimeError(f"{path} belongs to another user: remove it")
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # and with it the lock


def _system_user() -> tuple[int, int] | None:
    """The (uid, gid) pgserver runs the server as, the user made if missing (under
    `_setup_lock`, so pgserver finds it and makes none); None unless running as root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        # A system user that cannot log in: it only runs the servers (pg_ctl, as that user).
        command = ["useradd", "--system", "--user-group", "--no-create-home"]
        command += ["--shell", "/usr/sbin/nologin", SYSTEM_USER]
        made = subprocess.run(command, capture_output=True, text=True)
        if made.returncode:
            raise RuntimeError(f"{' '.join(command)}: {made.stderr.strip()}") from None
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _new_data_directory(owner: tuple[int, int] | None) -> Path:
    """A new, empty data directory for this process's server (mode 0700), given to `owner`
    before pgserver's initdb writes in it."""
    parent = _data_parent()
    directory = Path(tempfile.mkdtemp(prefix=f"{DATA_PREFIX}{os.getpid()}-", dir=parent))
    if owner is not None:
        os.chown(directory, *owner)
    return directory.resolve()


def stale_data_directories(names: Iterable[str], live_pids: Container[int]) -> list[str]:
    """Which of `names` (entries of a directory) are data directories whose process,
    the pid in the name, is not among `live_pids`: the leftovers of a killed run."""
    return [
        name
        for name in names
        if (match := _DATA_NAME.fullmatch(name)) and int(match[1]) not in live_pids
    ]


def remove_stale_data_directories(parent: Path) -> list[Path]:
    """Stop the servers of the stale data directories in `parent` and remove the
    directories; returns those removed. Call it under `_setup_lock`."""
    try:
        names = [entry.name for entry in os.scandir(parent) if entry.is_dir(follow_symlinks=False)]
    except OSError:  # no such directory
        return []
    parent = parent.resolve()  # as in the servers' command lines
    pids = {int(match[1]) for name in names if (match := _DATA_NAME.fullmatch(name))}
    live = {pid for pid in pids if _is_alive(pid)}
    stale = [parent / name for name in stale_data_directories(names, live)]
    for directory in stale:
        _remove_data_directory(directory)
    return stale


def _is_alive(pid: int) -> bool:
    import psutil  # pgserver's dependency

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _remove_data_directory(directory: Path) -> None:
    _stop_server(directory)
    shutil.rmtree(directory, ignore_errors=True)


def _stop_server(directory: Path) -> None:
    """Stop the server still running from `directory`, if any, with its processes: an
    immediate shutdown, since its data is thrown away; killed if still there after 10 s."""
    import psutil

    processes: list[Any] = []
    for postmaster in _postmasters(directory):
        with suppress(psutil.Error):
            processes += [postmaster, *postmaster.children()]
            postmaster.send_signal(signal.SIGQUIT)
    if not processes:
        return
    _, alive = psutil.wait_procs(processes, timeout=10)
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=10)


def _postmasters(directory: Path) -> list[Any]:
    """The server (postmaster) processes running from `directory`: the one its postmaster.pid
    names, or any found by their command line (no such file: a start cut short)."""
    import psutil

    try:
        pid = int((directory / "postmaster.pid").read_text().split("\n", 1)[0])
        candidates = [psutil.Process(pid)]
    except (OSError, ValueError, psutil.Error):
        candidates = list(psutil.process_iter())
    found = []
    for process in candidates:
        with suppress(psutil.Error):
            # Its pid may be another process's by now: the postmaster was started on `directory`.
            if process.name() == "postgres" and str(directory) in process.cmdline():
                found.append(process)
    return found


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
    """A consistent copy through SQLite's backup API (it reads the WAL too, if any),
    owner-only as chinwag makes its files (else each open logs that it tightened it)."""
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
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
