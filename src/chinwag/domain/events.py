"""Event names a conversation-scoped webhook can subscribe to.

Scoped webhooks support post-events only (twilio.com/docs/conversations/api/
conversation-scoped-webhook-resource). Twilio's own example request still uses
the Programmable Chat names `onMessageSent` and `onConversationDestroyed`; they
are accepted, stored as given and mean the current event they were renamed to.

Also: who a change came from (`Origin`) and `publish`, which turns a change into
rows of the delivery outbox in the same transaction (`publish_service_event` for
the user events, which belong to no conversation).
"""

import re
from dataclasses import dataclass

from sqlalchemy import Connection

from chinwag.store import outbox, service_webhooks
from chinwag.store import webhooks as webhook_store
from chinwag.store.conversations import Conversation
from chinwag.store.webhooks import ScopedWebhook
from chinwag.twilio.dates import utc_now

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


def publish(
    conn: Connection,
    conversation: Conversation,
    event_type: str,
    params: list[tuple[str, str]],
    origin: Origin,
    *,
    message_body: str | None = None,
) -> int:
    """Queue post-event `event_type` for every webhook that wants it; returns how many.

    Runs inside the caller's write transaction, so the change and its deliveries
    commit together (the transactional outbox). `params` are the event's own
    parameters; the ones every event carries are added here, and `RetryCount` by
    the sender on each attempt. `message_body` lets trigger webhooks match keywords.
    """
    if not origin.webhooks_enabled:
        return 0
    payload = _payload(conversation, event_type, params, origin)
    now = utc_now()
    queued = [
        outbox.NewDelivery.for_scoped(webhook, event_type, payload, now)
        for webhook in webhook_store.list_for_conversation(conn, conversation.sid)
        if webhook_wants(webhook, event_type, message_body)
    ]
    service_hook = service_webhooks.get_config(conn, conversation.service_sid)
    if (
        service_hook is not None
        and service_hook.post_webhook_url
        and service_hook.target == "webhook"  # chinwag has no Flex to route to
        and event_type in service_hook.filters
    ):
        queued.append(
            outbox.NewDelivery.for_service(service_hook, conversation.sid, event_type, payload, now)
        )
    outbox.insert_deliveries(conn, queued)
    return len(queued)


def publish_service_event(
    conn: Connection,
    service_sid: str,
    account_sid: str,
    event_type: str,
    params: list[tuple[str, str]],
    origin: Origin,
) -> int:
    """Queue a post-event that belongs to no conversation (the user events); returns how many.

    Twilio sends these to the service-level (and global) webhook only: they carry no
    ConversationSid, so no conversation-scoped webhook can ask for them (docs/events.md).
    """
    if not origin.webhooks_enabled:
        return 0
    config = service_webhooks.get_config(conn, service_sid)
    if (
        config is None
        or not config.post_webhook_url
        or config.target != "webhook"  # chinwag has no Flex to route to
        or event_type not in config.filters
    ):
        return 0
    payload = [
        ("EventType", event_type),
        ("AccountSid", account_sid),
        *params,
        ("Source", origin.source),
    ]
    if origin.client_identity is not None:
        payload.append(("ClientIdentity", origin.client_identity))
    delivery = outbox.NewDelivery.for_service(config, None, event_type, payload, utc_now())
    outbox.insert_deliveries(conn, [delivery])
    return 1


def replay(
    conn: Connection,
    conversation: Conversation,
    webhook: ScopedWebhook,
    messages: list[tuple[list[tuple[str, str]], str | None]],
) -> int:
    """Queue onMessageAdded for earlier messages to one new webhook (`ReplayAfter`).

    `messages` are (event parameters, body) in index order; the rows are queued now,
    before any live event can be, and the worker sends one webhook's deliveries in
    order. The replay was asked for explicitly, so no header is needed for it.
    """
    now = utc_now()
    origin = Origin(source="API", webhooks_enabled=True)
    queued = [
        outbox.NewDelivery.for_scoped(
            webhook, "onMessageAdded", _payload(conversation, "onMessageAdded", params, origin), now
        )
        for params, body in messages
        if webhook_wants(webhook, "onMessageAdded", body)
    ]
    outbox.insert_deliveries(conn, queued)
    return len(queued)


def _payload(
    conversation: Conversation, event_type: str, params: list[tuple[str, str]], origin: Origin
) -> list[tuple[str, str]]:
    """The event's own parameters wrapped in the ones every Conversations event carries."""
    # ChatServiceSid is not common: Twilio lists it for conversation events only,
    # which add it themselves (docs/events.md).
    payload = [
        ("EventType", event_type),
        ("AccountSid", conversation.account_sid),
        ("ConversationSid", conversation.sid),
        *params,
        ("Source", origin.source),
    ]
    if origin.client_identity is not None:
        payload.append(("ClientIdentity", origin.client_identity))
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
    """Case-insensitive whole-word match of any keyword in the message body.

    Twilio documents only that the keyword "is present in a message body"
    (twilio_chat_v2.json); whole words keep "help" from firing on "helpful".
    """
    if not body:
        return False
    return any(
        re.search(rf"(?<!\w){re.escape(keyword.strip())}(?!\w)", body, re.IGNORECASE)
        for keyword in keywords
        if keyword.strip()
    )
