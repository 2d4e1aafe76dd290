"""A commit that queued deliveries wakes workers: in this process, and on PostgreSQL in any."""

import asyncio
import contextlib

from sqlalchemy import Connection

from chinwag.store.database import Database, open_database
from chinwag.store.outbox import NewDelivery, insert_deliveries
from chinwag.twilio.dates import utc_now


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
    listening, writing = open_database(url), open_database(url)  # as two processes
    wakes: list[str] = []
    woken = asyncio.Event()

    def wake() -> None:
        wakes.append("listener")
        woken.set()

    writing.on_deliveries_committed = lambda: wakes.append("in-process")
    unsubscribe = await listening.listen_for_deliveries(wake)
    try:
        with contextlib.suppress(Aborted):  # rolled back: wakes nobody
            await writing.write(queue_then_abort)
        await writing.write(lambda conn: None)  # nothing queued
        await writing.write(insert_deliveries, [delivery(1)])
        if listening.is_postgresql:  # NOTIFY arrives after the commit, in commit order
            await asyncio.wait_for(woken.wait(), 10)
            assert sorted(wakes) == ["in-process", "listener"]
        else:  # no channel between processes on SQLite: workers elsewhere poll
            assert wakes == ["in-process"]
    finally:
        await unsubscribe()
        await close(listening, writing)


async def close(*databases: Database) -> None:
    for database in databases:
        await database.close()
