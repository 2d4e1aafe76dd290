"""Event Streams' pure rules: a post-event as a CloudEvent, its schema, batching, signing."""

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from twilio.request_validator import RequestValidator

from chinwag.delivery.sender import OutboundRequest
from chinwag.domain import cloud_events, event_types
from chinwag.domain.event_schemas import DEFINITIONS, VERSIONS, data_schema, schema_url
from chinwag.domain.sinks import webhook_configuration
from chinwag.twilio.errors import InvalidParameter

AT = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
AC, IS, CH = "AC" + "1" * 32, "IS" + "2" * 32, "CH" + "3" * 32
DATES = [("DateCreated", "2026-01-01T00:00:00.000Z"), ("DateUpdated", "2026-01-01T00:00:01.000Z")]
REMOVED = [("DateRemoved", "2026-01-01T00:00:02.000Z")]
MEDIA = '[{"Sid":"ME1","Filename":"a.png","ContentType":"image/png","Size":12}]'
CONVERSATION = [
    *DATES,
    ("FriendlyName", "Support"),
    ("UniqueName", "ticket-42"),
    ("Attributes", '{"priority": 1, "tags": ["x"]}'),
    ("MessagingServiceSid", "MG1"),
    ("State", "active"),
]
MESSAGE = [
    ("MessageSid", "IM1"),
    ("MessagingServiceSid", "MG1"),
    ("Index", "7"),
    ("Author", "ada"),
    ("Body", "hello"),
    ("Attributes", "{}"),
    ("ParticipantSid", "MB1"),
    ("DateCreated", "2026-01-01T00:00:00.000Z"),
    ("Media", MEDIA),
]
PARTICIPANT = [
    ("ParticipantSid", "MB1"),
    ("MessagingBinding.Type", "SMS"),
    ("MessagingBinding.Address", "+15558675310"),
    ("MessagingBinding.ProxyAddress", "+15017122661"),
    ("RoleSid", "RL1"),
    ("Attributes", "{}"),
    *DATES,
]
USER = [
    ("UserSid", "US1"),
    ("Identity", "ada"),
    ("FriendlyName", "Ada"),
    ("RoleSid", "RL1"),
    ("Attributes", '{"a": "b"}'),
    *DATES,
]
# Each post-event's own parameters as chinwag's domain sends them to webhooks (plus the
# envelope's Source, which Event Streams' data has no place for).
SENT = {
    "onConversationAdded": CONVERSATION,
    "onConversationUpdated": CONVERSATION,
    "onConversationRemoved": [*CONVERSATION, *REMOVED],
    "onConversationStateUpdated": [
        ("StateUpdated", "2026-01-01T00:00:00.000Z"),
        ("StateFrom", "active"),
        ("StateTo", "inactive"),
        ("Reason", "TIMER"),
        ("MessagingServiceSid", "MG1"),
    ],
    "onMessageAdded": MESSAGE,
    "onMessageUpdated": [*MESSAGE, ("DateUpdated", "2026-01-01T00:00:01.000Z")],
    "onMessageRemoved": [*MESSAGE, ("DateUpdated", "x"), *REMOVED],
    "onParticipantAdded": PARTICIPANT,
    "onParticipantUpdated": [*PARTICIPANT, ("LastReadMessageIndex", "3")],
    "onParticipantRemoved": [*PARTICIPANT, *REMOVED],
    "onUserAdded": USER,
    "onUserUpdated": [*USER, ("isOnline", "true"), ("isNotifiable", "false")],
}


@pytest.mark.parametrize("event_type", event_types.EVENT_TYPES, ids=lambda t: t.type)
@pytest.mark.parametrize("version", VERSIONS)
def test_every_post_event_becomes_data_its_schema_accepts(
    event_type: event_types.EventType, version: int
) -> None:
    conversation = None if event_type.webhook_event.startswith("onUser") else CH
    params = [*SENT[event_type.webhook_event], ("Source", "API")]
    event = cloud_events.conversations_event(event_type, version, AC, IS, conversation, params, AT)
    schema = data_schema(event_type.schema_id, version)
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(event["data"], schema)
    assert event["dataschema"] == schema_url(event_type.schema_id, version) == schema["$id"]
    assert event["data"]["AccountSid"] == AC
    assert "Source" not in event["data"] and "ChatServiceSid" not in event["data"]


def test_every_type_has_a_schema_and_mirrors_a_webhook_post_event() -> None:
    assert {t.schema_id for t in event_types.EVENT_TYPES} == set(DEFINITIONS)
    assert event_types.for_webhook_event("onDeliveryUpdated") is None  # not in Event Streams
    assert len(event_types.BY_WEBHOOK_EVENT) == 12


