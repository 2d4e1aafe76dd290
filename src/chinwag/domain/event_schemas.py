"""The JSON schemas of the Conversations Event Streams types: what each event's `data` holds.

Rebuilt from Twilio's published schemas (events-schemas.twilio.com/Conversations.*,
JSON Schema draft-07, `additionalProperties: false`, no `required` list) and from the
examples on twilio.com/docs/events/event-types/conversations/*: the same property
names, nesting and types. Where chinwag could read only part of Twilio's schema, the
properties are those of the type's example plus the matching webhook parameters
(docs/events.md); docs/compatibility.md, "Event Streams", lists the departures.

v1 and v2 have the same properties ("v2 only contains updates to the schema
metadata", the event-type pages), so both versions are served from one definition.
The `$id` is Twilio's URL, as the `dataschema` of an event names it.
"""

from typing import Any

SCHEMA_HOST = "https://events-schemas.twilio.com"
VERSIONS = (1, 2)
LATEST_VERSION = 2

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_BOOLEAN = {"type": "boolean"}
# Twilio's schema says an object of string values; Conversations attributes hold any
# JSON, so chinwag's says an object (docs/compatibility.md).
_ATTRIBUTES = {"type": "object"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties}


_MEDIA = {
    "type": "array",
    "items": _object(
        {"MediaSid": _STRING, "Filename": _STRING, "ContentType": _STRING, "Size": _INTEGER}
    ),
}
_CONVERSATION = {
    "AccountSid": _STRING,
    "ConversationSid": _STRING,
    "FriendlyName": _STRING,
    "UniqueName": _STRING,
    "State": _STRING,
    "DateCreated": _STRING,
    "MessagingServiceSid": _STRING,
    "Attributes": _ATTRIBUTES,
    "Bindings": _object({"Email": _object({"ProjectedAddress": _STRING, "Name": _STRING})}),
}
_CONVERSATION_ADDED = {
    **_CONVERSATION,
    "MessageBody": _STRING,
    "MessageSubject": _STRING,
    "AuthorFriendlyName": _STRING,
    "Media": _MEDIA,
    "MessagingBinding": _object(
        {
            "ProxyAddress": _STRING,
            "ProjectedAddress": _STRING,
            "AuthorAddress": _STRING,
            "Address": _STRING,
        }
    ),
}
_STATE_UPDATED = {
    "AccountSid": _STRING,
    "ConversationSid": _STRING,
    "StateUpdated": _STRING,
    "StateFrom": _STRING,
    "StateTo": _STRING,
    "Reason": _STRING,
    "MessagingServiceSid": _STRING,
}
_MESSAGE = {
    "AccountSid": _STRING,
    "Author": _STRING,
    "ParticipantSid": _STRING,
    "ConversationSid": _STRING,
    "MessageSid": _STRING,
    "Index": _INTEGER,
    "MessageBody": _STRING,
    "DateCreated": _STRING,
    "MessageSubject": _STRING,
    "MessagingServiceSid": _STRING,
    "ContentSid": _STRING,
    "Media": _MEDIA,
    "Attributes": _ATTRIBUTES,
}
_PARTICIPANT = {
    "AccountSid": _STRING,
    "ParticipantSid": _STRING,
    "Identity": _STRING,
    "RoleSid": _STRING,
    "ConversationSid": _STRING,
    "DateCreated": _STRING,
    "Attributes": _ATTRIBUTES,
    "MessagingBinding": _object(
        {
            "ProxyAddress": _STRING,
            "ProjectedAddress": _STRING,
            "Address": _STRING,
            "Type": _STRING,
            "Level": _STRING,
            "Name": _STRING,
        }
    ),
}
_USER = {
    "AccountSid": _STRING,
    "UserSid": _STRING,
    "Identity": _STRING,
    "FriendlyName": _STRING,
    "RoleSid": _STRING,
    "DateCreated": _STRING,
    "Attributes": _ATTRIBUTES,
}
_UPDATED = {"DateUpdated": _STRING}
_REMOVED = {"DateUpdated": _STRING, "DateRemoved": _STRING}

# Schema id -> (description, properties of `data`).
DEFINITIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "Conversations.ConversationAdded": ("Conversation added event", _CONVERSATION_ADDED),
    "Conversations.ConversationUpdated": (
        "Conversation updated event",
        {**_CONVERSATION, **_UPDATED},
    ),
    "Conversations.ConversationRemoved": (
        "Conversation removed event",
        {**_CONVERSATION, **_REMOVED},
    ),
    "Conversations.ConversationStateUpdated": ("Conversation state updated event.", _STATE_UPDATED),
    "Conversations.MessageAdded": ("Message added event", _MESSAGE),
    "Conversations.MessageUpdated": ("Message updated event", {**_MESSAGE, **_UPDATED}),
    "Conversations.MessageRemoved": ("Message removed event", {**_MESSAGE, **_REMOVED}),
    "Conversations.ParticipantAdded": ("Participant added event", _PARTICIPANT),
    "Conversations.ParticipantUpdated": (
        "Participant updated event",
        {**_PARTICIPANT, **_UPDATED, "LastReadMessageIndex": _INTEGER},
    ),
    "Conversations.ParticipantRemoved": (
        "Participant removed event",
        {**_PARTICIPANT, **_REMOVED},
    ),
    "Conversations.UserAdded": ("User added event", _USER),
    "Conversations.UserUpdated": (
        "User updated event",
        {**_USER, **_UPDATED, "IsOnline": _BOOLEAN, "IsNotifiable": _BOOLEAN},
    ),
}


def schema_url(schema_id: str, version: int) -> str:
    """Twilio's URL of a schema version: an event's `dataschema` and the schema's `$id`."""
    return f"{SCHEMA_HOST}/{schema_id}/{version}"


def data_schema(schema_id: str, version: int) -> dict[str, Any]:
    """The JSON schema (draft-07) of `data` in events of `schema_id` at `version`."""
    description, properties = DEFINITIONS[schema_id]
    return {
        "$id": schema_url(schema_id, version),
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": schema_id.split(".", 1)[1] + "Event",
        "description": description,
        **_object(properties),
    }
