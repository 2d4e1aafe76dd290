"""Conversation participants."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select

from chinwag.store import compiled
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import participants
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Participant:
    sid: str
    account_sid: str
    service_sid: str
    conversation_sid: str
    identity: str | None
    attributes: str
    role_sid: str | None
    messaging_address: str | None
    proxy_address: str | None
    projected_address: str | None
    last_read_message_index: int | None
    last_read_timestamp: str | None
    date_created: datetime
    date_updated: datetime
    # Set only through User Conversations; last, so that creating a participant need not name it.
    notification_level: str = "default"


_PARTICIPANTS = RecordMapper(
    participants,
    Participant,
    fixed={"sid", "account_sid", "service_sid", "conversation_sid", "messaging_address"},
)
_BY_SID = select(*_PARTICIPANTS.columns).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.sid == bindparam("key"),
)
_BY_IDENTITY = select(*_PARTICIPANTS.columns).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.identity == bindparam("key"),
)
_IDENTITY_HOLDER = select(participants.c.sid).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.identity == bindparam("identity"),
)
_ADDRESS_HOLDER = select(participants.c.sid).where(
    participants.c.conversation_sid == bindparam("conversation_sid"),
    participants.c.messaging_address == bindparam("address"),
)
_LIST = select(*_PARTICIPANTS.columns).where(
    participants.c.conversation_sid == bindparam("conversation_sid")
)
_DELETE = delete(participants).where(participants.c.sid == bindparam("sid"))


def insert_participant(conn: Connection, participant: Participant) -> None:
    _PARTICIPANTS.insert(conn, participant)


def save_participant(conn: Connection, participant: Participant) -> None:
    _PARTICIPANTS.save(conn, participant)


def get_participant(conn: Connection, conversation_sid: str, sid: str) -> Participant | None:
    row = conn.execute(_BY_SID, {"conversation_sid": conversation_sid, "key": sid}).first()
    return _PARTICIPANTS.from_row(row) if row else None


def get_by_identity(conn: Connection, conversation_sid: str, identity: str) -> Participant | None:
    row = conn.execute(
        _BY_IDENTITY, {"conversation_sid": conversation_sid, "key": identity}
    ).first()
    return _PARTICIPANTS.from_row(row) if row else None


def identity_holder(conn: Connection, conversation_sid: str, identity: str) -> str | None:
    """The SID of the conversation's participant with `identity`, if any."""
    params = {"conversation_sid": conversation_sid, "identity": identity}
    found: str | None = compiled.scalar(conn, _IDENTITY_HOLDER, params)  # every message create
    return found


def address_holder(conn: Connection, conversation_sid: str, address: str) -> str | None:
    """The SID of the conversation's participant bound to `address`, if any."""
    params = {"conversation_sid": conversation_sid, "address": address}
    found: str | None = conn.execute(_ADDRESS_HOLDER, params).scalar()
    return found


def list_participants(conn: Connection, conversation_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(conversation_sid=conversation_sid)
    return fetch_page(conn, query, participants.c.id, request, _PARTICIPANTS.from_row)


def delete_participant(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


_MESSAGING = _LIST.where(
    participants.c.messaging_address.is_not(None), participants.c.proxy_address.is_not(None)
).order_by(participants.c.id)


def messaging_participants(conn: Connection, conversation_sid: str) -> list[Participant]:
    """The conversation's SMS/WhatsApp participants that have a proxy address to send from."""
    rows = compiled.rows(conn, _MESSAGING, {"conversation_sid": conversation_sid})
    return [_PARTICIPANTS.from_row(row) for row in rows]


_CHAT = _LIST.where(participants.c.identity.is_not(None)).order_by(participants.c.id)


def chat_participants(conn: Connection, conversation_sid: str) -> list[Participant]:
    """The conversation's chat participants (those with an identity), oldest first."""
    rows = compiled.rows(conn, _CHAT, {"conversation_sid": conversation_sid})
    return [_PARTICIPANTS.from_row(row) for row in rows]


def count_participants(conn: Connection, conversation_sid: str) -> int:
    query = select(func.count()).where(participants.c.conversation_sid == conversation_sid)
    return int(conn.execute(query).scalar_one())
