"""Nothing is lost: SIGKILL mid-burst and back within seconds, SIGTERM with a bounded
grace, live workers keep what they hold, and delivery by separate `chinwag worker`s."""

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from chinwag.delivery.sender import TIMEOUT_SECONDS
from chinwag.launcher import Launched, launch
from chinwag.testing import LiveServer, WebhookReceiver
from tests.conftest import Api, app_and_receiver, server_and_receiver, wait_until
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


def hook(api: Api, conversation: str, url: str) -> None:
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": "onMessageAdded",
    }
    assert api.post(f"/v1/Conversations/{conversation}/Webhooks", body).status_code == 201


# Two SIGKILLs in a row: the second kills a server that itself recovered from one. More
# rounds or messages prove nothing more (with the lease check or the release on start
# broken, the first round already fails) and cost ~15 s each.
ROUNDS = 2
MESSAGES = 120  # a round: 120 messages x 5 webhooks = 600 deliveries
WEBHOOKS = 5
RECOVERY = 30.0  # seconds from a restart by which every delivery must have arrived


@pytest.fixture
def crashable(database_url: str) -> Iterator[tuple[LiveServer, WebhookReceiver]]:
    # The default lease: a restarted server takes back the dead one's deliveries in it.
    with server_and_receiver(database_url, "--retry-schedule", "0.2,0.2,0.2") as running:
        server, receiver = running
        # Slow enough that a round's 600 deliveries are still going out at the kill (each
        # webhook's go one by one: 120 take 6 s), on either engine.
        receiver.delay = 0.05
        yield server, receiver


def received(receiver: WebhookReceiver) -> set[tuple[str, str]]:
    """(message index, webhook path) of every delivery received."""
    return {(r.form["Index"], r.url.rsplit("/", 1)[-1]) for r in receiver.requests}


def some_arrived(receiver: WebhookReceiver, expected: set[tuple[str, str]]) -> bool:
    return len(received(receiver) & expected) >= len(expected) // 5


def all_arrived(receiver: WebhookReceiver, expected: set[tuple[str, str]]) -> bool:
    return expected <= received(receiver)


@pytest.mark.slow(3)
@pytest.mark.timeout(240)  # two rounds, each at most its posts and 30 s of recovery
def test_sigkill_during_bursts_every_delivery_is_back_within_30_s_of_restart(
    crashable: tuple[LiveServer, WebhookReceiver],
) -> None:
    server, receiver = crashable
    api = Api(server)
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    for number in range(WEBHOOKS):
        hook(api, conversation, f"{receiver.url}/w{number}")
    url = f"{server.url}/v1/Conversations/{conversation}/Messages"

    def post(number: int) -> int:
        # 60 s as in test_scale_out.py: sixteen writers to one conversation on a loaded
        # machine (coverage's tracer, say) retry their serialization conflicts for long.
        response = requests.post(
            url, {"Body": f"m{number}"}, headers=ENABLED, auth=server.auth, timeout=60
        )
        assert response.status_code == 201, response.text
        index: int = response.json()["index"]
        return index

    recoveries = []
    for round_ in range(ROUNDS):
        numbers = range(round_ * MESSAGES, (round_ + 1) * MESSAGES)
        with ThreadPoolExecutor(max_workers=16) as pool:
            assert sorted(pool.map(post, numbers)) == list(numbers)
        expected = {(str(n), f"w{w}") for n in numbers for w in range(WEBHOOKS)}
        wait_until(partial(some_arrived, receiver, expected), 60, "the burst")
        assert not expected <= received(receiver), "drained before the kill"
        server.stop(signal.SIGKILL)
        restarted = time.monotonic()
        server.start()
        wait_until(
            partial(all_arrived, receiver, expected),
            RECOVERY - (time.monotonic() - restarted),
            f"every delivery of round {round_} within {RECOVERY} s of the restart",
        )
        recoveries.append(time.monotonic() - restarted)

    tokens: dict[tuple[str, str], set[str]] = {}
    for request in receiver.requests:
        key = (request.form["Index"], request.url.rsplit("/", 1)[-1])
        tokens.setdefault(key, set()).add(request.headers["I-Twilio-Idempotency-Token"])
        assert request.signature_valid
    assert len(tokens) == ROUNDS * MESSAGES * WEBHOOKS
    assert all(len(seen) == 1 for seen in tokens.values())  # a resend is the same delivery
    assert len(receiver.requests) > len(tokens), "no delivery was in flight at a kill"
    print(f"recovered in {[round(seconds, 1) for seconds in recoveries]} s")


@pytest.mark.timeout(120)
def test_sigterm_abandons_requests_in_flight_after_the_grace_and_releases_them(
    database_url: str,
) -> None:
    # A long lease: only the release on stop lets the restarted server send them at once.
    args = ("--shutdown-grace", "1", "--delivery-lease", "300")
    with server_and_receiver(database_url, *args) as (server, receiver):
        receiver.delay = 60.0  # hangs: each request ends at the 5-second send timeout
        api = Api(server)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        for number in range(WEBHOOKS):
            hook(api, conversation, f"{receiver.url}/w{number}")
        for number in range(3):
            api.post(f"{url_of(conversation)}", {"Body": f"{number}"}, headers=ENABLED)
        receiver.wait_for(WEBHOOKS)  # one request in flight per webhook, two rows behind each
        stopping = time.monotonic()
        assert server.stop() == 0
        # Finishing the queues would take 3 x 5 s of timeouts; abandoned after the 1-s grace.
        assert time.monotonic() - stopping < 3 * TIMEOUT_SECONDS

        receiver.delay = 0.0
        server.start()
        wait_until(lambda: len(received(receiver)) == 3 * WEBHOOKS, 30, "every delivery")
    tokens: dict[tuple[str, str], set[str]] = {}
    for request in receiver.requests:
        key = (request.form["Index"], request.url.rsplit("/", 1)[-1])
        tokens.setdefault(key, set()).add(request.headers["I-Twilio-Idempotency-Token"])
    assert all(len(seen) == 1 for seen in tokens.values())
    # The abandoned requests were sent again (same token): nothing was recorded for them.
    assert len(receiver.requests) == 3 * WEBHOOKS + WEBHOOKS


