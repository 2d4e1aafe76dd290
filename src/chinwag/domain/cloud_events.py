"""CloudEvents as Event Streams sends them, built from a Conversations post-event: pure rules.

A webhook sink receives a JSON array of CloudEvents 1.0 (twilio.com/docs/events/
webhook-quickstart; the envelope of every example on twilio.com/docs/events/
event-types/conversations/*): `specversion`, `type`, `source`, `id`, `dataschema`,
`datacontenttype`, `time`, `data`. `data` is the post-event's parameters as the type's
schema names them (event_schemas.py): nested where the webhook flattens with dots
(`MessagingBinding.Address`), typed where it sends text (`Index`, `Attributes`), and
only the properties the schema lists (it allows no others).

How many events one request carries is `batch_size` (docs/events.md, "Event Streams").
"""

import json
from datetime import datetime
from typing import Any

from chinwag.domain.event_schemas import DEFINITIONS, schema_url
from chinwag.domain.event_types import EventType
from chinwag.twilio import sids
from chinwag.twilio.dates import to_webhook

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# A sink's test event (POST /v1/Sinks/{Sid}/Test): Twilio documents no shape for it.
TEST_TYPE = "com.twilio.eventstreams.test-sink"
# At most this many events in one request of a batching sink; more start another.
MAX_BATCH = 100

# Webhook parameters whose name differs in Event Streams' `data`.
_RENAMED = {"Body": "MessageBody", "isOnline": "IsOnline", "isNotifiable": "IsNotifiable"}
_INTEGERS = frozenset({"Index", "LastReadMessageIndex"})
_BOOLEANS = frozenset({"IsOnline", "IsNotifiable"})
# The webhook's keys of a `Media` object, and the event's.
_MEDIA_KEYS = {"Sid": "MediaSid", "Filename": "Filename", "ContentType": "ContentType"}
_MEDIA_KEYS |= {"Size": "Size"}


def event_data(
    schema_id: str,
    account_sid: str,
    conversation_sid: str | None,
    params: list[tuple[str, str]],
) -> dict[str, Any]:
    """`data` of an event of `schema_id` from a post-event's own parameters."""
    properties: dict[str, Any] = DEFINITIONS[schema_id][1]
    named = [("AccountSid", account_sid)]
    if conversation_sid is not None:
        named.append(("ConversationSid", conversation_sid))
    data: dict[str, Any] = {}
    for raw_name, text in [*named, *params]:
        name = _RENAMED.get(raw_name, raw_name)
        head, _, tail = name.partition(".")
        if head not in properties:
            continue
        if tail:  # MessagingBinding.Address -> {"MessagingBinding": {"Address": ...}}
            if tail in properties[head].get("properties", {}):
                data.setdefault(head, {})[tail] = text
            continue
        value = _typed(name, text)
        if value is not None:
            data[name] = value
    return data


def _typed(name: str, text: str) -> Any:
    """A parameter's value as its schema types it; None to leave it out."""
    if name in _INTEGERS:
        return int(text) if text.lstrip("-").isdigit() else None
    if name in _BOOLEANS:
        return text == "true"
    if name == "Attributes":  # an object in the schema: other JSON values are left out
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    if name == "Media":
        return [_medium(item) for item in json.loads(text)]
    return text


def _medium(item: dict[str, Any]) -> dict[str, Any]:
    return {_MEDIA_KEYS[key]: value for key, value in item.items() if value is not None}


def source_of(event_type: EventType, service_sid: str, data: dict[str, Any]) -> str:
    """`source`: the REST path of the resource the event is about (Twilio's examples show
    only a placeholder; chinwag's choice, docs/compatibility.md)."""
    service = f"/v1/Services/{service_sid}"
    if event_type.schema_id.startswith("Conversations.User"):
        return f"{service}/Users/{data.get('UserSid', '')}"
    conversation = f"{service}/Conversations/{data.get('ConversationSid', '')}"
    if "MessageSid" in data:
        return f"{conversation}/Messages/{data['MessageSid']}"
    if "ParticipantSid" in data and event_type.schema_id.startswith("Conversations.Participant"):
        return f"{conversation}/Participants/{data['ParticipantSid']}"
    return conversation


def cloud_event(
    type_: str,
    source: str,
    dataschema: str | None,
    data: dict[str, Any],
    at: datetime,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One CloudEvent, with Twilio's key order; a new `id` unless given."""
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "type": type_,
        "source": source,
        "id": event_id or sids.new_sid(sids.STREAM_EVENT),
    }
    if dataschema is not None:
        event["dataschema"] = dataschema
    event |= {"datacontenttype": CONTENT_TYPE, "time": to_webhook(at), "data": data}
    return event


def conversations_event(
    event_type: EventType,
    schema_version: int,
    account_sid: str,
    service_sid: str,
    conversation_sid: str | None,
    params: list[tuple[str, str]],
    at: datetime,
) -> dict[str, Any]:
    """The CloudEvent of a Conversations post-event, in the subscribed schema version."""
    data = event_data(event_type.schema_id, account_sid, conversation_sid, params)
    return cloud_event(
        event_type.type,
        source_of(event_type, service_sid, data),
        schema_url(event_type.schema_id, schema_version),
        data,
        at,
    )


def sink_test_event(sink_sid: str, at: datetime) -> dict[str, Any]:
    """A sink's test event: its `id` is the TestId that Validate takes back."""
    test_id = sids.new_sid(sids.STREAM_EVENT)
    return cloud_event(TEST_TYPE, f"/v1/Sinks/{sink_sid}", None, {"test_id": test_id}, at, test_id)


def batch_size(batch_events: bool) -> int:
    """How many events one request to a sink may carry: one, unless it batches."""
    return MAX_BATCH if batch_events else 1


def encode(events: list[dict[str, Any]]) -> str:
    """A request's body: always a JSON array, of one event or of a batch."""
    return json.dumps(events, separators=(",", ":"))


def summary_type(events: list[dict[str, Any]]) -> str:
    """What a delivery's `event_type` says of its events: the first one's type, and how
    many others a batch carries."""
    first = str(events[0]["type"])
    return first if len(events) == 1 else f"{first} +{len(events) - 1}"
