"""Event Streams through twilio-python's `client.events.v1`: sinks, subscriptions, and
Conversations changes arriving at a real receiver as signed CloudEvents whose `data`
validates against the schemas chinwag serves."""

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chinwag.domain.event_types import EVENT_TYPES
from chinwag.testing import ReceivedRequest, WebhookReceiver, twilio_client
from tests.conftest import Api, app_and_receiver, assert_twilio_error, other_account, wait_until
from tests.dashboard import Dashboard
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

ALL_TYPES = [event_type.type for event_type in EVENT_TYPES]
ENVELOPE = ["specversion", "type", "source", "id", "dataschema", "datacontenttype", "time", "data"]


@pytest.fixture
def streams(database_url: str) -> Iterator[tuple[AppServer, WebhookReceiver, Client, Api]]:
    """A server of its own that retries after 0.2 s and 0.4 s, a receiver, twilio-python."""
    with app_and_receiver(database_url, retry_schedule=(0.2, 0.4)) as (server, receiver):
        yield server, receiver, twilio_client(server), Api(server)


def make_sink(client: Client, url: str, batch_events: bool = False) -> str:
    configuration = {"destination": url, "method": "POST", "batch_events": batch_events}
    sink = client.events.v1.sinks.create(
        description="chinwag sink", sink_configuration=configuration, sink_type="webhook"
    )
    assert sink.status == "active" and sink.sink_configuration == configuration
    return str(sink.sid)


def subscribe(client: Client, sink_sid: str, types: list[str], version: int = 2) -> str:
    subscription = client.events.v1.subscriptions.create(
        description="conversations",
        sink_sid=sink_sid,
        types=[{"type": name, "schema_version": version} for name in types],
    )
    return str(subscription.sid)


def events_of(requests: list[ReceivedRequest]) -> list[dict[str, Any]]:
    return [event for request in requests for event in request.json]