def url_of(conversation: str) -> str:
    return f"/v1/Conversations/{conversation}/Messages"


@pytest.mark.timeout(120)
def test_a_live_worker_slower_than_its_lease_keeps_its_deliveries(database_url: str) -> None:
    """Two workers on one database, a lease of 1 s and a receiver that takes 1.5 s a
    request: the worker sending renews its leases, so the other never takes (and sends
    again) a delivery it holds."""
    with ExitStack() as stack:
        first, receiver = stack.enter_context(
            app_and_receiver(database_url, delivery_lease=timedelta(seconds=1))
        )
        second = AppServer(database_url)
        second.settings = replace(second.settings, delivery_lease=timedelta(seconds=1))
        second.start()
        stack.callback(second.stop)
        receiver.delay = 1.5
        api = Api(first)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        hook(api, conversation, receiver.url + "/slow")
        for number in range(4):
            api.post(url_of(conversation), {"Body": f"{number}"}, headers=ENABLED)
        wait_until(
            lambda: all(d["status"] == "delivered" for d in queued(api)), 30, "every delivery"
        )
    assert sorted(r.form["Index"] for r in receiver.requests) == ["0", "1", "2", "3"]


def queued(api: Api) -> list[dict[str, Any]]:
    """Every delivery in the outbox (up to 100), as the delivery API shows it."""
    page = api.get("/chinwag/v1/Deliveries", params={"PageSize": 100})
    assert page.status_code == 200, page.text
    found: list[dict[str, Any]] = page.json()["deliveries"]
    return found


def catches_sigterm(process: Launched) -> bool:
    """Whether `process` has its SIGTERM handler yet (Linux: SigCgt in /proc), or has ended.

    One worker may deliver everything while the other is still starting; signalled
    before its handler is in place, that one would die of SIGTERM instead of stopping.
    """
    if process.poll() is not None:
        return True
    with open(f"/proc/{process.pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def test_serve_without_worker_and_separate_workers_deliver(
    database_url: str, tmp_path: Path
) -> None:
    server = LiveServer(database_url)
    receiver = WebhookReceiver(server.auth_token).start()
    server.extra_args = ["--no-worker"]
    server.start()
    workers: list[Launched] = []
    codes: list[int] = []
    try:
        api = Api(server)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        hook(api, conversation, receiver.url + "/split")
        for number in range(50):
            api.post(
                f"/v1/Conversations/{conversation}/Messages", {"Body": f"{number}"}, headers=ENABLED
            )
        # A worker in `serve` would have sent the first events while the later ones were posted.
        assert [(d["status"], d["attempts"]) for d in queued(api)] == [("pending", 0)] * 50
        assert receiver.requests == []  # nobody delivers yet
        args = ["worker", "--database", server.database_url]
        workers = [launch(args, os.environ, tmp_path / f"worker-{i}.log") for i in range(2)]
        received = receiver.wait_for(50, timeout=30)
        assert sorted(int(r.form["Index"]) for r in received) == list(range(50))
        wait_until(
            lambda: all(d["status"] == "delivered" for d in queued(api)), 30, "every delivery"
        )
    finally:
        for process in workers:
            wait_until(partial(catches_sigterm, process), 30, "the worker's SIGTERM handler")
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=15) for process in workers]
        server.stop()
        receiver.stop()
    assert codes == [0, 0]
    # The workers have exited, so every send there will ever be has been made: one each.
    assert len(receiver.requests) == 50
    assert len({r.headers["I-Twilio-Idempotency-Token"] for r in receiver.requests}) == 50


def test_a_hanging_receiver_does_not_hold_up_a_healthy_one(app_server: AppServer) -> None:
    api = Api(app_server)
    hanging = WebhookReceiver(app_server.auth_token).start()
    healthy = WebhookReceiver(app_server.auth_token).start()
    hanging.delay = 6.0  # past the 5-second timeout
    try:
        slow, fast = (api.post("/v1/Conversations", {}).json()["sid"] for _ in range(2))
        hook(api, slow, hanging.url + "/slow")
        hook(api, fast, healthy.url + "/fast")
        for _ in range(2):
            api.post(f"/v1/Conversations/{slow}/Messages", {"Body": "x"}, headers=ENABLED)
        hanging.wait_for(1)  # the worker is now stuck on it for 5 s
        started = time.monotonic()
        api.post(f"/v1/Conversations/{fast}/Messages", {"Body": "y"}, headers=ENABLED)
        healthy.wait_for(1, timeout=10)
        # The healthy receiver must not wait behind the hanging one's 5-second timeouts.
        assert time.monotonic() - started < 3.0
        assert len(hanging.requests) == 1
    finally:
        hanging.stop()
        healthy.stop()
