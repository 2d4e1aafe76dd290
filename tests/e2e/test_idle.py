"""An idle server writes nothing: no write transaction while no delivery or timer is due.

The worker waits on the commit doorbell (NOTIFY on PostgreSQL, data_version on
SQLite) and on the next due row it read; timers look in a read first. Counted at
the one door every write goes through (`Database.write` and `write_locking`), and,
on SQLite, at the file: its data_version, which any other connection's commit
changes, stays the same.
"""

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from chinwag.store.database import PostgresDatabase, SqliteDatabase
from tests.conftest import Api, app_and_receiver, wait_until
from tests.e2e.test_crash_and_workers import ENABLED, hook, queued
from tests.inprocess import AppServer

IDLE_SECONDS = 3.0  # three timer passes, fifteen polls of the worker as it was


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch, database_url: str) -> list[str]:
    """The name of the work of every write transaction started from now on on the test's
    database, by any Database of this process (the in-process server's included;
    servers of other tests, on their own databases, may still be delivering)."""
    started: list[str] = []

    def counting(original: Callable[..., Any]) -> Callable[..., Any]:
        async def write(self: Any, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            if self.url == database_url:
                started.append(getattr(work, "__name__", repr(work)))
            return await original(self, work, *args, **kwargs)

        return write

    for database in (SqliteDatabase, PostgresDatabase):
        for name in ("write", "write_locking"):
            monkeypatch.setattr(database, name, counting(getattr(database, name)))
    return started


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[AppServer, Any]]:
    with app_and_receiver(database_url) as running:
        yield running


def committed_during(database_url: str, seconds: float) -> bool | None:
    """Whether anyone committed to the SQLite file in the next `seconds` (its data_version,
    read twice on one connection of this test's own, moved); None on PostgreSQL, after
    the same wait."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database is None:
        time.sleep(seconds)
        return None
    connection = sqlite3.connect(url.database)
    try:
        first = connection.execute("PRAGMA data_version").fetchone()
        time.sleep(seconds)
        return bool(connection.execute("PRAGMA data_version").fetchone() != first)
    finally:
        connection.close()


def quiet(writes: list[str], seconds: float, timeout: float) -> None:
    """Wait until no write has started for `seconds` (the worker's last claim after its
    queue ended, the record, may still be running), at most `timeout`."""
    deadline = time.monotonic() + timeout
    seen, since = len(writes), time.monotonic()
    while time.monotonic() < deadline:
        if len(writes) != seen:
            seen, since = len(writes), time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        time.sleep(0.02)
    raise AssertionError(f"still writing after {timeout} s: {writes[-10:]}")


def test_an_idle_server_makes_no_write_transaction(
    writes: list[str], served: tuple[AppServer, Any]
) -> None:
    server, receiver = served
    api = Api(server)
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    hook(api, conversation, receiver.url + "/idle")
    api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "hi"}, headers=ENABLED)
    receiver.wait_for(1)
    wait_until(lambda: [d["status"] for d in queued(api)] == ["delivered"], 10, "the record")
    assert "claim_due" in writes  # the counting sees the worker's writes
    quiet(writes, seconds=0.5, timeout=5)

    before = list(writes)
    committed = committed_during(server.database_url, IDLE_SECONDS)
    assert writes == before, f"written while idle: {writes[len(before) :]}"
    assert not committed  # SQLite: nobody committed to the file

    # Still awake: a new message is delivered at once, woken by its commit.
    api.post(f"/v1/Conversations/{conversation}/Messages", {"Body": "again"}, headers=ENABLED)
    receiver.wait_for(2, timeout=5)
