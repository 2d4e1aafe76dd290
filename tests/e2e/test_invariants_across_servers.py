"""Rules hold across processes: two servers on one database, hit at the same moment.

The five-webhook limit, gap-free message indexes, unique names and identities, one
open conversation per SMS address pair, and timers firing once are each checked with
concurrent requests spread over both servers (on PostgreSQL these are separate
connections and transactions; on SQLite, separate processes on one file).
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from chinwag.testing import LiveServer, WebhookReceiver
from tests.conftest import Api
from tests.databases import run_sql

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}


@pytest.fixture
def two_servers(database_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    first, second = LiveServer(database_url), LiveServer(database_url)
    second.account_sid, second.auth_token = first.account_sid, first.auth_token
    try:
        first.start()
        second.start()
        yield first, second
    finally:
        first.stop()
        second.stop()


def all_at_once(
    servers: tuple[LiveServer, LiveServer],
    count: int,
    send: Callable[[str, int], requests.Response],
) -> list[requests.Response]:
    """`count` requests released together, alternating between the two servers."""
    start = threading.Barrier(count)

    def one(number: int) -> requests.Response:
        start.wait()
        return send(servers[number % 2].url, number)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_rules_hold_when_two_servers_write_at_once(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, _ = two_servers
    api, auth = Api(first), first.auth
    conversation = api.post("/v1/Conversations", {}).json()["sid"]

    def webhook(base: str, number: int) -> requests.Response:
        body = {
            "Target": "webhook",
            "Configuration.Url": f"http://127.0.0.1:9/{number}",
            "Configuration.Filters": "onMessageRemoved",
        }
        path = f"{base}/v1/Conversations/{conversation}/Webhooks"
        return requests.post(path, body, auth=auth, timeout=30)

    responses = all_at_once(two_servers, 12, webhook)
    assert Counter(r.status_code for r in responses) == {201: 5, 400: 7}, responses[0].text
    assert len(api.get(f"/v1/Conversations/{conversation}/Webhooks").json()["webhooks"]) == 5

    def message(base: str, number: int) -> requests.Response:
        path = f"{base}/v1/Conversations/{conversation}/Messages"
        return requests.post(path, {"Body": str(number)}, auth=auth, timeout=30)

    indexes = sorted(r.json()["index"] for r in all_at_once(two_servers, 40, message))
    assert indexes == list(range(40))

    def named(base: str, number: int) -> requests.Response:
        return requests.post(
            f"{base}/v1/Conversations", {"UniqueName": "only-one"}, auth=auth, timeout=30
        )

    responses = all_at_once(two_servers, 12, named)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 11}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {50353}

    service = api.get(f"/v1/Conversations/{conversation}").json()["chat_service_sid"]

    def user(base: str, number: int) -> requests.Response:
        path = f"{base}/v1/Services/{service}/Users"
        return requests.post(path, {"Identity": "same-person"}, auth=auth, timeout=30)

    responses = all_at_once(two_servers, 12, user)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 11}

    # One open conversation per SMS (address, proxy address) pair in the account.
    rooms = [api.post("/v1/Conversations", {}).json()["sid"] for _ in range(12)]

    def texting(base: str, number: int) -> requests.Response:
        path = f"{base}/v1/Conversations/{rooms[number]}/Participants"
        pair = {
            "MessagingBinding.Address": "+15550001111",
            "MessagingBinding.ProxyAddress": "+15017122661",
        }
        return requests.post(path, pair, auth=auth, timeout=30)

    responses = all_at_once(two_servers, 12, texting)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 11}, responses[0].text
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {50416}


def test_a_due_timer_fires_once_with_two_servers_running(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_servers
    receiver = WebhookReceiver(first.auth_token).start()
    try:
        api = Api(first)
        conversations = [
            api.post("/v1/Conversations", {"Timers.Inactive": "PT1M"}).json()["sid"]
            for _ in range(20)
        ]
        for sid in conversations:
            body = {
                "Target": "webhook",
                "Configuration.Url": receiver.url + "/timer",
                "Configuration.Filters": "onConversationStateUpdated",
            }
            assert api.post(f"/v1/Conversations/{sid}/Webhooks", body).status_code == 201
        # Due now for both servers' timer passes (each runs every second).
        run_sql(
            first.database_url,
            "UPDATE conversations SET date_inactive = '2000-01-01 00:00:00.000000'",
        )
        received = receiver.wait_for(20, timeout=30)
        assert sorted(r.form["ConversationSid"] for r in received) == sorted(conversations)
        assert all(r.signature_valid for r in received)
        assert Api(second).get(f"/v1/Conversations/{conversations[0]}").json()["state"] == (
            "inactive"
        )
        # A stopped server has finished its timer pass in flight: once both are stopped,
        # every firing there will ever be is in the outbox (written with the state change).
        first.stop()
        second.stop()
    finally:
        receiver.stop()
    fired = run_sql(
        first.database_url,
        "SELECT conversation_sid, count(*) FROM deliveries"
        " WHERE event_type = 'onConversationStateUpdated' GROUP BY conversation_sid",
    )
    assert sorted(fired) == sorted((sid, 1) for sid in conversations)
    assert len(receiver.requests) == 20
