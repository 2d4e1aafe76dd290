"""Events reach conversation-scoped webhooks: signed like Twilio, filtered, gated by the header."""

import re
from collections.abc import Iterator

import pytest
from twilio.rest import Client

from chinwag.config import Settings
from chinwag.testing import WebhookReceiver, free_port, twilio_client
from tests.conftest import Api, app_and_receiver, wait_until
from tests.databases import run_sql
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def scoped_webhook(
    api: Api, conversation: str, url: str, *filters: str, method: str = "post"
) -> str:
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Method": method,
        "Configuration.Filters": list(filters),
    }
    response = api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def test_a_rest_change_with_the_header_is_delivered_signed(
    api: Api, client: Client, webhook_receiver: WebhookReceiver, app_server: AppServer
) -> None:
    conversation = api.post("/v1/Conversations", {"FriendlyName": "before"}).json()["sid"]
    scoped_webhook(
        api, conversation, webhook_receiver.url + "/hook?team=a", "onConversationUpdated"
    )

    client.conversations.v1.conversations(conversation).update(
        friendly_name="after", x_twilio_webhook_enabled="true"
    )

    [request] = webhook_receiver.wait_for(1)
    assert request.signature_valid
    assert request.method == "POST"
    assert request.url == webhook_receiver.url + "/hook?team=a"
    assert request.headers["User-Agent"] == "TwilioProxy/1.1"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert UUID.match(request.headers["I-Twilio-Idempotency-Token"])
    # Exactly Twilio's header set (a captured request, docs/events.md C1): no Accept-Encoding.
    assert {name.lower() for name in request.headers} == {
        "host",
        "user-agent",
        "content-type",
        "content-length",
        "accept",
        "i-twilio-idempotency-token",
        "x-twilio-signature",
    }
    assert request.headers["Accept"] == "*/*"
    form = request.form
    assert form["EventType"] == "onConversationUpdated"
    assert form["AccountSid"] == app_server.account_sid
    assert form["ConversationSid"] == conversation
    assert form["FriendlyName"] == "after"
    assert form["Source"] == "API"
    assert form["RetryCount"] == "0"
    assert "ClientIdentity" not in form  # SDK-originated changes only
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", form["DateUpdated"])


def test_without_the_header_a_rest_change_fires_nothing(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(api, conversation, webhook_receiver.url, "onConversationUpdated")
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "silent"})
    api.post(
        f"/v1/Conversations/{conversation}",
        {"FriendlyName": "false"},
        headers={"X-Twilio-Webhook-Enabled": "false"},
    )
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "loud"}, headers=ENABLED)
    webhook_receiver.wait_for(1)
    # Deliveries go out in order, so anything the first two changes queued would be here.
    assert [r.form["FriendlyName"] for r in webhook_receiver.requests] == ["loud"]


def test_filters_choose_the_events_and_legacy_names_map_to_current_ones(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(api, conversation, webhook_receiver.url + "/removed", "onConversationDestroyed")
    scoped_webhook(api, conversation, webhook_receiver.url + "/state", "onConversationStateUpdated")
    api.post(
        f"/v1/Conversations/{conversation}", {"FriendlyName": "no state change"}, headers=ENABLED
    )
    api.post(f"/v1/Conversations/{conversation}", {"State": "inactive"}, headers=ENABLED)
    api.delete(f"/v1/Conversations/{conversation}", headers=ENABLED)
    requests = webhook_receiver.wait_for(2)
    by_path = {r.url.removeprefix(webhook_receiver.url): r.form for r in requests}
    assert by_path["/state"]["EventType"] == "onConversationStateUpdated"
    assert (by_path["/state"]["StateFrom"], by_path["/state"]["StateTo"]) == ("active", "inactive")
    assert by_path["/removed"]["EventType"] == "onConversationRemoved"
    assert all(r.signature_valid for r in requests)


def test_get_webhooks_carry_the_parameters_in_the_query_string(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(
        api, conversation, webhook_receiver.url + "/g", "onConversationUpdated", method="get"
    )
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "via get"}, headers=ENABLED)
    [request] = webhook_receiver.wait_for(1)
    assert request.method == "GET"
    assert request.form["FriendlyName"] == "via get"
    assert request.signature_valid


@pytest.fixture
def studio_server(database_url: str) -> Iterator[tuple[AppServer, WebhookReceiver]]:
    with app_and_receiver(database_url, studio_url="{receiver}/flows/{flow_sid}") as pair:
        yield pair


