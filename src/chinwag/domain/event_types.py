"""The Event Streams types chinwag publishes: the twelve Conversations ones.

Twilio's list (twilio.com/docs/events/event-types, "Conversations") and the post-event
webhook each mirrors: Event Streams carries every Conversations post-event but
`onDeliveryUpdated` (twilio.com/docs/conversations/conversations-webhooks,
"Conversations Webhooks vs. Event Streams"). Types and schemas are the same for every
account; what each event's `data` holds is `event_schemas.py`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from chinwag.domain.event_schemas import DEFINITIONS


@dataclass(frozen=True)
class EventType:
    type: str  # com.twilio.conversations.message.added
    schema_id: str  # Conversations.MessageAdded
    description: str
    webhook_event: str  # the post-event it mirrors: onMessageAdded


# When chinwag's catalogue was published: the date every type and schema version shows
# (Twilio's are its own release dates; chinwag has no history to tell).
PUBLISHED = datetime(2026, 1, 1, tzinfo=UTC)
PREFIX = "com.twilio.conversations."


def _type(name: str, schema: str, webhook_event: str) -> EventType:
    what = name.replace("-", " ").replace(".", " ")
    return EventType(
        PREFIX + name, "Conversations." + schema, f"Conversations - {what}", webhook_event
    )


EVENT_TYPES = (
    _type("conversation.added", "ConversationAdded", "onConversationAdded"),
    _type("conversation.removed", "ConversationRemoved", "onConversationRemoved"),
    _type("conversation.updated", "ConversationUpdated", "onConversationUpdated"),
    _type("conversation-state.updated", "ConversationStateUpdated", "onConversationStateUpdated"),
    _type("message.added", "MessageAdded", "onMessageAdded"),
    _type("message.removed", "MessageRemoved", "onMessageRemoved"),
    _type("message.updated", "MessageUpdated", "onMessageUpdated"),
    _type("participant.added", "ParticipantAdded", "onParticipantAdded"),
    _type("participant.removed", "ParticipantRemoved", "onParticipantRemoved"),
    _type("participant.updated", "ParticipantUpdated", "onParticipantUpdated"),
    _type("user.added", "UserAdded", "onUserAdded"),
    _type("user.updated", "UserUpdated", "onUserUpdated"),
)
BY_TYPE = {event_type.type: event_type for event_type in EVENT_TYPES}
BY_WEBHOOK_EVENT = {event_type.webhook_event: event_type for event_type in EVENT_TYPES}
SCHEMA_IDS = tuple(DEFINITIONS)


def for_webhook_event(name: str) -> EventType | None:
    """The Event Streams type a Conversations post-event is published as, if any."""
    return BY_WEBHOOK_EVENT.get(name)
