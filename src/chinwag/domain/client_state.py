"""What a client SDK's user sees, read from the one model: nothing here is a second copy.

The SDK reads Sync objects (twilsock/sync_shapes.py shapes them); each is a view of
rows REST also reads and writes: the user's memberships (their participants), a
conversation, its messages, its participants. Sync event ids are derived from the
rows' own times (`event_id`), so a change needs no extra write to be numbered.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Connection

from chinwag.domain.access_tokens import AccessGrant, verify_access_token
from chinwag.domain.actors import Actor, sdk_origin
from chinwag.domain.events import Origin
from chinwag.domain.services import default_service
from chinwag.domain.users import ensure_user
from chinwag.store import accounts as account_store
from chinwag.store import conversations as conversation_store
from chinwag.store import messages as message_store
from chinwag.store import participant_conversations as views
from chinwag.store import participants as participant_store
from chinwag.store import removals
from chinwag.store import services as service_store
from chinwag.store import users as user_store
from chinwag.store.accounts import Account
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.participant_conversations import ParticipantConversation
from chinwag.store.participants import Participant
from chinwag.store.services import Service
from chinwag.store.users import User
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.pagination import PageRequest

ALL = PageRequest(size=10_000, page=0)  # a user's memberships, a conversation's roster


@dataclass(frozen=True)
class ClientSession:
    """Who a socket speaks for: the token's grant, its service and its user."""

    grant: AccessGrant
    account: Account
    service: Service
    user: User

    @property
    def identity(self) -> str:
        return self.grant.identity

    @cached_property
    def actor(self) -> Actor:
        """The socket's actor, built once per session: the token's account, service and
        identity (domain/actors.py)."""
        return Actor.sdk(self.account, self.service.sid, self.grant.identity)

    def origin(self) -> Origin:
        """How the user's changes are published: always firing webhooks, naming the client."""
        return self.actor.origin


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def event_id(when: datetime) -> int:
    """A Sync event id from a row's time: microseconds since the epoch (< 2**53, safe in JS),
    exactly (no float), so `event_time` gives the time back."""
    return (when - EPOCH) // MICROSECOND


def event_time(event: int) -> datetime:
    """The row time an event id stands for: rows changed after it are news to the client."""
    return EPOCH + event * MICROSECOND


def start_session(conn: Connection, grant: AccessGrant) -> ClientSession:
    """The token's service (else the account's default) and its user, created on first
    connect: "every ... Participant who connects with a Chat SDK ... is backed by a User"
    (twilio.com/docs/conversations/api/user-resource)."""
    service = grant_service(conn, grant)
    ensure_user(conn, grant.account_sid, service.sid, grant.identity, sdk_origin(grant.identity))
    user = user_store.get_by_identity(conn, service.sid, grant.identity)
    account = account_store.get_account(conn, grant.account_sid)
    assert user is not None and account is not None
    return ClientSession(grant, account, service, user)


def grant_service(conn: Connection, grant: AccessGrant) -> Service:
    """The service a token's user acts in: its chat grant's, else the account's default."""
    if not grant.chat_service_sid:
        return default_service(conn, grant.account_sid)
    service = service_store.get_service(conn, grant.account_sid, grant.chat_service_sid)
    if service is None:
        raise ResourceNotFound(f"The token's service '{grant.chat_service_sid}' was not found.")
    return service


def token_actor(conn: Connection, token: str, now: datetime) -> Actor:
    """The SDK user an Access Token proves, for the calls the SDK makes outside its socket
    (its media client's HTTP requests): verified as the socket's `init` is
    (domain/access_tokens.py), read-only (the user is made when a socket opens)."""
    grant = verify_access_token(conn, token, now)
    account = account_store.get_account(conn, grant.account_sid)
    assert account is not None  # verified: the token's key belongs to it
    return Actor.sdk(account, grant_service(conn, grant).sid, grant.identity)


def memberships(conn: Connection, session: ClientSession) -> list[ParticipantConversation]:
    """The user's participants with their conversations, in the order they joined."""
    page = views.list_by_identity(
        conn, session.service.sid, session.identity, ALL, newest_first=False
    )
    return list(page.rows)