def test_studio_webhooks_go_to_the_configured_studio_url(
    studio_server: tuple[AppServer, WebhookReceiver],
) -> None:
    server, receiver = studio_server
    api = Api(server)
    flow = "FW" + "c" * 32
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    body = {
        "Target": "studio",
        "Configuration.FlowSid": flow,
        "Configuration.Filters": "onConversationUpdated",
    }
    assert api.post(f"/v1/Conversations/{conversation}/Webhooks", body).status_code == 201
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "to studio"}, headers=ENABLED)
    [request] = receiver.wait_for(1)
    assert request.url == f"{receiver.url}/flows/{flow}"
    assert request.signature_valid and request.form["FriendlyName"] == "to studio"


def test_studio_without_a_studio_url_is_recorded_undeliverable_not_dropped(
    fresh_app: AppServer,
) -> None:
    api = Api(fresh_app)
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    body = {
        "Target": "studio",
        "Configuration.FlowSid": "FW" + "d" * 32,
        "Configuration.Filters": "onConversationUpdated",
    }
    api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)
    client = twilio_client(fresh_app)
    assert client.conversations.v1.conversations(conversation).fetch().friendly_name == "x"
    # Recorded once the worker has claimed it (on PostgreSQL its wake may come a moment
    # after the commit; a stop before the claim would leave it pending, for the next start).
    query = "SELECT status, error, event_type FROM deliveries"
    wait_until(lambda: read_outbox(fresh_app, query)[0][0] != "pending", 20, "the attempt")
    fresh_app.stop()
    rows = read_outbox(fresh_app, query)
    assert len(rows) == 1
    status, error, event_type = rows[0]
    assert (status, event_type) == ("undeliverable", "onConversationUpdated")
    assert "studio" in str(error)


def read_outbox(server: AppServer, query: str) -> list[tuple[object, ...]]:
    """The outbox itself, as stored."""
    return run_sql(server.database_url, query)


def test_an_unreachable_receiver_fails_at_once_in_twilio_strict_mode(database_url: str) -> None:
    server = AppServer(database_url, Settings(twilio_strict=True)).start()
    try:
        api = Api(server)
        conversation = api.post("/v1/Conversations", {}).json()["sid"]
        nobody_listens = f"http://127.0.0.1:{free_port()}/hook"
        scoped_webhook(api, conversation, nobody_listens, "onConversationUpdated")
        api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)
        # Claimed and tried once (a stop at once may come before the worker's first claim).
        query = "SELECT status FROM deliveries"
        wait_until(lambda: read_outbox(server, query) != [("pending",)], 20, "the attempt")
    finally:
        server.stop()
    assert read_outbox(server, "SELECT status, error, attempts FROM deliveries") == [
        ("failed", "connection_refused", 1)
    ]
    attempts = read_outbox(server, "SELECT attempt, response_status, error FROM delivery_attempts")
    assert attempts == [(1, None, "connection_refused")]


@pytest.fixture
def retrying(database_url: str) -> Iterator[tuple[AppServer, WebhookReceiver, Api]]:
    """A server that retries after 0.2 s and 0.4 s, and a receiver for it."""
    with app_and_receiver(database_url, retry_schedule=(0.2, 0.4)) as pair:
        yield *pair, Api(pair[0])


def test_a_5xx_is_retried_with_the_same_token_and_a_new_retry_count(
    retrying: tuple[AppServer, WebhookReceiver, Api],
) -> None:
    server, receiver, api = retrying
    receiver.answers = [500, 503]
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(api, conversation, receiver.url + "/flaky", "onConversationUpdated")
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)
    attempts = receiver.wait_for(3)
    assert [r.form["RetryCount"] for r in attempts] == ["0", "1", "2"]
    assert len({r.headers["I-Twilio-Idempotency-Token"] for r in attempts}) == 1
    assert all(r.signature_valid for r in attempts)  # RetryCount is signed each time
    server.stop()
    assert read_outbox(server, "SELECT status, attempts FROM deliveries") == [("delivered", 3)]
    log = read_outbox(
        server, "SELECT attempt, response_status FROM delivery_attempts ORDER BY attempt"
    )
    assert log == [(1, 500), (2, 503), (3, 200)]


def test_a_4xx_is_permanent_and_the_schedule_ends_in_failed(
    retrying: tuple[AppServer, WebhookReceiver, Api],
) -> None:
    server, receiver, api = retrying
    receiver.answers = [404, 500, 500, 500]
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(api, conversation, receiver.url + "/gone", "onConversationUpdated")
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "a"}, headers=ENABLED)
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "b"}, headers=ENABLED)
    received = receiver.wait_for(4)  # a: one 404; b: 500, then two retries, all 500
    server.stop()
    rows = read_outbox(
        server, "SELECT status, attempts, response_status FROM deliveries ORDER BY id"
    )
    assert rows == [("failed", 1, 404), ("failed", 3, 500)]
    assert [r.form["FriendlyName"] for r in received] == ["a", "b", "b", "b"]
