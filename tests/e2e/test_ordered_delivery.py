"""Ordered delivery, chinwag's own option: a conversation's events reach an ordered webhook
or sink one at a time, in the order they were committed; a failed one holds the later
ones until it is delivered or dead, and other conversations go on meanwhile."""

import os
import signal
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from chinwag.launcher import Launched, launch
from chinwag.testing import LiveServer, ReceivedRequest, WebhookReceiver, twilio_client
from tests.conftest import (
    Api,
    app_and_receiver,
    assert_twilio_error,
    other_account,
    server_and_receiver,
    wait_until,
)
from tests.dashboard import Dashboard
from tests.e2e.tenants import Tenant
from tests.e2e.test_crash_and_workers import catches_sigterm
from tests.e2e.test_event_streams import make_sink, subscribe
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
ORDERING = "/chinwag/v1/OrderedDelivery"
# One retry, 3 s (±20 %) after a failure: time enough to see what goes meanwhile.
SLOW_RETRY = (3.0,)


def order(api: Api, sid: str, ordered: bool = True) -> None:
    response = api.post(f"{ORDERING}/{sid}", {"Ordered": "true" if ordered else "false"})
    assert response.status_code == 200, response.text
    assert response.json()["ordered"] is ordered


def conversation(api: Api) -> str:
    sid: str = api.post("/v1/Conversations", {}).json()["sid"]
    return sid


def scoped_webhook(api: Api, conversation_sid: str, url: str) -> str:
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": "onMessageAdded",
    }
    response = api.post(f"/v1/Conversations/{conversation_sid}/Webhooks", body)
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def global_webhook(api: Api, url: str) -> None:
    """The account's service-level webhook: every conversation's messages go to `url`."""
    body = {"PostWebhookUrl": url, "Filters": "onMessageAdded"}
    assert api.post("/v1/Configuration/Webhooks", body).status_code == 200


def send(api: Api, conversation_sid: str, *bodies: str) -> None:
    """Post messages with webhooks on."""
    for body in bodies:
        path = f"/v1/Conversations/{conversation_sid}/Messages"
        response = api.post(path, {"Body": body}, headers=ENABLED)
        assert response.status_code == 201, response.text


def bodies(received: list[ReceivedRequest]) -> list[str]:
    return [request.form["Body"] for request in received]


def deliveries(api: Api, **filters: str) -> list[dict[str, Any]]:
    """The account's deliveries, oldest first, as the delivery API shows them."""
    response = api.get("/chinwag/v1/Deliveries", params={"PageSize": 100, **filters})
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["deliveries"]))


@pytest.fixture
def slow_retry(database_url: str) -> Iterator[tuple[AppServer, WebhookReceiver, Api]]:
    with app_and_receiver(database_url, retry_schedule=SLOW_RETRY) as (server, receiver):
        yield server, receiver, Api(server)


def fail_one_then_send_more(api: Api, receiver: WebhookReceiver) -> None:
    """Message 1 of a conversation fails once; 2 and 3 follow it, then "x" in another
    conversation, all to one service-level webhook."""
    first, second = conversation(api), conversation(api)
    receiver.scripts["/hook"] = [500]
    send(api, first, "1")
    receiver.wait_for(1)  # failed: its retry comes in about 3 s
    send(api, first, "2", "3")
    send(api, second, "x")