def test_a_sink_is_tested_validated_and_subscribed_with_twilio_python(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, _ = streams
    sink_sid = make_sink(client, receiver.url + "/sink")

    assert client.events.v1.sinks(sink_sid).sink_test.create().result == "submitted"
    [request] = receiver.wait_for(1)
    assert request.signature_valid and request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert "bodySHA256=" in request.url
    [test_event] = request.json
    assert test_event["type"] == "com.twilio.eventstreams.test-sink"
    test_id = test_event["data"]["test_id"]
    assert test_event["id"] == test_id and len(test_id) == 34

    validated = client.events.v1.sinks(sink_sid).sink_validate.create(test_id=test_id)
    assert validated.result == "valid"
    assert client.events.v1.sinks(sink_sid).fetch().status == "active"

    subscription_sid = subscribe(client, sink_sid, ["com.twilio.conversations.message.added"])
    subscription = client.events.v1.subscriptions(subscription_sid)
    assert subscription.fetch().sink_sid == sink_sid
    types = subscription.subscribed_events.list()
    assert [(t.type, t.schema_version) for t in types] == [
        ("com.twilio.conversations.message.added", 2)
    ]
    added = subscription.subscribed_events.create(
        type="com.twilio.conversations.user.added", schema_version=1
    )
    assert added.schema_version == 1
    assert (
        subscription.subscribed_events("com.twilio.conversations.user.added")
        .update(schema_version=2)
        .schema_version
        == 2
    )
    subscription.subscribed_events("com.twilio.conversations.user.added").delete()
    assert len(subscription.subscribed_events.list()) == 1
    assert [s.sid for s in client.events.v1.subscriptions.list(sink_sid=sink_sid)] == [
        subscription_sid
    ]
    assert [s.sid for s in client.events.v1.sinks.list(in_use=True)] == [sink_sid]
    assert client.events.v1.sinks(sink_sid).update(description="renamed").description == "renamed"


def _schema_for(api: Api, event: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of an event's `data`, found as a user would: its type's schema id,
    that schema's version, and the version's `raw` URL."""
    event_type = api.get(f"/v1/Types/{event['type']}").json()
    version = event["dataschema"].rsplit("/", 1)[1]
    found = api.get(f"/v1/Schemas/{event_type['schema_id']}/Versions/{version}").json()
    schema: dict[str, Any] = api.get(found["raw"]).json()
    assert schema["$id"] == event["dataschema"]
    return schema


def test_every_conversations_change_arrives_as_a_signed_cloud_event_of_its_schema(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    server, receiver, client, api = streams
    sink_sid = make_sink(client, receiver.url + "/events")
    subscribe(client, sink_sid, ALL_TYPES)

    # No X-Twilio-Webhook-Enabled: Event Streams hears of REST changes all the same.
    conversations = client.conversations.v1
    conversation = conversations.conversations.create(
        friendly_name="Streamed", attributes='{"topic": "billing", "n": 1}'
    )
    conv = conversations.conversations(conversation.sid)
    conv.update(friendly_name="Streamed 2")
    conv.update(state="inactive")  # conversation.updated and conversation-state.updated
    participant = conv.participants.create(identity="ada")  # user.added first
    sms = conv.participants.create(
        messaging_binding_address="+15558675310", messaging_binding_proxy_address="+15017122661"
    )
    message = conv.messages.create(author="ada", body="hello")
    conv.messages(message.sid).update(body="hello again")
    conv.participants(participant.sid).update(last_read_message_index=message.index)
    conv.messages(message.sid).delete()
    conv.participants(sms.sid).delete()
    users = conversations.users
    user = users.create(identity="grace", friendly_name="Grace")
    users(user.sid).update(friendly_name="Grace H.")
    conv.delete()

    removed = "com.twilio.conversations.conversation.removed"
    wait_until(lambda: removed in {e["type"] for e in events_of(receiver.requests)}, what=removed)
    requests = list(receiver.requests)
    assert all(r.signature_valid for r in requests)
    assert all(len(r.json) == 1 for r in requests)  # batch_events false: one per request
    events = events_of(requests)
    assert {event["type"] for event in events} == set(ALL_TYPES)
    for event in events:
        assert list(event) == ENVELOPE
        assert event["specversion"] == "1.0" and event["datacontenttype"] == "application/json"
        jsonschema.validate(event["data"], _schema_for(api, event))
        assert event["data"]["AccountSid"] == server.account_sid
    by_type = {event["type"]: event for event in events}
    added = by_type["com.twilio.conversations.message.added"]
    assert added["data"]["Index"] == message.index and added["data"]["MessageBody"] == "hello"
    assert added["source"].endswith(f"/Conversations/{conversation.sid}/Messages/{message.sid}")
    created = by_type["com.twilio.conversations.conversation.added"]["data"]
    assert created["Attributes"] == {"topic": "billing", "n": 1}
    sms_added = [
        e["data"] for e in events if e["type"] == "com.twilio.conversations.participant.added"
    ]
    assert {"Type": "SMS", "Address": "+15558675310", "ProxyAddress": "+15017122661"} in [
        data.get("MessagingBinding") for data in sms_added
    ]
    states = [
        (e["data"]["StateFrom"], e["data"]["StateTo"], e["data"]["Reason"])
        for e in events
        if e["type"] == "com.twilio.conversations.conversation-state.updated"
    ]
    # The update made it inactive; the message woke it up.
    assert states == [("active", "inactive", "API"), ("inactive", "active", "EVENT")]
    assert len({event["id"] for event in events}) == len(events)
    wait_until(lambda: _statuses(api, sink_sid) == {"delivered"}, what="every delivery recorded")


def _statuses(api: Api, sink_sid: str) -> set[str]:
    listed = api.get("/chinwag/v1/Deliveries", params={"WebhookSid": sink_sid}).json()
    return {delivery["status"] for delivery in listed["deliveries"]}


def test_a_batching_sink_gets_one_transactions_events_in_one_array(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = streams
    batching = make_sink(client, receiver.url + "/batch", batch_events=True)
    single = make_sink(client, receiver.url + "/single", batch_events=False)
    wanted = ["conversation.added", "participant.added", "user.added"]
    for sink_sid in (batching, single):
        subscribe(client, sink_sid, ["com.twilio.conversations." + name for name in wanted])

    # One transaction: the conversation, two users and their participants.
    made = api.post(
        "/v1/ConversationWithParticipants",
        {"FriendlyName": "team", "Participant": ['{"identity": "x"}', '{"identity": "y"}']},
    )
    assert made.status_code == 202, made.text

    requests = receiver.wait_for(6)  # five events to `single`, one array to `batch`
    by_path: dict[str, list[ReceivedRequest]] = {}
    for request in requests:
        by_path.setdefault(request.url.split("?")[0].rsplit("/", 1)[1], []).append(request)
    [batch] = by_path["batch"]
    assert batch.signature_valid
    assert [event["type"].rsplit(".", 2)[1] for event in batch.json] == [
        "conversation",
        "user",
        "participant",
        "user",
        "participant",
    ]
    assert [len(request.json) for request in by_path["single"]] == [1] * 5
    assert events_of(by_path["single"]) != batch.json  # each event has an id of its own
    listed = api.get("/chinwag/v1/Deliveries", params={"WebhookSid": batching}).json()
    [delivery] = listed["deliveries"]
    assert delivery["target"] == "sink"
    assert delivery["event_type"] == "com.twilio.conversations.conversation.added +4"


def test_a_failing_sink_is_retried_and_can_be_redelivered(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = streams
    sink_sid = make_sink(client, receiver.url + "/flaky")
    subscribe(client, sink_sid, ["com.twilio.conversations.conversation.added"])
    receiver.answers = [500, 503, 500]

    client.conversations.v1.conversations.create(friendly_name="retried")
    attempts = receiver.wait_for(3)
    assert len({r.headers["I-Twilio-Idempotency-Token"] for r in attempts}) == 1
    assert len({r.body for r in attempts}) == 1  # the same events, the same ids, each time
    assert all(r.signature_valid for r in attempts)
    wait_until(lambda: _statuses(api, sink_sid) == {"failed"}, what="the delivery to fail")

    [delivery] = api.get("/chinwag/v1/Deliveries", params={"WebhookSid": sink_sid}).json()[
        "deliveries"
    ]
    redelivered = api.post(f"/chinwag/v1/Deliveries/{delivery['sid']}/Redeliver")
    assert redelivered.status_code == 202
    fourth = receiver.wait_for(4)[3]
    assert fourth.body == attempts[0].body and fourth.signature_valid
    wait_until(lambda: _statuses(api, sink_sid) == {"delivered"}, what="the redelivery")
    log = api.get(f"/chinwag/v1/Deliveries/{delivery['sid']}").json()["attempts"]
    assert [attempt["response_status"] for attempt in log] == [500, 503, 500, 200]


def test_types_a_sink_is_not_subscribed_to_are_not_sent(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = streams
    sink_sid = make_sink(client, receiver.url + "/messages-only", batch_events=True)
    subscribe(client, sink_sid, ["com.twilio.conversations.message.added"])
    conversation = client.conversations.v1.conversations.create(friendly_name="quiet")
    conv = client.conversations.v1.conversations(conversation.sid)
    conv.participants.create(identity="ada")
    conv.messages.create(author="ada", body="one")
    conv.update(friendly_name="still quiet")

    [request] = receiver.wait_for(1)
    assert [event["type"] for event in request.json] == ["com.twilio.conversations.message.added"]
    listed = api.get("/chinwag/v1/Deliveries", params={"WebhookSid": sink_sid}).json()
    assert len(listed["deliveries"]) == 1  # written with the changes: nothing else was queued


def test_another_account_can_neither_see_nor_use_a_sink(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    server, receiver, client, api = streams
    sink_sid = make_sink(client, receiver.url + "/mine")
    subscription_sid = subscribe(client, sink_sid, ["com.twilio.conversations.conversation.added"])
    intruder = other_account(server)

    for path in (f"/v1/Sinks/{sink_sid}", f"/v1/Subscriptions/{subscription_sid}"):
        assert_twilio_error(intruder.get(path), 404, 20404)
        assert_twilio_error(intruder.post(path, {"Description": "mine now"}), 404, 20404)
        assert_twilio_error(intruder.delete(path), 404, 20404)
    assert_twilio_error(intruder.post(f"/v1/Sinks/{sink_sid}/Test"), 404, 20404)
    assert intruder.get("/v1/Sinks").json()["sinks"] == []
    assert intruder.get("/v1/Subscriptions").json()["subscriptions"] == []
    taken = intruder.post(
        "/v1/Subscriptions",
        {
            "Description": "theirs",
            "SinkSid": sink_sid,
            "Types": '{"type": "com.twilio.conversations.conversation.added"}',
        },
    )
    assert_twilio_error(taken, 400, 20001)
    intruder.post("/v1/Conversations", {"FriendlyName": "someone else's"})
    api.post("/v1/Conversations", {"FriendlyName": "mine"})
    [request] = receiver.wait_for(1)
    assert request.json[0]["data"]["FriendlyName"] == "mine"
    assert request.json[0]["data"]["AccountSid"] == server.account_sid
    assert_twilio_error(
        intruder.get("/chinwag/v1/Deliveries/" + request.headers["I-Twilio-Idempotency-Token"]),
        404,
        20404,
    )


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        (
            {"SinkType": "webhook", "SinkConfiguration": '{"destination": "http://a.test/"}'},
            "Description",
        ),
        (
            {"Description": "d", "SinkType": "webhook", "SinkConfiguration": "not json"},
            "is not a JSON object",
        ),
        (
            {
                "Description": "d",
                "SinkType": "webhook",
                "SinkConfiguration": '{"destination": "ftp://x"}',
            },
            "destination 'ftp://x'",
        ),
        (
            {
                "Description": "d",
                "SinkType": "webhook",
                "SinkConfiguration": '{"destination": "http://a.test/", "method": "PUT"}',
            },
            "method 'PUT'",
        ),
        (
            {
                "Description": "d",
                "SinkType": "webhook",
                "SinkConfiguration": '{"destination": "http://a.test/", "batch_events": "yes"}',
            },
            "batch_events 'yes'",
        ),
        ({"Description": "d", "SinkType": "kinesis", "SinkConfiguration": "{}"}, "webhook sinks"),
        ({"Description": "d", "SinkType": "pigeon", "SinkConfiguration": "{}"}, "'pigeon'"),
    ],
)
def test_bad_sinks_are_refused_with_twilios_envelope(
    api: Api, form: dict[str, str], fragment: str
) -> None:
    body = assert_twilio_error(api.post("/v1/Sinks", form), 400, 20001)
    assert fragment in body["message"]


def test_bad_subscriptions_are_refused_with_twilios_envelope(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = streams
    sink_sid = make_sink(client, receiver.url + "/x")
    base = {"Description": "d", "SinkSid": sink_sid}
    for types, fragment in [
        ('{"type": "com.twilio.voice.call"}', "'com.twilio.voice.call'"),
        ('{"type": "com.twilio.conversations.message.added", "schema_version": 9}', "'9'"),
        ("[1]", "is not a JSON object"),
    ]:
        body = assert_twilio_error(
            api.post("/v1/Subscriptions", {**base, "Types": types}), 400, 20001
        )
        assert fragment in body["message"]
    assert_twilio_error(api.post("/v1/Subscriptions", base), 400, 20001)
    assert_twilio_error(api.post(f"/v1/Sinks/{sink_sid}/Validate"), 400, 20001)
    assert_twilio_error(api.get("/v1/Types/com.twilio.voice.call"), 404, 20404)
    assert_twilio_error(api.get("/v1/Schemas/Conversations.MessageAdded/Versions/3"), 404, 20404)
    with pytest.raises(TwilioRestException) as refused:
        client.events.v1.subscriptions("DF" + "0" * 32).fetch()
    assert refused.value.status == 404
    assert api.get("/v1/Subscriptions").json()["subscriptions"] == []  # nothing half-written


def test_deleting_a_sink_deletes_its_subscriptions(
    streams: tuple[AppServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = streams
    sink_sid = make_sink(client, receiver.url + "/gone")
    subscription_sid = subscribe(client, sink_sid, ALL_TYPES)
    client.events.v1.sinks(sink_sid).delete()
    assert_twilio_error(api.get(f"/v1/Subscriptions/{subscription_sid}"), 404, 20404)
    client.conversations.v1.conversations.create(friendly_name="unheard")
    assert api.get("/chinwag/v1/Deliveries").json()["deliveries"] == []


def test_the_dashboard_shows_an_accounts_sinks_and_their_deliveries(
    tenant: Tenant, dashboard: Dashboard, app_server: AppServer, webhook_receiver: WebhookReceiver
) -> None:
    sink_sid = make_sink(tenant.client, webhook_receiver.url + "/shown")
    subscribe(tenant.client, sink_sid, ["com.twilio.conversations.conversation.added"])
    tenant.client.conversations.v1.conversations.create(friendly_name="on the dashboard")
    webhook_receiver.wait_for(1)
    wait_until(lambda: _statuses(tenant.api, sink_sid) == {"delivered"}, what="the delivery")

    page = dashboard.get("/sinks").text
    assert sink_sid in page and webhook_receiver.url + "/shown" in page
    assert "com.twilio.conversations.conversation.added" in page
    assert "delivered" in page and f"/chinwag/ui/deliveries?webhook={sink_sid}" in page
    listed = dashboard.get(f"/deliveries?webhook={sink_sid}").text
    [token] = re.findall(r"/chinwag/ui/deliveries/([0-9a-f-]{36})", listed)
    shown = dashboard.get(f"/deliveries/{token}").text
    assert "CloudEvents sent" in shown and "on the dashboard" in shown

    stranger = Dashboard(app_server)
    other = new_tenant(app_server, "stranger")
    assert stranger.sign_in(other.sid, other.auth_token).status_code == 200
    assert sink_sid not in stranger.get("/sinks").text
    assert stranger.get(f"/deliveries/{token}").status_code == 404
