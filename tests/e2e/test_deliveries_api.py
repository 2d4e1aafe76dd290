"""The delivery API (/chinwag/v1/Deliveries) and the `chinwag deliveries` CLI."""

import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chinwag.testing import WebhookReceiver
from tests.conftest import (
    Api,
    app_and_receiver,
    assert_twilio_error,
    other_account,
    wait_until,
)
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
DELIVERIES = "/chinwag/v1/Deliveries"
Setup = tuple[AppServer, WebhookReceiver, Api]


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    """A server that retries once after 0.2 s, and a receiver for it."""
    with app_and_receiver(database_url, retry_schedule=(0.2,)) as pair:
        yield *pair, Api(pair[0])


def add_webhook(api: Api, conversation: str, url: str) -> requests.Response:
    """Ask for a webhook on `conversation` for onConversationUpdated."""
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": "onConversationUpdated",
    }
    return api.post(f"/v1/Conversations/{conversation}/Webhooks", body)


def watched_conversation(api: Api, url: str) -> tuple[str, str]:
    """A conversation with a webhook for onConversationUpdated; (conversation, webhook)."""
    conversation: str = api.post("/v1/Conversations", {}).json()["sid"]
    response = add_webhook(api, conversation, url)
    assert response.status_code == 201, response.text
    webhook: str = response.json()["sid"]
    return conversation, webhook


def rename(api: Api, conversation: str, name: str) -> None:
    response = api.post(
        f"/v1/Conversations/{conversation}", {"FriendlyName": name}, headers=ENABLED
    )
    assert response.status_code == 200, response.text