def test_an_ordered_webhook_holds_a_conversations_later_events_behind_a_failed_one(
    slow_retry: tuple[AppServer, WebhookReceiver, Api],
) -> None:
    server, receiver, api = slow_retry
    global_webhook(api, receiver.url + "/hook")
    order(api, server.account_sid)  # the global configuration is the account's

    fail_one_then_send_more(api, receiver)
    receiver.wait_for(2)  # the other conversation's event goes during the hold
    one, two, three = deliveries(api)[:3]
    assert [d["status"] for d in (one, two, three)] == ["pending", "waiting", "waiting"]
    assert two["waiting_for"] == three["waiting_for"] == one["sid"]
    assert one["ordered"] and one["next_attempt_at"] and two["next_attempt_at"] is None
    dashboard = Dashboard(server)
    dashboard.sign_in(server.account_sid, server.auth_token)
    page = dashboard.get(f"/deliveries/{two['sid']}").text
    assert 'id="waiting-for"' in page and one["sid"] in page
    assert "badge-waiting" in dashboard.get("/deliveries").text

    assert bodies(receiver.wait_for(5)) == ["1", "x", "1", "2", "3"]
    wait_until(lambda: {d["status"] for d in deliveries(api)} == {"delivered"}, 10, "all sent")
    assert [d["waiting_for"] for d in deliveries(api)] == [None] * 4


def test_without_ordering_later_events_overtake_a_failed_one(
    slow_retry: tuple[AppServer, WebhookReceiver, Api],
) -> None:
    _, receiver, api = slow_retry
    global_webhook(api, receiver.url + "/hook")

    fail_one_then_send_more(api, receiver)

    assert bodies(receiver.wait_for(5)) == ["1", "2", "3", "x", "1"]
    assert not any(d["ordered"] for d in deliveries(api))


def test_a_dead_delivery_lets_the_ones_behind_it_go(database_url: str) -> None:
    with app_and_receiver(database_url, retry_schedule=(0.3,)) as (server, receiver):
        api = Api(server)
        chat = conversation(api)
        order(api, scoped_webhook(api, chat, receiver.url + "/hook"))
        receiver.scripts["/hook"] = [500, 500]  # message 1's attempt and its one retry
        send(api, chat, "1", "2", "3")

        assert bodies(receiver.wait_for(4)) == ["1", "1", "2", "3"]
        wait_until(lambda: deliveries(api)[-1]["status"] == "delivered", 10, "the last one")
        found = [(d["status"], d["attempts"]) for d in deliveries(api)]
        assert found == [("failed", 2), ("delivered", 1), ("delivered", 1)]


def test_an_ordered_sink_holds_a_conversations_later_events_behind_a_failed_one(
    database_url: str,
) -> None:
    with app_and_receiver(database_url, retry_schedule=(0.3,)) as (server, receiver):
        api, client = Api(server), twilio_client(server)
        sink = make_sink(client, receiver.url + "/sink")
        subscribe(client, sink, ["com.twilio.conversations.message.added"])
        order(api, sink)
        receiver.scripts["/sink"] = [500]
        send(api, conversation(api), "1", "2", "3")

        received = receiver.wait_for(4)
        assert [r.json[0]["data"]["MessageBody"] for r in received] == ["1", "1", "2", "3"]


def test_after_a_crash_the_next_event_waits_for_the_one_in_flight(database_url: str) -> None:
    """The server dies while message 1 is being sent: its lease ends, the restarted server
    sends it again (same token), and only then 2 and 3."""
    with server_and_receiver(database_url, "--delivery-lease", "2") as (server, receiver):
        api = Api(server)
        chat = conversation(api)
        order(api, scoped_webhook(api, chat, receiver.url + "/hook"))
        receiver.delay = 3.0  # the first request is still unanswered at the kill
        send(api, chat, "1", "2", "3")
        receiver.wait_for(1)
        server.stop(signal.SIGKILL)
        receiver.delay = 0.0
        server.start()

        received = receiver.wait_for(4, timeout=30)
    assert bodies(received) == ["1", "1", "2", "3"]
    tokens = [r.headers["I-Twilio-Idempotency-Token"] for r in received]
    assert tokens[0] == tokens[1] and len(set(tokens)) == 3


