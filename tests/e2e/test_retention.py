"""Retention: `chinwag deliveries prune` and the worker's --retention-days on a real server."""

from collections.abc import Iterator

import pytest

from chinwag.testing import WebhookReceiver
from tests.conftest import (
    Api,
    app_and_receiver,
    assert_twilio_error,
    server_and_receiver,
    wait_until,
)
from tests.e2e.test_deliveries_api import (
    DELIVERIES,
    listed,
    rename,
    settled,
    watched_conversation,
)
from tests.inprocess import AppServer

Setup = tuple[AppServer, WebhookReceiver, Api]


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    """A server whose one retry is an hour away, so a 500 leaves a delivery pending."""
    with app_and_receiver(database_url, retry_schedule=(3600,)) as pair:
        yield *pair, Api(pair[0])


def one_delivery(api: Api, receiver: WebhookReceiver, answer: int, status: str) -> str:
    """A delivery the receiver answered with `answer`, once it has `status`; its SID."""
    receiver.answers = [answer]
    conversation, _ = watched_conversation(api, receiver.url + f"/{answer}")
    rename(api, conversation, str(answer))
    [delivery] = wait_until(lambda: listed(api, ConversationSid=conversation, Status=status))
    sid: str = delivery["sid"]
    return sid


def test_prune_removes_finished_deliveries_and_their_attempts_and_keeps_pending(
    setup: Setup,
) -> None:
    server, receiver, api = setup
    delivered = one_delivery(api, receiver, 200, "delivered")
    failed = one_delivery(api, receiver, 404, "failed")  # permanent: no retry
    pending = one_delivery(api, receiver, 500, "pending")  # retried in an hour

    assert server.cli("deliveries", "prune", "--older-than-days", "1").strip() == (
        "removed 0 deliveries and 0 attempts"
    )
    assert len(listed(api)) == 3

    output = server.cli("deliveries", "prune", "--older-than-days", "0")
    assert output.strip() == "removed 2 deliveries and 2 attempts"
    assert [d["sid"] for d in listed(api)] == [pending]
    kept = api.get(f"{DELIVERIES}/{pending}").json()
    assert (kept["status"], len(kept["attempts"])) == ("pending", 1)
    for gone in (delivered, failed):
        assert_twilio_error(api.get(f"{DELIVERIES}/{gone}"), 404, 20404)


def test_the_worker_prunes_with_its_retention_from_its_start(database_url: str) -> None:
    # A `chinwag serve` process: in-process restarts missed the prune at start under load
    # (not understood yet; see the closing note of issue 10).
    with server_and_receiver(database_url, "--retry-schedule", "3600") as (server, receiver):
        api = Api(server)
        conversation, _ = watched_conversation(api, receiver.url + "/kept")
        rename(api, conversation, "soon old")
        settled(api, 1)

        server.extra_args += ["--retention-days", "0"]  # 0: kept for ever
        server.restart()
        assert len(listed(api)) == 1

        server.extra_args[-1] = "0.000001"  # 86 ms
        server.restart()
        wait_until(lambda: listed(api) == [])
