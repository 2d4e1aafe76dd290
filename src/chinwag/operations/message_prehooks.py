"""What the pre-event webhook is told of a message change, whatever the door it came by.

onMessageAdd describes the message as it would be added, with its author's participant
and media; onMessageUpdate and onMessageRemove the stored message (`MessageSid`,
`Index`, dates, ...) with the caller's new values in place (docs/events.md, "Message
events"). REST (resources/messages.py) and the SDK's socket (twilsock/client_api.py)
ask with these, so a hook sees the same payload from either.
"""

from sqlalchemy import Connection

from chinwag.domain import messages as domain
from chinwag.domain.media import media_to_describe
from chinwag.domain.messages import MessageFields
from chinwag.operations.prehooks import Describe, Params, overlay
from chinwag.store.conversations import Conversation
from chinwag.store.participants import identity_holder


def given(fields: MessageFields) -> Params:
    """The caller's own values, as the event names them."""
    named = [("Author", fields.author), ("Body", fields.body), ("Attributes", fields.attributes)]
    return [(name, value) for name, value in named if value is not None]


def describe_new(fields: MessageFields) -> Describe:
    """onMessageAdd: the message as it would be added, with its author's participant."""

    def describe(conn: Connection, conversation: Conversation) -> Params:
        author = fields.author if fields.author is not None else domain.DEFAULT_AUTHOR
        stored = [("Author", author), ("Body", fields.body), ("Attributes", "{}")]
        stored.append(("ParticipantSid", identity_holder(conn, conversation.sid, author)))
        if fields.content_sid is None:  # a template's message ignores MediaSid (spec)
            media = media_to_describe(conn, conversation.service_sid, fields.media_sids)
            stored.append(("Media", domain.media_text(media)))
        stored.append(("ContentSid", fields.content_sid))
        return overlay(
            [(name, value) for name, value in stored if value is not None], given(fields)
        )

    return describe


def describe_stored(sid: str, fields: MessageFields, path: str) -> Describe:
    """onMessageUpdate/Remove: the stored message `sid` with the caller's new values; a
    missing one is 20404 naming `path`, as its own request would be."""

    def describe(conn: Connection, conversation: Conversation) -> Params:
        message = domain.find_message(conn, conversation, sid, path)
        stored = domain.message_params(message, with_date_updated=True)
        return overlay(stored, given(fields))

    return describe
