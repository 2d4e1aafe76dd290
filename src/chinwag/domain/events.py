"""The event catalogue and its pure rules: names, who may hear an event, what it carries.

Scoped webhooks support post-events only (twilio.com/docs/conversations/api/
conversation-scoped-webhook-resource). Twilio's own example request still uses
the Programmable Chat names `onMessageSent` and `onConversationDestroyed`; they
are accepted, stored as given and mean the current event they were renamed to.

Also: who a change came from (`Origin`) and `envelope`, the parameters every
event carries around its own. Queuing events is `domain/publishing.py`.
"""

from dataclasses import dataclass

from chinwag.store.webhooks import ScopedWebhook

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


@dataclass(frozen=True)
class Origin:
    """Who made a change, which decides whether it fires webhooks.

    Changes made through the REST API fire webhooks (service-level and
    conversation-scoped) only when the request carries
    `X-Twilio-Webhook-Enabled: true`; SDK-originated changes always do
    (support.twilio.com 4403669397019). `Source` in the payload says which.
    """

    source: str = "API"
    webhooks_enabled: bool = False
    client_identity: str | None = None


def carries_service_sid(event_type: str) -> bool:
    """Twilio lists ChatServiceSid for the conversation, user and delivery events only
    (docs/events.md)."""
    return event_type.startswith(("onConversation", "onUser", "onDelivery"))


def envelope(
    event_type: str,
    account_sid: str,
    service_sid: str,
    conversation_sid: str | None,
    params: list[tuple[str, str]],
    origin: Origin,
    *,
    pre_event: bool = False,
) -> list[tuple[str, str]]:
    """An event's own parameters wrapped in the ones every Conversations event carries.

    `conversation_sid` is None for an event outside a conversation (the user events).
    A post-event gets `RetryCount` from the sender on each attempt; a pre-event is
    asked once, so it carries `RetryCount=0` here.
    """
    service = [("ChatServiceSid", service_sid)] if carries_service_sid(event_type) else []
    conversation = [] if conversation_sid is None else [("ConversationSid", conversation_sid)]
    # Pre-events have always named the service first, post-events the conversation: the
    # order is on the wire (a GET webhook's query string, and so its signature).
    named = service + conversation if pre_event else conversation + service
    payload = [
        ("EventType", event_type),
        ("AccountSid", account_sid),
        *named,
        *params,
        ("Source", origin.source),
    ]
    if origin.client_identity is not None:
        payload.append(("ClientIdentity", origin.client_identity))
    if pre_event:
        payload.append(("RetryCount", "0"))
    return payload


def webhook_wants(webhook: ScopedWebhook, event_type: str, message_body: str | None) -> bool:
    """Whether a conversation-scoped webhook fires for this event."""
    if webhook.target == "trigger":
        return event_type == "onMessageAdded" and trigger_matches(webhook.triggers, message_body)
    subscribed = {canonical_event(name) for name in webhook.filters}
    if webhook.target == "studio" and not subscribed:
        # Studio's "Incoming Conversation" trigger starts on new messages.
        return event_type == "onMessageAdded"
    return event_type in subscribed


def trigger_matches(keywords: list[str], body: str | None) -> bool:
    """Whether any keyword, as given, is present in the message body: a plain substring
    test, case and all ("agent" fires on "agents are slow", not on "AGENT").

    Twilio's only wording is Programmable Chat's for the same parameter: "A string that
    will cause us to call the webhook when it is present in a message body" (twilio-oai
    twilio_chat_v2.json, `Configuration.Triggers`); Conversations' spec says only "The
    list of keywords". Nothing documents case folding or word boundaries, so none is
    added (docs/compatibility.md, "Events and delivery"). A blank keyword,
    which validation refuses (errors/50366), never fires.
    """
    if not body:
        return False
    return any(keyword.strip() and keyword in body for keyword in keywords)
