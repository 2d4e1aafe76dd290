"""Messages: what a valid message is, its index, its author's participant, the events it fires.

Limits: twilio.com/docs/conversations/conversations-limits (Body 32KB for chat,
Attributes 4KB). Error codes: twilio.com/docs/api/errors/<code>; docs/compatibility.md
lists each rule with its source.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from chinwag.domain.attributes import MESSAGE_LIMIT, check_attributes
from chinwag.domain.carrier import DEFAULT_CARRIER, Carrier, send_to_channels
from chinwag.domain.conversations import record_activity, refuse_if_closed
from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish
from chinwag.store import messages as store
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.participants import identity_holder
from chinwag.twilio import sids
from chinwag.twilio.dates import to_webhook, utc_now
from chinwag.twilio.errors import (
    InvalidParameter,
    MessageBodyMissing,
    MessageBodyTooLong,
    ResourceNotFound,
)
from chinwag.twilio.forms import check_length

# "Body: Inbound 32KB ... Chat: 32KB" (conversations-limits)
MAX_BODY_BYTES = 32 * 1024
# "Defaults to `system`" (spec, Author)
DEFAULT_AUTHOR = "system"
# Twilio documents no Author limit; an author is a participant's identity, which is
# "limited to 256 characters" (spec, Participant Identity).
MAX_AUTHOR = 256


@dataclass(frozen=True)
class MessageFields:
    """Parameters of a create or update; None means "not given"."""

    author: str | None = None
    body: str | None = None
    attributes: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    media_sid: str | None = None  # create only; chinwag has no media store
    content_sid: str | None = None  # create only; chinwag has no content templates


def create_message(
    conn: Connection,
    conversation: Conversation,
    fields: MessageFields,
    origin: Origin,
    carrier: Carrier = DEFAULT_CARRIER,
    *,
    participant_sid: str | None = None,
) -> Message:
    """Checked first, then the index is taken: a rejected post consumes no index.

    The message goes to the conversation's SMS/WhatsApp participants in the same
    transaction (domain/carrier.py). `participant_sid` names the author's participant
    where the author is no identity (an inbound SMS: its author is the address).
    """
    _check_unsupported(fields)
    _check(fields)
    if not fields.body:
        raise MessageBodyMissing("Message body not provided: a message needs a Body.")
    refuse_if_closed(conversation, "take new messages")
    conversation = record_activity(conn, conversation, origin, wakes=True)
    author = fields.author if fields.author is not None else DEFAULT_AUTHOR
    created = fields.date_created or utc_now()
    message = Message(
        sid=sids.new_sid(sids.MESSAGE),
        account_sid=conversation.account_sid,
        service_sid=conversation.service_sid,
        conversation_sid=conversation.sid,
        index=store.next_index(conn, conversation.sid),
        author=author,
        body=fields.body,
        attributes=fields.attributes or "{}",
        participant_sid=participant_sid or identity_holder(conn, conversation.sid, author),
        date_created=created,
        date_updated=fields.date_updated or created,
    )
    store.insert_message(conn, message)
    publish(
        conn,
        conversation,
        "onMessageAdded",
        message_params(
            message,
            with_date_updated=False,
            messaging_service_sid=conversation.messaging_service_sid,
        ),
        origin,
        message_body=message.body,
    )
    send_to_channels(conn, conversation, message, carrier)
    return message


def update_message(
    conn: Connection,
    conversation: Conversation,
    message: Message,
    fields: MessageFields,
    origin: Origin,
) -> Message:
    _check(fields)
    if fields.body == "":
        raise MessageBodyMissing("Message body not provided: Body can't be made empty.")
    changed = message
    if fields.author is not None:
        changed = replace(
            changed,
            author=fields.author,
            participant_sid=identity_holder(conn, conversation.sid, fields.author),
        )
    changed = replace(
        changed,
        body=message.body if fields.body is None else fields.body,
        attributes=message.attributes if fields.attributes is None else fields.attributes or "{}",
        date_created=fields.date_created or message.date_created,
        date_updated=fields.date_updated or utc_now(),
    )
    store.save_message(conn, changed)
    publish(
        conn,
        conversation,
        "onMessageUpdated",
        message_params(changed, with_date_updated=True),
        origin,
        message_body=changed.body,
    )
    return changed


def find_message(conn: Connection, conversation: Conversation, sid: str, path: str) -> Message:
    """The message by SID; the spec's `^IM[0-9a-fA-F]{32}$` admits no index in its place.

    A malformed or unknown SID is a missing resource: 404 20404 quoting the path.
    """
    found = (
        store.get_message(conn, conversation.sid, sid) if sids.is_sid(sid, sids.MESSAGE) else None
    )
    if found is None:
        raise ResourceNotFound.for_path(path)
    return found


def delete_message(
    conn: Connection, conversation: Conversation, message: Message, origin: Origin
) -> None:
    """The index is not given back: the conversation's counter only moves forward."""
    store.delete_message(conn, message.sid)
    publish(
        conn,
        conversation,
        "onMessageRemoved",
        message_params(message, with_date_updated=True, removed_at=utc_now()),
        origin,
        message_body=message.body,
    )


def message_params(
    message: Message,
    *,
    with_date_updated: bool,
    messaging_service_sid: str | None = None,
    removed_at: datetime | None = None,
) -> list[tuple[str, str]]:
    """The parameters of onMessage* events (docs/events.md); unset ones are left out.

    MessagingServiceSid is listed for onMessageAdded only, DateRemoved for onMessageRemoved.
    """
    params: list[tuple[str, str | None]] = [
        ("MessageSid", message.sid),
        ("MessagingServiceSid", messaging_service_sid),
        ("Index", str(message.index)),
        ("Author", message.author),
        ("Body", message.body),
        ("Attributes", message.attributes),
        ("ParticipantSid", message.participant_sid),
        ("DateCreated", to_webhook(message.date_created)),
    ]
    if with_date_updated:
        params.append(("DateUpdated", to_webhook(message.date_updated)))
    if removed_at is not None:
        params.append(("DateRemoved", to_webhook(removed_at)))
    return [(name, value) for name, value in params if value is not None]


def _check_unsupported(fields: MessageFields) -> None:
    if fields.media_sid is not None:
        raise InvalidParameter(
            f"MediaSid '{fields.media_sid}' is not supported: chinwag has no media store, "
            "so messages carry a Body only."
        )
    if fields.content_sid is not None:
        raise InvalidParameter(
            f"ContentSid '{fields.content_sid}' is not supported: chinwag has no Content "
            "templates, so messages carry a Body only."
        )


def _check(fields: MessageFields) -> None:
    check_length("Author", fields.author, MAX_AUTHOR)
    if fields.body is not None and len(fields.body.encode("utf-8")) > MAX_BODY_BYTES:
        raise MessageBodyTooLong(f"Body is longer than {MAX_BODY_BYTES} bytes.")
    check_attributes(fields.attributes, MESSAGE_LIMIT)
