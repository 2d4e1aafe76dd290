"""Messages: what a valid message is, its index, its author's participant, the events it fires.

Limits: twilio.com/docs/conversations/conversations-limits (Body 32KB for chat,
Attributes 4KB). Error codes: twilio.com/docs/api/errors/<code>; docs/compatibility.md
lists each rule with its source.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from chinwag.domain import media as media_rules
from chinwag.domain.attributes import MESSAGE_LIMIT, check_attributes
from chinwag.domain.carrier import DEFAULT_CARRIER, Carrier, send_to_channels
from chinwag.domain.content_templates import check_content
from chinwag.domain.conversations import record_activity, refuse_if_closed
from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish
from chinwag.store import messages as store
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.participants import identity_holder
from chinwag.store.removals import record_removal
from chinwag.twilio import sids
from chinwag.twilio.dates import to_webhook, utc_now
from chinwag.twilio.errors import (
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
    media_sids: Sequence[str] | None = None  # create only: MediaSid, repeated
    content_sid: str | None = None  # create only
    content_variables: str | None = None  # create only; checked, not stored


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

    With a ContentSid, Body and MediaSid are ignored (spec); otherwise a message needs a
    Body or media. The message goes to the conversation's SMS/WhatsApp participants in the
    same transaction (domain/carrier.py). `participant_sid` names the author's participant
    where the author is no identity (an inbound SMS: its author is the address).
    """
    fields = _effective(fields)
    _check(fields)
    media_sids = media_rules.check_media_sids(fields.media_sids)
    if not fields.body and not media_sids and fields.content_sid is None:
        raise MessageBodyMissing("A message needs a Body, media or a ContentSid.")
    refuse_if_closed(conversation, "take new messages")
    media = media_rules.media_to_attach(conn, conversation.service_sid, media_sids)
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
        body=fields.body or None,
        attributes=fields.attributes or "{}",
        participant_sid=participant_sid or identity_holder(conn, conversation.sid, author),
        date_created=created,
        date_updated=fields.date_updated or created,
        media=media_rules.media_json(media),
        content_sid=fields.content_sid,
    )
    store.insert_message(conn, message)
    media_rules.attach(conn, media, message.sid, conversation.sid)
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
        message_index=message.index,
    )
    send_to_channels(conn, conversation, message, carrier)
    return message


def _effective(fields: MessageFields) -> MessageFields:
    """The fields a create acts on: a template's message drops Body and MediaSid."""
    content_sid = check_content(fields.content_sid, fields.content_variables)
    if content_sid is None:
        return fields
    return replace(fields, content_sid=content_sid, body=None, media_sids=None)


def update_message(
    conn: Connection,
    conversation: Conversation,
    message: Message,
    fields: MessageFields,
    origin: Origin,
) -> Message:
    _check(fields)
    if fields.body == "" and not message.media and message.content_sid is None:
        raise MessageBodyMissing("Body can't be made empty.")
    changed = message
    if fields.author is not None:
        changed = replace(
            changed,
            author=fields.author,
            participant_sid=identity_holder(conn, conversation.sid, fields.author),
        )
    changed = replace(
        changed,
        body=message.body if fields.body is None else fields.body or None,
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
        message_index=changed.index,
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
    now = utc_now()
    record_removal(conn, conversation, "messages", str(message.index), now)
    publish(
        conn,
        conversation,
        "onMessageRemoved",
        message_params(message, with_date_updated=True, removed_at=now),
        origin,
        message_body=message.body,
        message_index=message.index,
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
        ("Media", _media_text(message)),
        ("ContentSid", message.content_sid),
    ]
    if with_date_updated:
        params.append(("DateUpdated", to_webhook(message.date_updated)))
    if removed_at is not None:
        params.append(("DateRemoved", to_webhook(removed_at)))
    return [(name, value) for name, value in params if value is not None]


def _media_text(message: Message) -> str | None:
    return media_text(message.media)


def media_text(media: list[dict[str, Any]] | None) -> str | None:
    """`Media`: a "stringified JSON array of attached media objects" (webhooks doc)."""
    as_sent = media_rules.media_param(media)
    return json.dumps(as_sent, separators=(",", ":")) if as_sent else None


def _check(fields: MessageFields) -> None:
    check_length("Author", fields.author, MAX_AUTHOR)
    if fields.body is not None and len(fields.body.encode("utf-8")) > MAX_BODY_BYTES:
        raise MessageBodyTooLong(f"Body is longer than {MAX_BODY_BYTES} bytes.")
    check_attributes(fields.attributes, MESSAGE_LIMIT)