def test_data_nests_dotted_parameters_and_types_text_values() -> None:
    added = event_types.BY_TYPE["com.twilio.conversations.message.added"]
    data = cloud_events.event_data(added.schema_id, AC, CH, MESSAGE)
    assert data["Index"] == 7 and data["MessageBody"] == "hello" and data["Attributes"] == {}
    assert data["Media"] == [
        {"MediaSid": "ME1", "Filename": "a.png", "ContentType": "image/png", "Size": 12}
    ]
    participant = event_types.BY_TYPE["com.twilio.conversations.participant.updated"]
    data = cloud_events.event_data(participant.schema_id, AC, CH, SENT["onParticipantUpdated"])
    assert data["MessagingBinding"] == {
        "Type": "SMS",
        "Address": "+15558675310",
        "ProxyAddress": "+15017122661",
    }
    assert data["LastReadMessageIndex"] == 3
    user = event_types.BY_TYPE["com.twilio.conversations.user.updated"]
    data = cloud_events.event_data(user.schema_id, AC, None, SENT["onUserUpdated"])
    assert (data["IsOnline"], data["IsNotifiable"]) == (True, False)
    assert "ConversationSid" not in data


def test_properties_the_schema_does_not_list_are_left_out() -> None:
    added = event_types.BY_TYPE["com.twilio.conversations.conversation.added"]
    data = cloud_events.event_data(added.schema_id, AC, CH, CONVERSATION)
    assert "DateUpdated" not in data  # ConversationAdded has no DateUpdated
    non_object = [("Attributes", "[1, 2]")]  # valid JSON, but not the object the schema says
    assert "Attributes" not in cloud_events.event_data(added.schema_id, AC, CH, non_object)


def test_a_cloud_event_has_twilios_envelope_in_twilios_order() -> None:
    added = event_types.BY_TYPE["com.twilio.conversations.message.added"]
    event = cloud_events.conversations_event(added, 2, AC, IS, CH, MESSAGE, AT)
    assert list(event) == [
        "specversion",
        "type",
        "source",
        "id",
        "dataschema",
        "datacontenttype",
        "time",
        "data",
    ]
    assert event["source"] == f"/v1/Services/{IS}/Conversations/{CH}/Messages/IM1"
    assert event["time"] == "2026-01-02T03:04:05.678Z"
    assert event["id"].startswith("EV") and len(event["id"]) == 34
    assert event["dataschema"] == "https://events-schemas.twilio.com/Conversations.MessageAdded/2"


def test_a_sink_test_event_carries_its_test_id_as_its_id() -> None:
    event = cloud_events.sink_test_event("DG" + "4" * 32, AT)
    assert event["data"] == {"test_id": event["id"]}
    assert event["type"] == cloud_events.TEST_TYPE and "dataschema" not in event


@pytest.mark.parametrize(("batch_events", "size"), [(False, 1), (True, cloud_events.MAX_BATCH)])
def test_a_request_carries_one_event_unless_the_sink_batches(batch_events: bool, size: int) -> None:
    assert cloud_events.batch_size(batch_events) == size


def test_a_batch_is_one_json_array_and_its_summary_names_the_first_type() -> None:
    events = [{"type": "a.b"}, {"type": "c.d"}, {"type": "a.b"}]
    assert json.loads(cloud_events.encode(events)) == events
    assert cloud_events.summary_type(events) == "a.b +2"
    assert cloud_events.summary_type(events[:1]) == "a.b"


def test_a_json_body_is_signed_through_its_urls_body_hash() -> None:
    body = cloud_events.encode([{"type": "a.b", "data": {"x": "é"}}])
    for method in ("POST", "GET"):
        request = OutboundRequest("http://sink.test/in?x=1", method, [], "secret", "tok", body=body)
        url, headers, sent = request.prepared()
        assert url.startswith("http://sink.test/in?x=1&bodySHA256=")
        assert headers["Content-Type"] == "application/json" and sent == body.encode()
        validator = RequestValidator("secret")
        assert validator.validate(url, body, headers["X-Twilio-Signature"])
        assert not validator.validate(url, body + " ", headers["X-Twilio-Signature"])


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (
            {"destination": "https://a.test/x"},
            {"destination": "https://a.test/x", "method": "POST"},
        ),
        (
            {"destination": "http://a.test/", "method": "get", "batch_events": False, "extra": 1},
            {"destination": "http://a.test/", "method": "GET", "batch_events": False},
        ),
    ],
)
def test_a_webhook_sink_configuration_is_kept_as_shown(
    given: dict[str, object], stored: dict[str, object]
) -> None:
    assert webhook_configuration(json.dumps(given)) == stored


@pytest.mark.parametrize(
    "given",
    [
        "[]",
        "{}",
        '{"destination": "http://a b/"}',
        '{"destination": "http://a.test/", "method": 1}',
        '{"destination": "http://a.test/", "batch_events": 1}',
    ],
)
def test_a_bad_sink_configuration_is_refused(given: str) -> None:
    with pytest.raises(InvalidParameter):
        webhook_configuration(given)