@pytest.mark.timeout(120)
def test_two_workers_keep_each_conversations_order(database_url: str, tmp_path: Path) -> None:
    """Two `chinwag worker`s on one database and a receiver failing one request in three:
    each conversation's events still arrive one at a time, in order, every one of them."""
    server = LiveServer(database_url)
    receiver = WebhookReceiver(server.auth_token).start()
    server.extra_args = ["--no-worker"]
    server.start()
    workers: list[Launched] = []
    try:
        api = Api(server)
        global_webhook(api, receiver.url + "/hook")
        order(api, server.account_sid)
        chats = [conversation(api) for _ in range(3)]
        for number in range(8):  # queued before any worker runs: both start with a backlog
            for chat in chats:
                send(api, chat, f"{number}")
        receiver.answers = [500, 200, 200] * 40
        receiver.delay = 0.02  # both workers busy at once
        args = ["worker", "--database", database_url, "--retry-schedule", "0.2,0.2,0.2"]
        workers = [launch(args, os.environ, tmp_path / f"worker-{i}.log") for i in range(2)]

        def settled() -> bool:
            return not {d["status"] for d in deliveries(api)} & {"pending", "waiting"}

        wait_until(settled, 60, "every delivery delivered or dead")
    finally:
        for process in workers:
            wait_until(partial(catches_sigterm, process), 30, "the worker's SIGTERM handler")
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=15) for process in workers]
        server.stop()
        receiver.stop()
    assert codes == [0, 0]
    for chat in chats:
        arrived = [
            int(r.form["Body"]) for r in receiver.requests if r.form["ConversationSid"] == chat
        ]
        # Each message's attempts together, the messages in order: nothing overtook.
        assert arrived == sorted(arrived) and set(arrived) == set(range(8)), arrived


def test_the_flag_is_set_and_read_by_sid_and_only_in_the_account(
    tenant: Tenant, app_server: AppServer
) -> None:
    api = tenant.api
    chat = conversation(api)
    webhook = scoped_webhook(api, chat, "http://127.0.0.1:9/hook")
    service = api.get("/v1/Services").json()["services"][0]["sid"]
    sink = make_sink(tenant.client, "http://127.0.0.1:9/sink")
    for sid in (webhook, sink, service, tenant.sid):
        assert api.get(f"{ORDERING}/{sid}").json() == {
            "sid": sid,
            "ordered": False,
            "url": f"{app_server.url}{ORDERING}/{sid}",
        }
        order(api, sid)
        assert api.get(f"{ORDERING}/{sid}").json()["ordered"] is True
    order(api, webhook, ordered=False)
    assert api.get(f"{ORDERING}/{webhook}").json()["ordered"] is False

    # Twilio's own resources answer as before: the flag is not theirs.
    assert "ordered" not in api.get(f"/v1/Conversations/{chat}/Webhooks/{webhook}").json()
    assert "ordered" not in api.get(f"/v1/Sinks/{sink}").json()

    intruder = other_account(app_server)
    for sid in (webhook, sink, service, tenant.sid, "WH" + "0" * 32, "nonsense"):
        assert_twilio_error(intruder.get(f"{ORDERING}/{sid}"), 404, 20404)
        assert_twilio_error(intruder.post(f"{ORDERING}/{sid}", {"Ordered": "true"}), 404, 20404)
    assert_twilio_error(api.post(f"{ORDERING}/{webhook}", {}), 400, 20001)
    assert_twilio_error(api.post(f"{ORDERING}/{webhook}", {"Ordered": "yes"}), 400, 20001)


def test_the_dashboard_shows_which_webhooks_and_sinks_are_ordered(
    tenant: Tenant, app_server: AppServer
) -> None:
    api = tenant.api
    chat = conversation(api)
    order(api, scoped_webhook(api, chat, "http://127.0.0.1:9/hook"))
    order(api, make_sink(tenant.client, "http://127.0.0.1:9/sink"))
    order(api, tenant.sid)
    dashboard = Dashboard(app_server)
    dashboard.sign_in(tenant.sid, tenant.auth_token)
    assert "<td>yes</td>" in dashboard.get(f"/conversations/{chat}").text
    assert "<td>yes</td>" in dashboard.get("/configuration").text  # the global configuration
    assert "· ordered" in dashboard.get("/sinks").text
