"""Sockets share the reads a change makes them do (twilsock/connection.py SharedReads):
one read per object and change, whatever the number of sockets, and never a read begun
before a change that a socket has heard."""

import asyncio

import pytest
from sqlalchemy import Connection

from chinwag.store.database import open_database
from chinwag.twilsock.connection import SharedReads


class Reads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Connection, sid: str) -> tuple[str, int]:
        self.count += 1
        return sid, self.count


def test_sockets_share_a_read_until_the_next_change_is_heard() -> None:
    asyncio.run(_shared())


async def _shared() -> None:
    database = open_database("sqlite://")
    try:
        shared, work = SharedReads(database), Reads()
        first = await asyncio.gather(*(shared.read(work, "CH1.channel") for _ in range(5)))
        assert first == [("CH1.channel", 1)] * 5
        assert await shared.read(work, "CH2.channel") == ("CH2.channel", 2)  # another object
        assert await shared.read(work, "CH1.channel") == ("CH1.channel", 1)
        shared.heard()  # a change: what was read before it is read again
        assert await shared.read(work, "CH1.channel") == ("CH1.channel", 3)
    finally:
        await database.close()


def test_a_failed_read_is_not_kept() -> None:
    asyncio.run(_failed())


async def _failed() -> None:
    database = open_database("sqlite://")
    calls: list[str] = []

    def flaky(conn: Connection, sid: str) -> str:
        calls.append(sid)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return sid

    try:
        shared = SharedReads(database)
        with pytest.raises(RuntimeError):
            await shared.read(flaky, "CH1.channel")
        assert await shared.read(flaky, "CH1.channel") == "CH1.channel"
        assert len(calls) == 2
    finally:
        await database.close()
