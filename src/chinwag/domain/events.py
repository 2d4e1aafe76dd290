"""Event names a conversation-scoped webhook can subscribe to.

Scoped webhooks support post-events only (twilio.com/docs/conversations/api/
conversation-scoped-webhook-resource). Twilio's own example request still uses
the Programmable Chat names `onMessageSent` and `onConversationDestroyed`; they
are accepted, stored as given and mean the current event they were renamed to.
"""

POST_EVENTS = frozenset(
    {
        "onConversationUpdated",
        "onConversationRemoved",
        "onConversationStateUpdated",
        "onMessageAdded",
        "onMessageUpdated",
        "onMessageRemoved",
        "onParticipantAdded",
        "onParticipantUpdated",
        "onParticipantRemoved",
        "onDeliveryUpdated",
    }
)

LEGACY_ALIASES = {
    "onMessageSent": "onMessageAdded",
    "onConversationDestroyed": "onConversationRemoved",
}


def canonical_event(name: str) -> str | None:
    """The current post-event `name` stands for, or None if it is not one."""
    if name in POST_EVENTS:
        return name
    return LEGACY_ALIASES.get(name)
