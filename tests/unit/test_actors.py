"""Who acts: each transport builds one actor, and the operations below read it alone."""

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import make_mocked_request

from chinwag.domain.actors import Actor, Transport, sdk_origin
from chinwag.operations.addressing import ServiceRef
from chinwag.operations.prehooks import pre_event
from chinwag.resources.common import actor
from chinwag.store.accounts import Account
from chinwag.store.database import Database

ACCOUNT = Account("AC" + "0" * 32, "token", "test", datetime(2024, 1, 1, tzinfo=UTC))


def test_an_sdk_user_always_fires_webhooks_naming_itself() -> None:
    user = Actor.sdk(ACCOUNT, "IS" + "1" * 32, "alice")
    assert user.transport is Transport.SDK
    assert (user.identity, user.service_sid, user.webhooks_enabled) == (
        "alice",
        "IS" + "1" * 32,
        True,
    )
    assert user.origin == sdk_origin("alice")
    assert user.origin.source == "SDK"


@pytest.mark.parametrize("ticked", [True, False])
def test_the_dashboard_acts_as_the_api_with_its_box_for_the_header(ticked: bool) -> None:
    acting = Actor.dashboard(ACCOUNT, webhooks_enabled=ticked)
    assert acting.transport is Transport.DASHBOARD
    assert (acting.origin.source, acting.webhooks_enabled, acting.identity) == ("API", ticked, None)
    assert acting.service_sid is None


@pytest.mark.parametrize(
    ("header", "enabled"), [("true", True), (" TRUE ", True), ("false", False), (None, False)]
)
def test_a_rest_request_fires_webhooks_only_with_the_header(
    header: str | None, enabled: bool
) -> None:
    headers = {"X-Twilio-Webhook-Enabled": header} if header is not None else {}
    request = make_mocked_request("POST", "/v1/Conversations", headers=headers)
    request["account"] = ACCOUNT
    built = actor(request)
    assert built == Actor.rest(ACCOUNT, webhooks_enabled=enabled)
    assert (built.transport, built.origin.source) == (Transport.REST, "API")
    assert actor(request) is built  # once per request


@pytest.mark.parametrize(
    "acting", [Actor.rest(ACCOUNT, webhooks_enabled=False), Actor.sdk(ACCOUNT, "IS1", "bob")]
)
def test_pre_events_are_not_asked_without_webhooks_or_a_sender(acting: Actor) -> None:
    """Nothing is looked up (this database is never opened) when nothing would be asked."""
    never_opened = Database.__new__(Database)
    addressed = ServiceRef(ACCOUNT, "http://chinwag", None, "/v1/Conversations")

    async def ask() -> dict[str, str]:
        return await pre_event(
            never_opened, None, acting, addressed, "onConversationAdd", [], frozenset()
        )

    assert asyncio.run(ask()) == {}