def membership(
    conn: Connection, session: ClientSession, conversation_ref: str
) -> ParticipantConversation | None:
    """The user's participant in a conversation of the token's service (by SID or
    UniqueName): a conversation of another service or account is never found, whatever
    identities take part in it."""
    found = conversation_store.find_conversation(conn, session.service.sid, conversation_ref)
    if found is None:
        return None
    participant = participant_store.get_by_identity(conn, found.sid, session.identity)
    if participant is None:
        return None
    return views.get_participant_conversation(conn, participant.sid)


def takes_part(conn: Connection, session: ClientSession, conversation_ref: str) -> bool:
    """Whether the user takes part in that conversation of the token's service (what
    `membership` finds, without reading the view)."""
    found = conversation_store.find_conversation(conn, session.service.sid, conversation_ref)
    if found is None:
        return False
    return participant_store.identity_holder(conn, found.sid, session.identity) is not None


def in_service(conn: Connection, service_sid: str, conversation_sid: str) -> Conversation | None:
    """A conversation of the service by its SID: what every socket of the service may read
    of it (its document), whoever the socket's user."""
    found = conversation_store.find_conversation(conn, service_sid, conversation_sid)
    return found if found is not None and found.sid == conversation_sid else None


def members(conn: Connection, conversation_sid: str) -> frozenset[str]:
    """The identities taking part in a conversation: who may read its messages."""
    return frozenset(
        p.identity
        for p in participant_store.chat_participants(conn, conversation_sid)
        if p.identity
    )


def own_participant(
    conn: Connection, session: ClientSession, conversation_sid: str
) -> Participant | None:
    """The user's participant in a conversation the caller has found in the service."""
    return participant_store.get_by_identity(conn, conversation_sid, session.identity)


def conversation(conn: Connection, session: ClientSession, ref: str) -> Conversation | None:
    """A conversation of the token's service the user may see: one they take part in (by
    SID or UniqueName), or any by its SID, which is what `peekConversationBySid` reads
    before `join()`. A guessable UniqueName finds only the user's own conversations."""
    found = conversation_store.find_conversation(conn, session.service.sid, ref)
    if found is None or found.sid == ref:
        return found
    if participant_store.identity_holder(conn, found.sid, session.identity) is None:
        return None
    return found


def messages_at(conn: Connection, conversation_sid: str, indexes: list[int]) -> list[Message]:
    return message_store.messages_at(conn, conversation_sid, indexes)


def removed_after(
    conn: Connection, conversation_sid: str, object: str, event: int
) -> dict[str, int]:
    """The keys removed from the conversation's `object` after `event`, with their ids."""
    found = removals.removals_after(conn, conversation_sid, object, event_time(event))
    return {key: event_id(when) for key, when in found}


def messages_changed_after(conn: Connection, conversation_sid: str, event: int) -> list[Message]:
    return message_store.messages_updated_since(conn, conversation_sid, event_time(event))


def newest_message_event(conn: Connection, conversation_sid: str) -> int:
    """The event id of the conversation's messages list: its newest change (0: none)."""
    newest = message_store.newest_update(conn, conversation_sid)
    return event_id(newest) if newest is not None else 0


def message_range(
    conn: Connection, conversation_sid: str, first: int, descending: bool, size: int
) -> tuple[list[Message], bool]:
    """Up to `size` messages from index `first` in that order, and whether any come before."""
    found = message_store.message_range(
        conn, conversation_sid, first, descending=descending, size=size
    )
    before = message_store.any_before(conn, conversation_sid, first, descending=descending)
    return found, before


def last_message(conn: Connection, conversation_sid: str) -> Message | None:
    return message_store.last_message(conn, conversation_sid)


def counts(conn: Connection, session: ClientSession, conversation_sid: str) -> tuple[int, int]:
    """How many messages and participants a conversation holds (`getMessagesCount`,
    `getParticipantsCount`: "semi-realtime" counters, read when asked)."""
    return (
        message_store.count_messages(conn, conversation_sid),
        participant_store.count_participants(conn, conversation_sid),
    )


def roster(conn: Connection, conversation_sid: str) -> list[Participant]:
    return list(participant_store.list_participants(conn, conversation_sid, ALL).rows)


def user(conn: Connection, session: ClientSession, identity: str) -> User | None:
    return user_store.get_by_identity(conn, session.service.sid, identity)


def user_by_sid(conn: Connection, session: ClientSession, sid: str) -> User | None:
    return user_store.get_user(conn, session.service.sid, sid)


def participant(conn: Connection, conversation_sid: str, sid: str) -> Participant | None:
    return participant_store.get_participant(conn, conversation_sid, sid)
