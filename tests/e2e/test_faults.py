"""Failing receivers: 500, 429 with Retry-After, a hang past the timeout, a reset connection,
a closed port. Every event ends delivered or failed, with each attempt in the delivery API."""

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from chinwag.delivery.sender import HttpSender, OutboundRequest, SendResult
from chinwag.testing import HANG, RESET, Answer, WebhookReceiver
from tests.conftest import Api, app_and_receiver, wait_until
from tests.e2e.test_deliveries_api import (
    DELIVERIES,
    listed,
    rename,
    watched_conversation,
)
from tests.inprocess import AppServer

RETRY_AFTER = Answer(429, {"Retry-After": "1"})


def outbound(url: str) -> OutboundRequest:
    return OutboundRequest(url, "POST", [("EventType", "x")], "token", "idempotency-token")


async def send_each(url: str, count: int, timeout: float) -> list[SendResult]:
    async with aiohttp.ClientSession() as session:
        sender = HttpSender(session, deny_private_targets=False, timeout=timeout)
        return [await sender.send(outbound(url)) for _ in range(count)]


def test_the_sender_names_each_failure() -> None:
    receiver = WebhookReceiver("token").start()
    try:
        receiver.answers = [500, Answer(429, {"Retry-After": "7"}), RESET, HANG, 204]
        results = asyncio.run(send_each(receiver.url + "/x", 5, timeout=0.5))
        assert [(r.status, r.error, r.retry_after) for r in results] == [
            (500, None, None),
            (429, None, 7.0),
            (None, "connection_reset", None),
            (None, "timeout", None),
            (204, None, None),
        ]
        receiver.down()
        [refused] = asyncio.run(send_each(receiver.url + "/x", 1, timeout=0.5))
        assert (refused.status, refused.error) == (None, "connection_refused")
        receiver.up()
        [back] = asyncio.run(send_each(receiver.url + "/x", 1, timeout=0.5))
        assert back.ok
    finally:
        receiver.stop()


@pytest.fixture
def retrying(database_url: str) -> Iterator[tuple[AppServer, WebhookReceiver, Api]]:
    """Three retries, 0.2 s apart: four attempts at most."""
    with app_and_receiver(database_url, retry_schedule=(0.2, 0.2, 0.2)) as pair:
        yield *pair, Api(pair[0])


def attempts_of(api: Api, webhook: str) -> tuple[str, list[tuple[int | None, str | None]]]:
    """The status of the webhook's one delivery, and (response status, error) per attempt."""
    [delivery] = listed(api, WebhookSid=webhook)
    fetched: dict[str, Any] = api.get(f"{DELIVERIES}/{delivery['sid']}").json()
    log = [(a["response_status"], a["error"]) for a in fetched["attempts"]]
    assert [a["attempt"] for a in fetched["attempts"]] == list(range(1, len(log) + 1))
    assert fetched["attempts"] and fetched["attempts"][-1]["error"] == fetched["error"]
    return fetched["status"], log


def test_every_event_ends_delivered_or_failed_with_its_attempt_history(
    retrying: tuple[AppServer, WebhookReceiver, Api],
) -> None:
    server, receiver, api = retrying
    receiver.scripts = {
        "/flaky": [500, RETRY_AFTER, RESET],  # then 200
        "/dead": [500, 503, 502, 500],
        "/hang": [HANG],  # costs the 5-second timeout once
        "/gone": [404],
    }
    closed = WebhookReceiver(server.auth_token).start()
    closed.down()
    try:
        webhooks = {}
        for name, url in [
            ("flaky", receiver.url + "/flaky"),
            ("dead", receiver.url + "/dead"),
            ("hang", receiver.url + "/hang"),
            ("gone", receiver.url + "/gone"),
            ("down", closed.url + "/down"),
        ]:
            conversation, webhooks[name] = watched_conversation(api, url)
            rename(api, conversation, name)
        wait_until(lambda: len(listed(api)) == 5 and not listed(api, Status="pending"), 30)

        refused = (None, "connection_refused")
        assert attempts_of(api, webhooks["flaky"]) == (
            "delivered",
            [(500, None), (429, None), (None, "connection_reset"), (200, None)],
        )
        assert attempts_of(api, webhooks["dead"]) == (
            "failed",
            [(500, None), (503, None), (502, None), (500, None)],
        )
        assert attempts_of(api, webhooks["hang"]) == ("delivered", [(None, "timeout"), (200, None)])
        assert attempts_of(api, webhooks["gone"]) == ("failed", [(404, None)])
        assert attempts_of(api, webhooks["down"]) == ("failed", [refused] * 4)

        # The retry after the 429 waited for its Retry-After (1 s), not the 0.2 s schedule.
        [flaky] = listed(api, WebhookSid=webhooks["flaky"])
        started = [
            a["started_at"] for a in api.get(f"{DELIVERIES}/{flaky['sid']}").json()["attempts"]
        ]
        assert started[2] > started[1]  # whole seconds: at least one second apart

        # The receiver comes back: a redelivery succeeds, the history grows.
        closed.up()
        response = api.post(f"{DELIVERIES}/Redeliver", {"WebhookSid": webhooks["down"]})
        assert response.json() == {"redelivered": 1}
        wait_until(lambda: attempts_of(api, webhooks["down"])[0] == "delivered")
        assert attempts_of(api, webhooks["down"])[1] == [refused] * 4 + [(200, None)]
        assert [r.form["RetryCount"] for r in closed.requests] == ["4"]
    finally:
        closed.stop()
