"""User Conversations: a user's memberships in a service's conversations, seen from the user.

A User Conversation is the user's participant in a conversation (the participant
whose identity is the user's), shown with the conversation's fields, an unread
count and a notification level. Changing or deleting one changes or removes that
participant, with the participant's own rules and events.
twilio.com/docs/conversations/api/user-conversation-resource;
docs/compatibility.md lists each rule with its source.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import Connection

from chinwag.domain.conversations import find_conversation
from chinwag.domain.events import Origin
from chinwag.domain.participants import (
    ParticipantFields,
    delete_participant,
    update_participant,
)
from chinwag.store import participant_conversations as views
from chinwag.store import participants as participant_store
from chinwag.store.conversations import Conversation
from chinwag.store.participant_conversations import ParticipantConversation
from chinwag.store.participants import Participant
from chinwag.store.users import User
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.pagination import Page, PageRequest

# "UnreadMessageCount returns a maximum value of 1000" (user-conversation-resource)
MAX_UNREAD = 1000


class NotificationLevel(StrEnum):
    """spec: user_conversation_enum_notification_level."""

    DEFAULT = "default"
    MUTED = "muted"


@dataclass(frozen=True)
class UserConversationFields:
    """Parameters of an update; None means "not given". The read horizon stays raw text:
    the participant's rules parse it (domain/participants.py)."""

    notification_level: NotificationLevel | None = None
    last_read_message_index: str | None = None
    last_read_timestamp: str | None = None


def unread_messages_count(view: ParticipantConversation) -> int | None:
    """Messages after the read horizon, at most 1000; null while the participant has none."""
    if view.last_read_message_index is None:
        return None
    return min(view.messages_after_horizon, MAX_UNREAD)


def list_user_conversations(conn: Connection, user: User, request: PageRequest) -> Page:
    """The conversations the user takes part in, in the order they joined."""
    return views.list_by_identity(
        conn, user.service_sid, user.identity, request, newest_first=False
    )


def find_user_conversation(
    conn: Connection, user: User, conversation_ref: str, missing: TwilioError
) -> ParticipantConversation:
    _, participant = _membership(conn, user, conversation_ref, missing)
    return views.get_participant_conversation(conn, participant.sid)


def update_user_conversation(
    conn: Connection,
    user: User,
    conversation_ref: str,
    fields: UserConversationFields,
    origin: Origin,
    missing: TwilioError,
) -> ParticipantConversation:
    """A participant update (its rules, its onParticipantUpdated) that may also set the
    notification level."""
    conversation, participant = _membership(conn, user, conversation_ref, missing)
    if fields.notification_level is not None:
        participant = replace(participant, notification_level=fields.notification_level)
    horizon = ParticipantFields(
        last_read_message_index=fields.last_read_message_index,
        last_read_timestamp=fields.last_read_timestamp,
    )
    update_participant(conn, conversation, participant, horizon, origin)
    return views.get_participant_conversation(conn, participant.sid)


def delete_user_conversation(
    conn: Connection, user: User, conversation_ref: str, origin: Origin, missing: TwilioError
) -> None:
    """The user leaves the conversation: their participant is removed (onParticipantRemoved)."""
    conversation, participant = _membership(conn, user, conversation_ref, missing)
    delete_participant(conn, conversation, participant, origin)


def _membership(
    conn: Connection, user: User, conversation_ref: str, missing: TwilioError
) -> tuple[Conversation, Participant]:
    """The conversation (SID or UniqueName) and the user's participant in it, else `missing`."""
    conversation = find_conversation(conn, user.service_sid, conversation_ref, missing)
    participant = participant_store.get_by_identity(conn, conversation.sid, user.identity)
    if participant is None:
        raise missing
    return conversation, participant
