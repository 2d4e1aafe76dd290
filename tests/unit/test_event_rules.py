"""Which events a conversation-scoped webhook gets: filter names, trigger keywords, targets.

The rules of `chinwag.domain.events` on their own, as tables; tests/e2e shows them
over HTTP. Webhooks are made by the domain itself (`create_webhook`) and varied
with `dataclasses.replace`, so the tests need no knowledge of how they are stored.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from chinwag.domain.accounts import create_account
from chinwag.domain.conversations import ConversationFields, create_conversation
from chinwag.domain.events import (
    LEGACY_ALIASES,
    POST_EVENTS,
    Origin,
    canonical_event,
    trigger_matches,
    webhook_wants,
)
from chinwag.domain.services import default_service
from chinwag.domain.webhooks import Target, WebhookConfiguration, create_webhook
from chinwag.store.database import open_database
from chinwag.store.migrate import upgrade

FLOW_SID = "FW" + "0" * 32


@pytest.mark.parametrize("name", sorted(POST_EVENTS))
def test_a_post_event_stands_for_itself(name: str) -> None:
    assert canonical_event(name) == name


@pytest.mark.parametrize(
    ("legacy", "current"),
    [("onMessageSent", "onMessageAdded"), ("onConversationDestroyed", "onConversationRemoved")],
)
def test_programmable_chat_names_stand_for_the_events_they_were_renamed_to(
    legacy: str, current: str
) -> None:
    assert canonical_event(legacy) == current
    assert LEGACY_ALIASES[legacy] == current


@pytest.mark.parametrize(
    "name",
    [
        "onMessageAdd",  # a pre-event: scoped webhooks take post-events only
        "onConversationUpdate",
        "onConversationAdded",  # service-level only: a scoped webhook exists after it
        "onUserAdded",  # belongs to no conversation
        "onmessageadded",  # names are case-sensitive
        "",
        "onNothing",
    ],
)
def test_anything_else_is_not_a_scoped_event(name: str) -> None:
    assert canonical_event(name) is None


@pytest.mark.parametrize(
    ("keywords", "body", "fires"),
    [
        (["help"], "I need help", True),
        (["help"], "help", True),
        (["help"], "help!", True),
        (["help"], "that was helpful", True),  # present in the body: inside a word too
        (["agent"], "agents are slow", True),
        (["help"], "unhelp", True),
        (["help"], "I need HELP now", False),  # the string as given, case and all
        (["HELP"], "I need HELP now", True),
        (["agent please"], "an agent please!", True),  # a phrase is matched as written
        (["agent please"], "agent, please", False),
        (["c++"], "I write c++ code", True),  # keywords are literal text, not patterns
        (["a.b"], "axb", False),
        ([" help "], "help me", False),  # spaces given are part of the string
        ([" help "], "I need help now", True),
        (["  ", "help"], "help", True),  # blank keywords (refused by 50366) never fire
        (["  "], "a   b", False),
        (["", "x"], "anything", False),
        (["sos", "help"], "sos", True),  # any keyword fires
        ([], "help", False),
        (["help"], "", False),
        (["help"], None, False),  # no body: nothing to match
    ],
)
def test_trigger_keywords_fire_when_present_in_the_body_as_given(
    keywords: list[str], body: str | None, fires: bool
) -> None:
    """Chat v2's `Configuration.Triggers`: "A string that will cause us to call the webhook
    when it is present in a message body" (twilio-oai twilio_chat_v2.json)."""
    assert trigger_matches(keywords, body) is fires


def _webhooks(path: Path) -> Any:
    """One webhook of each target, made by the domain in a database of its own."""

    async def make() -> Any:
        url = f"sqlite:///{path}"
        upgrade(url)
        database = open_database(url)

        def work(conn: Connection) -> Any:
            account = create_account(conn, "rules")
            service = default_service(conn, account.sid)
            conversation = create_conversation(
                conn, account.sid, service.sid, ConversationFields(), Origin()
            )
            url = "https://example.com/hook"
            return {
                Target.WEBHOOK: create_webhook(
                    conn,
                    conversation,
                    Target.WEBHOOK,
                    WebhookConfiguration(url=url, filters=["onMessageAdded"]),
                ),
                Target.TRIGGER: create_webhook(
                    conn,
                    conversation,
                    Target.TRIGGER,
                    WebhookConfiguration(url=url, triggers=["help"]),
                ),
                Target.STUDIO: create_webhook(
                    conn, conversation, Target.STUDIO, WebhookConfiguration(flow_sid=FLOW_SID)
                ),
            }

        try:
            return await database.write(work)
        finally:
            await database.close()

    return asyncio.run(make())


@pytest.fixture(scope="module")
def webhooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield _webhooks(tmp_path_factory.mktemp("rules") / "rules.db")


@pytest.mark.parametrize(
    ("filters", "event", "wanted"),
    [
        (["onMessageAdded"], "onMessageAdded", True),
        (["onMessageAdded"], "onMessageUpdated", False),
        (["onMessageSent"], "onMessageAdded", True),  # the legacy name subscribes too
        (["onConversationDestroyed"], "onConversationRemoved", True),
        (["onMessageAdded", "onParticipantAdded"], "onParticipantAdded", True),
        (["onConversationUpdated"], "onConversationStateUpdated", False),
        ([], "onMessageAdded", False),
    ],
)
def test_a_webhook_target_gets_the_events_its_filters_name(
    webhooks: Any, filters: list[str], event: str, wanted: bool
) -> None:
    webhook = replace(webhooks[Target.WEBHOOK], filters=filters)
    assert webhook_wants(webhook, event, "any body") is wanted


@pytest.mark.parametrize(
    ("event", "body", "wanted"),
    [
        ("onMessageAdded", "help me", True),
        ("onMessageAdded", "helpful", True),
        ("onMessageAdded", "HELP ME", False),
        ("onMessageAdded", None, False),
        ("onMessageUpdated", "help me", False),  # a new message only, not an edit
        ("onMessageRemoved", "help me", False),
        ("onConversationUpdated", "help me", False),
    ],
)
def test_a_trigger_target_gets_new_messages_with_a_keyword(
    webhooks: Any, event: str, body: str | None, wanted: bool
) -> None:
    assert webhook_wants(webhooks[Target.TRIGGER], event, body) is wanted


def test_a_triggers_filters_do_not_widen_it(webhooks: Any) -> None:
    trigger = replace(webhooks[Target.TRIGGER], filters=["onConversationUpdated"])
    assert not webhook_wants(trigger, "onConversationUpdated", "help")


@pytest.mark.parametrize(
    ("filters", "event", "wanted"),
    [
        ([], "onMessageAdded", True),  # Studio's "Incoming Conversation" trigger
        ([], "onMessageUpdated", False),
        ([], "onConversationUpdated", False),
        (["onConversationUpdated"], "onConversationUpdated", True),  # filters, when given
        (["onConversationUpdated"], "onMessageAdded", False),
    ],
)
def test_a_studio_target_gets_new_messages_unless_filters_say_otherwise(
    webhooks: Any, filters: list[str], event: str, wanted: bool
) -> None:
    studio = replace(webhooks[Target.STUDIO], filters=filters)
    assert webhook_wants(studio, event, "hello") is wanted
