"""What a valid conversation-scoped webhook is, and at most five per conversation.

`chinwag.domain.webhooks` on its own, as tables of (configuration, Twilio error
code); tests/e2e/test_scoped_webhooks.py checks the same codes over HTTP. The
domain runs on a real (SQLite) database, as it does in the server.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection

from chinwag.domain.accounts import create_account
from chinwag.domain.conversations import ConversationFields, create_conversation
from chinwag.domain.events import Origin
from chinwag.domain.services import default_service
from chinwag.domain.webhooks import (
    MAX_WEBHOOKS_PER_CONVERSATION,
    Method,
    Target,
    WebhookConfiguration,
    create_webhook,
    parse_target,
    update_webhook,
)
from chinwag.store.migrate import upgrade
from chinwag.twilio.errors import TwilioError
from tests.databases import on_database

T = TypeVar("T")
URL = "https://example.com/hook"
FLOW_SID = "FW" + "0123456789abcdef" * 2


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('webhooks')) / 'rules.db'}"
    upgrade(url)
    return url


def in_new_conversation(url: str, work: Callable[[Connection, Any], T]) -> T:
    """`work(conn, conversation)` in one transaction, on a conversation of its own."""

    def run(conn: Connection) -> T:
        account = create_account(conn, "rules")
        service = default_service(conn, account.sid)
        conversation = create_conversation(
            conn, account.sid, service.sid, ConversationFields(), Origin()
        )
        return work(conn, conversation)

    return on_database(url, run)


def refusal(url: str, work: Callable[[Connection, Any], object]) -> int:
    """The Twilio error code `work` is refused with."""
    with pytest.raises(TwilioError) as refused:
        in_new_conversation(url, work)
    return refused.value.code


@pytest.mark.parametrize(
    ("raw", "code"), [(None, 50368), ("", 50368), ("email", 50364), ("webhooks", 50364)]
)
def test_a_missing_or_unknown_target_is_refused(raw: str | None, code: int) -> None:
    with pytest.raises(TwilioError) as refused:
        parse_target(raw)
    assert refused.value.code == code


@pytest.mark.parametrize("raw", ["webhook", "Webhook", "WEBHOOK"])
def test_the_target_is_read_in_any_case(raw: str) -> None:
    assert parse_target(raw) == Target.WEBHOOK


TOO_LONG_URL = "https://example.com/" + "x" * (512 - len("https://example.com/") + 1)


@pytest.mark.parametrize(
    ("target", "config", "code"),
    [
        # webhook: an absolute http(s) URL of at most 512 characters, and post-event filters
        (Target.WEBHOOK, WebhookConfiguration(filters=["onMessageAdded"]), 50369),
        (Target.WEBHOOK, WebhookConfiguration(url="", filters=["onMessageAdded"]), 50369),
        (Target.WEBHOOK, WebhookConfiguration(url="ftp://x.io", filters=["onMessageAdded"]), 50369),
        (Target.WEBHOOK, WebhookConfiguration(url="/relative", filters=["onMessageAdded"]), 50369),
        (Target.WEBHOOK, WebhookConfiguration(url="https://", filters=["onMessageAdded"]), 50369),
        (
            Target.WEBHOOK,
            WebhookConfiguration(url=TOO_LONG_URL, filters=["onMessageAdded"]),
            50372,
        ),
        (Target.WEBHOOK, WebhookConfiguration(url=URL), 50370),
        (Target.WEBHOOK, WebhookConfiguration(url=URL, filters=[]), 50370),
        (Target.WEBHOOK, WebhookConfiguration(url=URL, filters=["onMessageAdd"]), 50365),
        (
            Target.WEBHOOK,
            WebhookConfiguration(url=URL, filters=["onMessageAdded", "onUserAdded"]),
            50365,
        ),
        # trigger: a URL and one to five keywords of 1 to 248 characters
        (Target.TRIGGER, WebhookConfiguration(triggers=["help"]), 50369),
        (Target.TRIGGER, WebhookConfiguration(url=URL), 50371),
        (Target.TRIGGER, WebhookConfiguration(url=URL, triggers=[]), 50371),
        (Target.TRIGGER, WebhookConfiguration(url=URL, triggers=list("abcdef")), 50362),
        (Target.TRIGGER, WebhookConfiguration(url=URL, triggers=["  "]), 50366),
        (Target.TRIGGER, WebhookConfiguration(url=URL, triggers=["k" * 249]), 50366),
        # studio: a Flow SID, and no URL needed
        (Target.STUDIO, WebhookConfiguration(), 50367),
        (Target.STUDIO, WebhookConfiguration(flow_sid="FW123"), 50367),
        (Target.STUDIO, WebhookConfiguration(flow_sid="XX" + "0" * 32), 50367),
        (Target.STUDIO, WebhookConfiguration(url=URL), 50367),
        # any target: ReplayAfter is a message index
        (Target.STUDIO, WebhookConfiguration(flow_sid=FLOW_SID, replay_after=-1), 20001),
    ],
)
def test_an_invalid_configuration_is_refused_with_twilios_code(
    database: str, target: Target, config: WebhookConfiguration, code: int
) -> None:
    assert refusal(database, lambda conn, c: create_webhook(conn, c, target, config)) == code


@pytest.mark.parametrize(
    ("target", "config"),
    [
        (Target.WEBHOOK, WebhookConfiguration(url=URL, filters=["onMessageSent"])),
        (
            Target.WEBHOOK,
            WebhookConfiguration(url="HTTP://EXAMPLE.COM", filters=["onMessageAdded"]),
        ),
        (
            Target.WEBHOOK,
            WebhookConfiguration(url=TOO_LONG_URL[:-1], filters=["onMessageAdded"]),
        ),
        (Target.TRIGGER, WebhookConfiguration(url=URL, triggers=["k" * 248, *"bcde"])),
        (Target.STUDIO, WebhookConfiguration(flow_sid=FLOW_SID, replay_after=0)),
    ],
)
def test_values_at_the_limits_are_accepted(
    database: str, target: Target, config: WebhookConfiguration
) -> None:
    created = in_new_conversation(database, lambda conn, c: create_webhook(conn, c, target, config))
    assert (created.target, created.url, created.flow_sid) == (target, config.url, config.flow_sid)


def test_the_method_defaults_to_post_and_a_studio_webhook_has_none(database: str) -> None:
    def work(conn: Connection, conversation: Any) -> tuple[Any, Any, Any]:
        return (
            create_webhook(
                conn,
                conversation,
                Target.WEBHOOK,
                WebhookConfiguration(url=URL, filters=["onMessageAdded"]),
            ).method,
            create_webhook(
                conn,
                conversation,
                Target.TRIGGER,
                WebhookConfiguration(url=URL, method=Method.GET, triggers=["help"]),
            ).method,
            create_webhook(
                conn,
                conversation,
                Target.STUDIO,
                WebhookConfiguration(flow_sid=FLOW_SID, method=Method.GET),
            ).method,
        )

    assert in_new_conversation(database, work) == (Method.POST, Method.GET, None)


def test_a_conversation_takes_at_most_five_webhooks(database: str) -> None:
    studio = WebhookConfiguration(flow_sid=FLOW_SID)

    def work(conn: Connection, conversation: Any) -> None:
        for _ in range(MAX_WEBHOOKS_PER_CONVERSATION):
            create_webhook(conn, conversation, Target.STUDIO, studio)
        create_webhook(conn, conversation, Target.STUDIO, studio)

    assert MAX_WEBHOOKS_PER_CONVERSATION == 5
    assert refusal(database, work) == 50361


@pytest.mark.parametrize(
    ("target", "created", "change", "code"),
    [
        (
            Target.WEBHOOK,
            WebhookConfiguration(url=URL, filters=["onMessageAdded"]),
            WebhookConfiguration(filters=["onNothing"]),
            50365,
        ),
        (
            Target.WEBHOOK,
            WebhookConfiguration(url=URL, filters=["onMessageAdded"]),
            WebhookConfiguration(url="mailto:x@example.com"),
            50369,
        ),
        (
            Target.TRIGGER,
            WebhookConfiguration(url=URL, triggers=["help"]),
            WebhookConfiguration(triggers=list("abcdef")),
            50362,
        ),
        (
            Target.STUDIO,
            WebhookConfiguration(flow_sid=FLOW_SID),
            WebhookConfiguration(flow_sid="FW1"),
            50367,
        ),
    ],
)
def test_an_update_must_leave_a_valid_webhook_for_its_target(
    database: str,
    target: Target,
    created: WebhookConfiguration,
    change: WebhookConfiguration,
    code: int,
) -> None:
    def work(conn: Connection, conversation: Any) -> object:
        return update_webhook(conn, create_webhook(conn, conversation, target, created), change)

    assert refusal(database, work) == code


def test_an_update_replaces_what_is_given_and_keeps_the_rest(database: str) -> None:
    def work(conn: Connection, conversation: Any) -> Any:
        webhook = create_webhook(
            conn,
            conversation,
            Target.WEBHOOK,
            WebhookConfiguration(url=URL, method=Method.GET, filters=["onMessageAdded"]),
        )
        return update_webhook(conn, webhook, WebhookConfiguration(filters=["onMessageRemoved"]))

    updated = in_new_conversation(database, work)
    assert (updated.url, updated.method, updated.filters) == (URL, Method.GET, ["onMessageRemoved"])
