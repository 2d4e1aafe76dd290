"""A conversation created with its participants records their activity once: one save of
the conversation's timers, not one per participant (real database, counted saves)."""

import asyncio
from typing import Any

import pytest

from chinwag.domain.accounts import create_account
from chinwag.domain.conversation_with_participants import create_conversation_with_participants
from chinwag.domain.conversations import ConversationFields
from chinwag.domain.events import Origin
from chinwag.domain.participants import ParticipantFields
from chinwag.domain.services import default_service
from chinwag.store import conversations as store
from chinwag.store.database import open_database


def test_the_timers_are_saved_once_for_all_participants(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves: list[str] = []
    save = store.save_conversation

    def counted(conn: Any, conversation: store.Conversation) -> None:
        saves.append(conversation.sid)
        save(conn, conversation)

    monkeypatch.setattr(store, "save_conversation", counted)
    conversation = asyncio.run(_create_with(database_url, ["a", "b", "c"]))
    assert saves == [conversation.sid]
    assert conversation.timer_inactive is not None  # what was saved is what is answered


async def _create_with(url: str, identities: list[str]) -> store.Conversation:
    database = open_database(url)
    try:
        account = await database.write(create_account, "cwp activity")
        service = await database.read(default_service, account.sid)
        fields = ConversationFields(timer_inactive="PT1M", timer_closed="PT10M")
        people = [ParticipantFields(identity=identity) for identity in identities]
        created: store.Conversation = await database.write(
            create_conversation_with_participants,
            account.sid,
            service.sid,
            fields,
            people,
            Origin(),
        )
        return created
    finally:
        await database.close()
