"""Isolation: webhooks whose receivers hang or fail, however many, do not slow a healthy one.

The healthy webhook's latency (message posted -> its webhook received) is measured
alone, then beside 20 webhooks to a receiver that hangs past the send timeout and 20
to a port that refuses connections (retried every second, so they keep the worker
busy). Before the claim room was counted in queues, ten hanging queues holding
their rows filled it and the healthy webhook waited for their 5-second timeouts
(issue 14).
"""

import time
from collections.abc import Iterator

import pytest

from chinwag.delivery.claim_plan import ROWS_PER_WEBHOOK
from chinwag.delivery.host_gate import DEFAULT_HOST_CONCURRENCY
from chinwag.delivery.sender import TIMEOUT_SECONDS
from chinwag.testing import LiveServer, WebhookReceiver
from tests.conftest import Api, server_and_receiver, wait_until

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
BAD_WEBHOOKS = 20  # of each kind: hanging, failing
PER_CONVERSATION = 5  # Twilio's limit of scoped webhooks
# Messages to each bad conversation: more than a webhook's queue takes at once
# (ROWS_PER_WEBHOOK), so every hanging queue holds as many rows as it can.
MESSAGES_EACH = ROWS_PER_WEBHOOK + 5
SAMPLES = 20  # healthy deliveries timed, alone and beside the bad ones


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def hook(api: Api, conversation: str, url: str) -> None:
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": "onMessageAdded",
    }
    assert api.post(f"/v1/Conversations/{conversation}/Webhooks", body).status_code == 201


def conversations_hooked_to(api: Api, receiver: WebhookReceiver, name: str) -> list[str]:
    """BAD_WEBHOOKS webhooks to `receiver`, five per conversation."""
    sids = []
    for group in range(BAD_WEBHOOKS // PER_CONVERSATION):
        sid = api.post("/v1/Conversations", {}).json()["sid"]
        for number in range(PER_CONVERSATION):
            hook(api, sid, f"{receiver.url}/{name}/{group}/{number}")
        sids.append(sid)
    return sids


def retried(api: Api, conversation: str) -> bool:
    """Whether a delivery in `conversation` has failed and been tried again."""
    page = api.get("/chinwag/v1/Deliveries", params={"ConversationSid": conversation})
    return any(delivery["attempts"] >= 2 for delivery in page.json()["deliveries"])


def healthy_latencies(api: Api, conversation: str, healthy: WebhookReceiver) -> list[float]:
    """Post SAMPLES messages one after another, each timed until its webhook arrives
    (infinite, and the last, if it has not arrived after four send timeouts)."""
    latencies: list[float] = []
    for _ in range(SAMPLES):
        expected = len(healthy.requests) + 1
        started = time.monotonic()
        response = api.post(
            f"/v1/Conversations/{conversation}/Messages", {"Body": "ok"}, headers=ENABLED
        )
        assert response.status_code == 201, response.text
        try:
            healthy.wait_for(expected, timeout=4 * TIMEOUT_SECONDS)
        except AssertionError:
            return [*latencies, float("inf")]
        latencies.append(time.monotonic() - started)
    return latencies


@pytest.fixture
def isolated(database_url: str) -> Iterator[tuple[LiveServer, WebhookReceiver]]:
    """A `chinwag serve` process, so that the receivers' threads and this test's
    clients do not share its CPU time (and GIL)."""
    args = (
        *("--retry-schedule", "1,1,1,1,1"),  # failing webhooks tried again every second
        *("--shutdown-grace", "0.5"),  # the hanging requests are abandoned at the end
    )
    with server_and_receiver(database_url, *args) as (server, healthy):
        yield server, healthy


@pytest.mark.slow(1)
@pytest.mark.timeout(120)
def test_twenty_hanging_and_twenty_failing_webhooks_leave_a_healthy_ones_latency_alone(
    isolated: tuple[LiveServer, WebhookReceiver],
) -> None:
    server, healthy = isolated
    api = Api(server)
    hanging = WebhookReceiver(server.auth_token).start()
    failing = WebhookReceiver(server.auth_token).start()
    hanging.delay = TIMEOUT_SECONDS + 30  # answers long after the sender gave up
    failing.down()  # connection refused: failing at once, at no CPU cost to this process
    try:
        good = api.post("/v1/Conversations", {}).json()["sid"]
        hook(api, good, healthy.url + "/healthy")
        refused = conversations_hooked_to(api, failing, "fail")
        bad = conversations_hooked_to(api, hanging, "hang") + refused

        alone = healthy_latencies(api, good, healthy)

        for conversation in bad:
            for number in range(MESSAGES_EACH):
                api.post(
                    f"/v1/Conversations/{conversation}/Messages",
                    {"Body": f"bad {number}"},
                    headers=ENABLED,
                )
        # The bad receivers are busy: as many hanging requests as the host allows, for
        # the third time (by then every hanging queue has been claimed again, full:
        # ROWS_PER_WEBHOOK rows), and failures with their retries.
        hanging.wait_for(3 * DEFAULT_HOST_CONCURRENCY, timeout=60)
        wait_until(lambda: all(retried(api, sid) for sid in refused), 30, "failing retries")
        beside = healthy_latencies(api, good, healthy)
    finally:
        hanging.stop()
        failing.stop()

    # Starved, the healthy webhook waits for the hanging requests' timeouts:
    # TIMEOUT_SECONDS and more. Anything shorter is the bad webhooks' traffic and the
    # machine's load: in CI the other tests (a browser among them) share the two cores,
    # and a p99 of 2.5 s beside 0.1 s alone was seen there.
    assert p99(alone) < TIMEOUT_SECONDS / 2, f"too slow alone to tell starvation apart: {alone}"
    assert p99(beside) < TIMEOUT_SECONDS, (alone, beside)
