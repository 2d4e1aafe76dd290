"""Nothing is lost: SIGKILL mid-burst, restarts, and delivery by separate `chinwag worker`s."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
import requests

from chinwag.testing import LiveServer, WebhookReceiver
from tests.conftest import Api, server_and_receiver
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
BURST = 2000


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def hook(api: Api, conversation: str, url: str) -> None:
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": "onMessageAdded",
    }
    assert api.post(f"/v1/Conversations/{conversation}/Webhooks", body).status_code == 201


@pytest.fixture
def crashable(database_url: str) -> Iterator[tuple[LiveServer, WebhookReceiver]]:
    args = ("--delivery-lease", "1", "--retry-schedule", "0.2,0.2,0.2")
    with server_and_receiver(database_url, *args) as (server, receiver):
        # Slow enough that the kills land while deliveries are going out, on either engine
        # (posting to one conversation on PostgreSQL runs at about 150/s here).
        receiver.delay = 0.01
        yield server, receiver


@pytest.mark.slow(2)
@pytest.mark.timeout(300)  # 2,000 events posted, then drained through two crashes
def test_sigkill_mid_burst_loses_nothing_and_duplicates_keep_their_token(
    crashable: tuple[LiveServer, WebhookReceiver],
) -> None:
    server, receiver = crashable
    api = Api(server)
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    hook(api, conversation, receiver.url + "/burst")
    url = f"{server.url}/v1/Conversations/{conversation}/Messages"

    def post(number: int) -> int:
        response = requests.post(
            url, {"Body": f"m{number}"}, headers=ENABLED, auth=server.auth, timeout=30
        )
        assert response.status_code == 201, response.text
        index: int = response.json()["index"]
        return index

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert sorted(pool.map(post, range(BURST))) == list(range(BURST))

    for extra in (150, 300):  # two crashes while the outbox is draining
        target = len(receiver.requests) + extra

        def reached(n: int = target) -> bool:
            return len(receiver.requests) >= n

        wait_until(reached, 60, f"{target} deliveries")
        assert len({r.form["Index"] for r in receiver.requests}) < BURST, "drained before the kill"
        server.stop(signal.SIGKILL)
        server.start()

    wait_until(
        lambda: len({r.form["Index"] for r in receiver.requests}) == BURST, 90, "every event"
    )
    tokens: dict[str, set[str]] = {}
    for request in receiver.requests:
        tokens.setdefault(request.form["Index"], set()).add(
            request.headers["I-Twilio-Idempotency-Token"]
        )
        assert request.signature_valid
    assert set(tokens) == {str(i) for i in range(BURST)}
    assert all(len(seen) == 1 for seen in tokens.values())  # a resend is the same delivery


def queued(api: Api) -> list[dict[str, Any]]:
    """Every delivery in the outbox (up to 100), as the delivery API shows it."""
    page = api.get("/chinwag/v1/Deliveries", params={"PageSize": 100})
    assert page.status_code == 200, page.text
    found: list[dict[str, Any]] = page.json()["deliveries"]
    return found


def catches_sigterm(process: subprocess.Popen[bytes]) -> bool:
    """Whether `process` has its SIGTERM handler yet (Linux: SigCgt in /proc), or has ended.

    One worker may deliver everything while the other is still starting; signalled
    before its handler is in place, that one would die of SIGTERM instead of stopping.
    """
    if process.poll() is not None:
        return True
    with open(f"/proc/{process.pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def test_serve_without_worker_and_separate_workers_deliver(database_url: str) -> None:
    server = LiveServer(database_url)
    receiver = WebhookReceiver(server.auth_token).start()
    server.extra_args = ["--no-worker"]
    server.start()
    workers: list[subprocess.Popen[bytes]] = []
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
        command = [sys.executable, "-m", "chinwag", "worker", "--database", server.database_url]
        workers = [subprocess.Popen(command, env=os.environ.copy()) for _ in range(2)]
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
