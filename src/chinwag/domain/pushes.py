"""Push notifications, recorded: where Twilio would push, chinwag records what it would send.

Every post-event passes through `domain/publishing.publish`, which calls `record_pushes`
in the change's own transaction, so a push is recorded with its change or not at all.
Twilio pushes three events (twilio.com/docs/conversations/push-notification-configuration),
each only while the service's Notifications configuration enables it (all are off by
default), whoever made the change: pushes are not webhooks, so REST changes without
`X-Twilio-Webhook-Enabled` push too. The recipients are chat participants:
- a new message (onMessageAdded): "each chat participant in a Conversation", but its
  author, and not those whose User Conversation is `muted` there (the notification
  level, user-conversation-resource);
- added to / removed from a conversation (onParticipantAdded / onParticipantRemoved): the
  chat participant added or removed, unless a client SDK user added or removed themself.
Each recipient's bindings subscribed to the type (their `message_types`) get one push:
the FCM or APNs payload (domain/push_payloads.py), recorded, never sent.
"""

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from chinwag.domain.events import Origin
from chinwag.domain.push_payloads import (
    PushEvent,
    PushKind,
    PushTemplate,
    apn_payload,
    fcm_payload,
    template_for,
)
from chinwag.store import bindings as binding_store
from chinwag.store import messages as message_store
from chinwag.store import participant_conversations as views
from chinwag.store import participants as participant_store
from chinwag.store import pushes as store
from chinwag.store import service_notifications as settings_store
from chinwag.store import users as user_store
from chinwag.store.bindings import Binding
from chinwag.store.conversations import Conversation
from chinwag.store.pushes import Push
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now

PUSHED_EVENTS = {
    "onMessageAdded": PushKind.NEW_MESSAGE,
    "onParticipantAdded": PushKind.ADDED_TO_CONVERSATION,
    "onParticipantRemoved": PushKind.REMOVED_FROM_CONVERSATION,
}
# user_conversations.NotificationLevel.MUTED; that module publishes, so it cannot be
# imported here.
MUTED = "muted"


def record_pushes(
    conn: Connection,
    conversation: Conversation,
    event_type: str,
    params: list[tuple[str, str]],
    origin: Origin,
) -> int:
    """Record the pushes the event makes Twilio send; returns how many."""
    kind = PUSHED_EVENTS.get(event_type)
    if kind is None:
        return 0
    settings = settings_store.get_notifications(conn, conversation.service_sid)
    if settings is None:  # never configured: every type is off, as a new service's
        return 0
    given = dict(params)
    event = _event(conn, conversation, kind, given, origin)
    template = template_for(settings, event)
    if template is None:
        return 0
    recipients = _recipients(conn, conversation, event, given.get("Identity"), origin)
    bindings = [
        binding
        for binding in binding_store.bindings_of(conn, conversation.service_sid, recipients)
        if kind in binding.message_types
    ]
    badges = _badges(conn, conversation.service_sid, template, bindings)
    now = utc_now()
    recorded = [_push(conversation, event, template, b, badges.get(b.sid), now) for b in bindings]
    store.insert_pushes(conn, recorded)
    return len(recorded)


def _event(
    conn: Connection,
    conversation: Conversation,
    kind: PushKind,
    given: dict[str, str],
    origin: Origin,
) -> PushEvent:
    """What the templates and payloads name: the message (read back, it is in this
    transaction) or the SDK user who added or removed the participant."""
    name = conversation.friendly_name or conversation.unique_name or conversation.sid
    event = PushEvent(kind, conversation.sid, name, conversation.friendly_name)
    if kind is PushKind.NEW_MESSAGE:
        message = message_store.get_message(conn, conversation.sid, given["MessageSid"])
        assert message is not None  # its onMessageAdded is being published
        author = message.author or ""
        media = [
            {key: item[key] for key in ("sid", "filename", "content_type", "size")}
            for item in message.media or []
        ]
        return replace(
            event,
            actor_name=_shown_name(conn, conversation.service_sid, author),
            actor_identity=author,
            actor_participant_sid=message.participant_sid or "",
            message_sid=message.sid,
            message_index=message.index,
            body=message.body,
            media=media,
        )
    actor = origin.client_identity
    if actor is None:  # a REST call: no participant made the change
        return event
    return replace(
        event,
        actor_name=_shown_name(conn, conversation.service_sid, actor),
        actor_identity=actor,
        actor_participant_sid=participant_store.identity_holder(conn, conversation.sid, actor)
        or "",
    )


def _recipients(
    conn: Connection,
    conversation: Conversation,
    event: PushEvent,
    participant_identity: str | None,
    origin: Origin,
) -> list[str]:
    if event.kind is PushKind.NEW_MESSAGE:
        return [
            participant.identity
            for participant in participant_store.chat_participants(conn, conversation.sid)
            if participant.identity is not None
            and participant.identity != event.actor_identity
            and participant.notification_level != MUTED
        ]
    if participant_identity is None or participant_identity == origin.client_identity:
        return []  # an SMS/WhatsApp participant, or a user who joined or left themself
    return [participant_identity]


def _badges(
    conn: Connection, service_sid: str, template: PushTemplate, bindings: list[Binding]
) -> dict[str, int]:
    """Each APNs binding's badge, by binding SID, when the template counts one: the
    recipient's conversations with unread messages (FCM payloads carry no badge the SDKs
    read)."""
    if not template.badge:
        return {}
    apns = [binding for binding in bindings if binding.binding_type == "apn"]
    counts = {  # by identity: a user's devices show one count
        identity: views.count_unread_conversations(conn, service_sid, identity)
        for identity in {binding.identity for binding in apns}
    }
    return {binding.sid: counts[binding.identity] for binding in apns}


def _push(
    conversation: Conversation,
    event: PushEvent,
    template: PushTemplate,
    binding: Binding,
    badge: int | None,
    now: datetime,
) -> Push:
    sid = sids.new_sid(sids.PUSH)
    if binding.binding_type == "apn":
        payload = apn_payload(event, template, sid, badge)
    else:
        payload = fcm_payload(event, template, sid)
    return Push(
        sid=sid,
        account_sid=conversation.account_sid,
        service_sid=conversation.service_sid,
        conversation_sid=conversation.sid,
        message_sid=event.message_sid,
        message_type=event.kind.value,
        identity=binding.identity,
        binding_sid=binding.sid,
        binding_type=binding.binding_type,
        address=binding.endpoint,
        credential_sid=binding.credential_sid,
        payload=payload,
        date_created=now,
    )


def _shown_name(conn: Connection, service_sid: str, identity: str) -> str:
    """`${PARTICIPANT}`: the user's friendly name, else the identity (or the author as
    given, for an author who is no user: an SMS address, `system`)."""
    user = user_store.get_by_identity(conn, service_sid, identity) if identity else None
    return (user.friendly_name if user is not None else None) or identity