def listed(api: Api, **params: str) -> list[dict[str, Any]]:
    response = api.get(DELIVERIES, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["deliveries"]
    return items


def settled(api: Api, count: int, status: str = "delivered") -> list[dict[str, Any]]:
    """The deliveries once exactly `count` of them have `status`."""

    def check() -> list[dict[str, Any]] | None:
        found = listed(api, Status=status)
        return found if len(found) == count else None

    result: list[dict[str, Any]] = wait_until(check)
    return result


def test_the_list_is_newest_first_filtered_and_paged(setup: Setup) -> None:
    server, receiver, api = setup
    first, _ = watched_conversation(api, receiver.url + "/first")
    second, second_webhook = watched_conversation(api, receiver.url + "/second")
    for name in ("a1", "a2", "a3"):
        rename(api, first, name)
    rename(api, second, "b1")
    receiver.wait_for(4)
    everything = settled(api, 4)

    assert [d["params"]["FriendlyName"] for d in everything] == ["b1", "a3", "a2", "a1"]
    newest = everything[0]
    assert newest["account_sid"] == server.account_sid
    assert newest["chat_service_sid"].startswith("IS")
    assert (newest["conversation_sid"], newest["webhook_sid"]) == (second, second_webhook)
    assert (newest["target"], newest["event_type"]) == ("webhook", "onConversationUpdated")
    assert (newest["url"], newest["method"]) == (receiver.url + "/second", "POST")
    assert (newest["status"], newest["attempts"], newest["response_status"]) == (
        "delivered",
        1,
        200,
    )
    assert newest["error"] is None and newest["next_attempt_at"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", newest["date_created"])
    assert "attempts" in newest and "RetryCount" not in newest["params"]

    assert len(listed(api, ConversationSid=first)) == 3
    assert [d["sid"] for d in listed(api, WebhookSid=second_webhook)] == [newest["sid"]]
    assert len(listed(api, EventType="onConversationUpdated")) == 4
    assert listed(api, EventType="onMessageAdded") == []
    assert listed(api, Status="failed") == []
    assert listed(api, CreatedAfter="2999-01-01T00:00:00Z") == []
    assert listed(api, CreatedBefore="2000-01-01T00:00:00Z") == []
    assert len(listed(api, CreatedAfter="2000-01-01T00:00:00Z")) == 4
    assert_twilio_error(api.get(DELIVERIES, params={"Status": "lost"}), 400, 20001)
    assert_twilio_error(api.get(DELIVERIES, params={"CreatedAfter": "soon"}), 400, 20001)

    page = api.get(DELIVERIES, params={"ConversationSid": first, "PageSize": "2"}).json()
    assert [d["params"]["FriendlyName"] for d in page["deliveries"]] == ["a3", "a2"]
    assert page["meta"]["key"] == "deliveries"
    assert f"ConversationSid={first}" in page["meta"]["next_page_url"]
    rest = api.get(page["meta"]["next_page_url"]).json()
    assert [d["params"]["FriendlyName"] for d in rest["deliveries"]] == ["a1"]
    assert rest["meta"]["next_page_url"] is None


def test_a_delivery_shows_its_attempts_and_is_invisible_to_other_accounts(setup: Setup) -> None:
    server, receiver, api = setup
    receiver.answers = [500]
    conversation, _ = watched_conversation(api, receiver.url + "/flaky")
    rename(api, conversation, "x")
    received = receiver.wait_for(2)
    [delivery] = settled(api, 1)
    assert delivery["sid"] == received[0].headers["I-Twilio-Idempotency-Token"]

    fetched = api.get(f"{DELIVERIES}/{delivery['sid']}").json()
    assert fetched["attempts"] == [
        {
            "attempt": number,
            "started_at": attempt["started_at"],
            "url": receiver.url + "/flaky",
            "method": "POST",
            "response_status": status,
            "latency_ms": attempt["latency_ms"],
            "response_excerpt": "",
            "error": None,
        }
        for (number, status), attempt in zip([(1, 500), (2, 200)], fetched["attempts"], strict=True)
    ]
    assert fetched["status"] == "delivered"
    assert fetched["params"]["FriendlyName"] == "x"

    other = other_account(server)
    assert_twilio_error(other.get(f"{DELIVERIES}/{delivery['sid']}"), 404, 20404)
    assert_twilio_error(other.post(f"{DELIVERIES}/{delivery['sid']}/Redeliver"), 404, 20404)
    assert_twilio_error(api.get(f"{DELIVERIES}/00000000-0000-0000-0000-000000000000"), 404, 20404)
    assert listed(other) == []
    assert_twilio_error(api.get(DELIVERIES, auth=(server.account_sid, "wrong")), 401, 20003)


def test_a_redelivery_keeps_the_token_and_counts_on(setup: Setup) -> None:
    _, receiver, api = setup
    conversation, _ = watched_conversation(api, receiver.url + "/again")
    rename(api, conversation, "once more")
    [first] = receiver.wait_for(1)
    [delivery] = settled(api, 1)

    response = api.post(f"{DELIVERIES}/{delivery['sid']}/Redeliver")
    assert response.status_code == 202, response.text
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 1)

    again = receiver.wait_for(2)[1]
    assert (
        again.headers["I-Twilio-Idempotency-Token"] == first.headers["I-Twilio-Idempotency-Token"]
    )
    assert (first.form["RetryCount"], again.form["RetryCount"]) == ("0", "1")
    assert again.signature_valid
    [after] = settled(api, 1)
    assert after["attempts"] == 2


def test_failed_deliveries_of_a_webhook_are_redelivered_together(setup: Setup) -> None:
    server, receiver, api = setup
    receiver.answers = [404, 404]  # permanent: no retry
    conversation, webhook = watched_conversation(api, receiver.url + "/gone")
    _, quiet_webhook = watched_conversation(api, receiver.url + "/quiet")
    rename(api, conversation, "a")
    rename(api, conversation, "b")
    receiver.wait_for(2)
    settled(api, 2, "failed")

    assert_twilio_error(api.post(f"{DELIVERIES}/Redeliver"), 400, 20001)
    assert other_account(server).post(
        f"{DELIVERIES}/Redeliver", {"WebhookSid": webhook}
    ).json() == {"redelivered": 0}
    assert api.post(f"{DELIVERIES}/Redeliver", {"WebhookSid": quiet_webhook}).json() == {
        "redelivered": 0
    }
    response = api.post(f"{DELIVERIES}/Redeliver", {"WebhookSid": webhook})
    assert (response.status_code, response.json()) == (202, {"redelivered": 2})

    again = receiver.wait_for(4)[2:]
    assert sorted(r.form["FriendlyName"] for r in again) == ["a", "b"]
    assert all(r.form["RetryCount"] == "1" and r.signature_valid for r in again)
    settled(api, 2)
    by_conversation = api.post(f"{DELIVERIES}/Redeliver", {"ConversationSid": conversation})
    assert by_conversation.json() == {"redelivered": 0}  # none failed any more


@pytest.mark.slow  # eight `chinwag` processes, one after the other
def test_the_cli_lists_shows_and_redelivers(setup: Setup) -> None:
    server, receiver, api = setup
    conversation, _ = watched_conversation(api, receiver.url + "/cli")
    rename(api, conversation, "via cli")
    receiver.wait_for(1)
    [delivery] = settled(api, 1)
    sid = delivery["sid"]

    listing = server.cli("deliveries", "list")
    assert sid in listing and "delivered" in listing
    assert sid in server.cli("deliveries", "list", "--status", "delivered", "--limit", "1")
    assert sid not in server.cli("deliveries", "list", "--status", "failed")
    assert sid not in server.cli("deliveries", "list", "--conversation", "CH" + "0" * 32)
    assert sid in server.cli("deliveries", "list", "--conversation", conversation)

    shown = server.cli("deliveries", "show", sid)
    assert sid in shown and conversation in shown and "Attempts" in shown
    with pytest.raises(subprocess.CalledProcessError):
        server.cli("deliveries", "show", "00000000-0000-0000-0000-000000000000")

    assert "pending" in server.cli("deliveries", "redeliver", sid)
    again = receiver.wait_for(2)[1]  # the running server picks it up at its next poll
    assert again.headers["I-Twilio-Idempotency-Token"] == sid
    assert again.form["RetryCount"] == "1" and again.signature_valid
