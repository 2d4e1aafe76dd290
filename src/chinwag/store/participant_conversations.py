"""A participant seen with its conversation: what User Conversations and
ParticipantConversations show, read in one query.

Each row is a participant joined with its conversation, the service's user of the
same identity (if any) and the number of the conversation's messages after the
participant's read horizon. Read only: changes go through the participant.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, exists, func, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import conversations, messages, participants, users
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class ParticipantConversation:
    participant_sid: str
    account_sid: str
    service_sid: str
    conversation_sid: str
    identity: str | None
    messaging_address: str | None
    proxy_address: str | None
    projected_address: str | None
    notification_level: str
    last_read_message_index: int | None
    user_sid: str | None
    unique_name: str | None
    friendly_name: str | None
    attributes: str
    state: str
    date_inactive: datetime | None
    date_closed: datetime | None
    date_created: datetime  # the conversation's
    date_updated: datetime  # the conversation's
    # Messages with an index above last_read_message_index (0 when it is null).
    messages_after_horizon: int


_AFTER_HORIZON = (
    select(func.count())
    .select_from(messages)
    .where(
        messages.c.conversation_sid == participants.c.conversation_sid,
        messages.c.message_index > participants.c.last_read_message_index,
    )
    .correlate(participants)
    .scalar_subquery()
)
_VIEW = RecordMapper(
    participants,
    ParticipantConversation,
    columns={
        "participant_sid": "sid",
        "user_sid": users.c.sid,
        "unique_name": conversations.c.unique_name,
        "friendly_name": conversations.c.friendly_name,
        "attributes": conversations.c.attributes,
        "state": conversations.c.state,
        "date_inactive": conversations.c.date_inactive,
        "date_closed": conversations.c.date_closed,
        "date_created": conversations.c.date_created,
        "date_updated": conversations.c.date_updated,
        "messages_after_horizon": _AFTER_HORIZON,
    },
)
_JOINED = participants.join(
    conversations, conversations.c.sid == participants.c.conversation_sid
).outerjoin(
    users,
    and_(
        users.c.service_sid == participants.c.service_sid,
        users.c.identity == participants.c.identity,
    ),
)
_SELECT = select(*_VIEW.columns).select_from(_JOINED)
_BY_SID = _SELECT.where(participants.c.sid == bindparam("sid"))
_BY_IDENTITY = _SELECT.where(
    participants.c.service_sid == bindparam("service_sid"),
    participants.c.identity == bindparam("identity"),
)
_BY_ADDRESS = _SELECT.where(
    participants.c.service_sid == bindparam("service_sid"),
    participants.c.messaging_address == bindparam("address"),
)


def get_participant_conversation(conn: Connection, participant_sid: str) -> ParticipantConversation:
    """The view of a participant the caller has just found (so it exists)."""
    row = conn.execute(_BY_SID, {"sid": participant_sid}).one()
    return _VIEW.from_row(row)


def list_by_identity(
    conn: Connection,
    service_sid: str,
    identity: str,
    request: PageRequest,
    *,
    newest_first: bool = False,
    by_conversation: bool = False,
) -> Page:
    """The conversations of the service that have a participant with `identity`."""
    query = _BY_IDENTITY.params(service_sid=service_sid, identity=identity)
    return _page(conn, query, request, newest_first, by_conversation=by_conversation)


_UNREAD_SOMEWHERE = select(func.count()).where(
    participants.c.service_sid == bindparam("service_sid"),
    participants.c.identity == bindparam("identity"),
    exists().where(
        messages.c.conversation_sid == participants.c.conversation_sid,
        messages.c.message_index > func.coalesce(participants.c.last_read_message_index, -1),
    ),
)


def count_unread_conversations(conn: Connection, service_sid: str, identity: str) -> int:
    """How many of the identity's conversations in the service hold a message after its
    read horizon (any message, while it has none)."""
    params = {"service_sid": service_sid, "identity": identity}
    return int(conn.execute(_UNREAD_SOMEWHERE, params).scalar_one())


def list_by_address(conn: Connection, service_sid: str, address: str, request: PageRequest) -> Page:
    """The conversations of the service that have a participant bound to `address`."""
    query = _BY_ADDRESS.params(service_sid=service_sid, address=address)
    return _page(conn, query, request, False, by_conversation=True)


def _page(
    conn: Connection,
    query: Select[Any],
    request: PageRequest,
    newest_first: bool,
    *,
    by_conversation: bool = False,
) -> Page:
    """Newest (or oldest) participant first, or by conversation SID (one participant of an
    identity or address per conversation, so the SID is unique within the list)."""
    return fetch_page(
        conn,
        query,
        participants.c.id,
        request,
        _VIEW.from_row,
        descending=newest_first,
        sort_column=participants.c.conversation_sid if by_conversation else None,
    )
