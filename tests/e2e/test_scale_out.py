"""Scale-out: two API servers and three `chinwag worker`s on one database.

Every event is delivered exactly once when nothing crashes; when a worker is
killed mid-burst, its claims return after their lease and nothing is lost.
"""

import os
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from chinwag.launcher import Launched, launch
from chinwag.testing import LiveServer, WebhookReceiver
from tests.conftest import Api, wait_until
from tests.e2e.test_crash_and_workers import ENABLED, hook

# Hundreds of events show a duplicate or a lost delivery across workers as surely as
# thousands did (with the claim's lease check removed, the first burst already has
# duplicates; with leases that never end, the killed worker's events never arrive).
CONVERSATIONS = 40
FIRST_BURST = 600
SECOND_BURST = 600
KILL_AFTER = 60  # deliveries of the second burst before the kill


@dataclass
class Cluster:
    servers: list[LiveServer]
    workers: list[Launched]
    receiver: WebhookReceiver
    database_url: str
    logs: Path

    def start_worker(self) -> None:
        args = ["worker", "--database", self.database_url]
        # Short, so a killed worker's claims return soon; long enough that a live
        # worker's claim never expires while it is sending (that would be a resend).
        args += ["--delivery-lease", "10"]
        log = self.logs / f"worker-{len(self.workers)}.log"
        self.workers.append(launch(args, os.environ, log))


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    first = LiveServer(database_url)
    second = LiveServer(database_url)
    second.account_sid, second.auth_token = first.account_sid, first.auth_token
    receiver = WebhookReceiver(first.auth_token).start()
    group = Cluster([first, second], [], receiver, database_url, tmp_path)
    try:
        for server in group.servers:
            server.extra_args = ["--no-worker"]
            server.start()
        for _ in range(3):
            group.start_worker()
        yield group
    finally:
        for process in group.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in group.workers:
            process.wait(timeout=30)
        for server in group.servers:
            server.stop()
        receiver.stop()


def post_burst(cluster: Cluster, conversations: list[str], first: int, count: int) -> None:
    """`count` messages, spread over the conversations and, alternately, the two servers."""
    auth = cluster.servers[0].auth

    def post(number: int) -> None:
        server = cluster.servers[number % 2]
        conversation = conversations[number % len(conversations)]
        response = requests.post(
            f"{server.url}/v1/Conversations/{conversation}/Messages",
            {"Body": str(number)},
            headers=ENABLED,
            auth=auth,
            timeout=60,
        )
        assert response.status_code == 201, response.text

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(post, range(first, first + count)))


def bodies(receiver: WebhookReceiver) -> Counter[str]:
    """How many times each message was received."""
    return Counter(request.form["Body"] for request in receiver.requests)


@pytest.mark.slow(3)  # the heaviest of the suite: 1,200 events through five processes
@pytest.mark.timeout(300)
def test_two_servers_and_three_workers_deliver_every_event_once_and_survive_a_kill(
    cluster: Cluster,
) -> None:
    api = Api(cluster.servers[0])
    conversations = [api.post("/v1/Conversations", {}).json()["sid"] for _ in range(CONVERSATIONS)]
    for conversation in conversations:
        hook(api, conversation, cluster.receiver.url + "/scale")

    post_burst(cluster, conversations, 0, FIRST_BURST)
    wait_until(lambda: len(bodies(cluster.receiver)) == FIRST_BURST, 120, "the first burst")
    # No crash: every event, each attempt of it once. A worker that claimed a delivery
    # another holds would send the same attempt (RetryCount) twice; a receiver starved
    # past the 5-s send timeout (a loaded machine) is sent the event again as a counted
    # retry, whether or not it got to record the first attempt.
    assert set(bodies(cluster.receiver)) == set(map(str, range(FIRST_BURST)))
    attempts = Counter((r.form["Body"], r.form["RetryCount"]) for r in cluster.receiver.requests)
    assert max(attempts.values()) == 1
    assert all(request.signature_valid for request in cluster.receiver.requests)

    # A second burst, and one worker killed while it is being posted and delivered.
    cluster.receiver.delay = 0.005
    total = FIRST_BURST + SECOND_BURST
    with ThreadPoolExecutor(max_workers=1) as background:
        posting = background.submit(post_burst, cluster, conversations, FIRST_BURST, SECOND_BURST)
        wait_until(
            lambda: len(bodies(cluster.receiver)) >= FIRST_BURST + KILL_AFTER, 60, "deliveries"
        )
        assert not posting.done(), "the burst was posted before the kill"
        cluster.workers[0].send_signal(signal.SIGKILL)
        posting.result()
    wait_until(lambda: len(bodies(cluster.receiver)) == total, 120, "every event after the kill")
    tokens: dict[str, set[str]] = {}
    for request in cluster.receiver.requests:
        tokens.setdefault(request.form["Body"], set()).add(
            request.headers["I-Twilio-Idempotency-Token"]
        )
    assert all(len(seen) == 1 for seen in tokens.values())  # a resend is the same delivery
