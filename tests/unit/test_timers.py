"""Conversation timers fire once, and closed wins over inactive (real SQLite, fake clock)."""

import asyncio
from datetime import timedelta

from sqlalchemy import Connection, func, select

from chinwag.domain.accounts import create_account
from chinwag.domain.conversations import ConversationFields, create_conversation, fire_due_timers
from chinwag.domain.events import Origin
from chinwag.domain.services import default_service
from chinwag.domain.webhooks import Target, WebhookConfiguration, create_webhook
from chinwag.store.database import open_database
from chinwag.store.tables import deliveries
from chinwag.timers import timer_runner
from chinwag.twilio.dates import utc_now


def test_timers_move_the_state_once_and_queue_the_event(database_url: str) -> None:
    url = database_url
    asyncio.run(_timers_move_the_state_once(url))


async def _timers_move_the_state_once(url: str) -> None:
    database = open_database(url)
    account = await database.write(create_account, "timers")
    service = await database.read(default_service, account.sid)
    fields = ConversationFields(timer_inactive="PT1M", timer_closed="PT10M")
    conversation = await database.write(
        create_conversation, account.sid, service.sid, fields, Origin()
    )
    config = WebhookConfiguration(url="http://127.0.0.1:9/", filters=["onConversationStateUpdated"])
    await database.write(create_webhook, conversation, Target.WEBHOOK, config)
    start = utc_now()

    assert await database.write(fire_due_timers, start) == 0
    assert await database.write(fire_due_timers, start + timedelta(minutes=2)) == 1
    assert await database.write(fire_due_timers, start + timedelta(minutes=3)) == 0  # fired once
    assert await database.write(fire_due_timers, start + timedelta(minutes=11)) == 1
    assert await database.write(fire_due_timers, start + timedelta(days=1)) == 0

    def states(conn: Connection) -> list[tuple[str, str]]:
        query = select(deliveries.c.event_type, deliveries.c.params).order_by(deliveries.c.id)
        return [(event, dict(params)["StateTo"]) for event, params in conn.execute(query)]

    assert await database.read(states) == [
        ("onConversationStateUpdated", "inactive"),
        ("onConversationStateUpdated", "closed"),
    ]
    await database.close()


def test_the_runner_fires_what_is_due_by_its_clock_at_start(database_url: str) -> None:
    asyncio.run(_runner_fires_at_start(database_url))


async def _runner_fires_at_start(url: str) -> None:
    database = open_database(url)
    try:
        account = await database.write(create_account, "timers")
        service = await database.read(default_service, account.sid)
        fields = ConversationFields(timer_inactive="PT1M")
        conversation = await database.write(
            create_conversation, account.sid, service.sid, fields, Origin()
        )
        config = WebhookConfiguration(
            url="http://127.0.0.1:9/", filters=["onConversationStateUpdated"]
        )
        await database.write(create_webhook, conversation, Target.WEBHOOK, config)
        later = utc_now() + timedelta(minutes=2)
        runner = timer_runner(database, interval=3600, clock=lambda: later)

        def queued(conn: Connection) -> int:
            return int(conn.execute(select(func.count()).select_from(deliveries)).scalar_one())

        running = asyncio.create_task(runner.run())
        while await database.read(queued) == 0:  # pytest-timeout ends a wait that hangs
            await asyncio.sleep(0.01)
        runner.stop()
        await asyncio.wait_for(running, 5)
        assert await database.read(queued) == 1
    finally:
        await database.close()
