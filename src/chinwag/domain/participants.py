"""Conversation participants: chat (Identity) or messaging (MessagingBinding.Address) members.

Rules and error codes: twilio.com/docs/conversations/api/conversation-participant-resource
and twilio.com/docs/api/errors/<code>; docs/compatibility.md lists each with its source.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from chinwag.domain.addresses import (
    binding_type,
    check_address,
    check_proxy_address,
    check_same_channel,
)
from chinwag.domain.attributes import PARTICIPANT_LIMIT, check_attributes
from chinwag.domain.conversations import record_activity, refuse_if_closed
from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish
from chinwag.domain.service_configuration import conversation_role
from chinwag.domain.users import ensure_user
from chinwag.store import address_pairs as pairs
from chinwag.store import participants as store
from chinwag.store.conversations import Conversation
from chinwag.store.participants import Participant
from chinwag.store.removals import record_removal
from chinwag.twilio import sids
from chinwag.twilio.dates import to_webhook, utc_now
from chinwag.twilio.errors import (
    AddressPairInUse,
    InvalidParameter,
    ParticipantAddressEmpty,
    ParticipantAddressEqualsProxy,
    ParticipantAddressInUse,
    ParticipantExists,
    ParticipantIdentityNotAllowed,
    ParticipantIdentityWithAddress,
    ParticipantProxyAddressEmpty,
    ParticipantProxyAddressNotAllowed,
    TwilioError,
)
from chinwag.twilio.forms import MAX_STORED_INTEGER, check_length, parse_integer, shown

# "Limited to 256 characters." (spec, Identity); the same for MessagingBinding.Address
# and .ProxyAddress (domain/addresses.py). Twilio documents none for ProjectedAddress
# or LastReadTimestamp: chinwag takes the same 256.
MAX_IDENTITY = 256
MAX_PROJECTED_ADDRESS = 256
MAX_LAST_READ_TIMESTAMP = 256
# "'null' value will remove it." (spec, update MessagingBinding.ProxyAddress/ProjectedAddress)
REMOVE = ("null", "")


@dataclass(frozen=True)
class ParticipantFields:
    """Parameters of a create or update; None means "not given".

    The nullable update parameters (proxy and projected addresses, last read
    index and timestamp) stay raw text here: an empty value (or `null` for the
    addresses) clears them, a rule this module decides.
    """

    identity: str | None = None
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    attributes: str | None = None
    role_sid: str | None = None
    last_read_message_index: str | None = None
    last_read_timestamp: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None


def create_participant(
    conn: Connection,
    conversation: Conversation,
    fields: ParticipantFields,
    origin: Origin,
    *,
    sid: str | None = None,
) -> Participant:
    """Add the participant; the conversation's timers count again from now."""
    participant = add_participant(conn, conversation, fields, origin, sid=sid)
    record_activity(conn, conversation, origin, wakes=False)
    return participant


def check_new_participant(
    conn: Connection, conversation: Conversation, fields: ParticipantFields
) -> None:
    """Every rule a new participant is refused by, writing nothing: asked again in the
    write transaction, and first before the onParticipantAdd pre-event, so the
    webhook never sees a participant (an address) that would be refused."""
    _check(fields)
    refuse_if_closed(conversation, "take new participants")
    identity = fields.identity or None
    address = fields.address
    _check_kind(identity, address, fields.proxy_address)
    if identity is not None:
        _claim_identity(conn, conversation.sid, identity, None)
    if address is not None:
        holder = store.address_holder(conn, conversation.sid, address)
        if holder is not None:
            raise ParticipantAddressInUse(
                f"A participant with MessagingBinding.Address '{address}' already exists "
                f"in conversation {conversation.sid}."
            )
        if fields.proxy_address is not None:
            _check_pair_free(conn, conversation.account_sid, address, fields.proxy_address)


def new_participant_params(
    conn: Connection, conversation: Conversation, fields: ParticipantFields
) -> list[tuple[str, str]]:
    """What the onParticipantAdd pre-event describes: the participant as it would be added,
    once it passes every rule (so the webhook never sees one that is then refused).

    `RoleSid` is the role it will get: the one given (checked, else 50109) or the
    service's DefaultConversationRoleSid, as Twilio's onParticipantAdd table lists it
    (twilio.com/docs/conversations/conversations-webhooks, docs/events.md).
    """
    check_new_participant(conn, conversation, fields)
    role_sid = conversation_role(
        conn, conversation.service_sid, conversation.account_sid, fields.role_sid
    )
    binding = binding_type(fields.address).upper() if fields.address else "CHAT"
    params = [
        ("MessagingBinding.Type", binding),
        ("Identity", fields.identity or None),
        ("MessagingBinding.Address", fields.address),
        ("MessagingBinding.ProxyAddress", fields.proxy_address),
        ("MessagingBinding.ProjectedAddress", fields.projected_address or None),
        ("RoleSid", role_sid),
        ("Attributes", fields.attributes or "{}"),
    ]
    return [(name, value) for name, value in params if value is not None]


def add_participant(
    conn: Connection,
    conversation: Conversation,
    fields: ParticipantFields,
    origin: Origin,
    *,
    sid: str | None = None,
) -> Participant:
    """Add the participant and queue onParticipantAdded; the caller records the activity
    (once for a whole list: domain/conversation_with_participants.py). `sid` is one chosen
    before (an inbound customer announced to the pre-event webhooks by it)."""
    check_new_participant(conn, conversation, fields)
    identity = fields.identity or None
    address = fields.address
    now = utc_now()
    created = fields.date_created or now
    participant = Participant(
        sid=sid or sids.new_sid(sids.PARTICIPANT),
        account_sid=conversation.account_sid,
        service_sid=conversation.service_sid,
        conversation_sid=conversation.sid,
        identity=identity,
        attributes=fields.attributes or "{}",
        role_sid=conversation_role(
            conn, conversation.service_sid, conversation.account_sid, fields.role_sid
        ),
        messaging_address=address,
        proxy_address=fields.proxy_address,
        projected_address=fields.projected_address or None,
        last_read_message_index=None,
        last_read_timestamp=None,
        date_created=created,
        date_updated=fields.date_updated or created,
    )
    if identity is not None:  # a chat participant is backed by a User (user-resource)
        ensure_user(conn, conversation.account_sid, conversation.service_sid, identity, origin)
    store.insert_participant(conn, participant)
    _hold_pair(conn, participant)
    params = participant_params(participant)
    publish(conn, conversation, "onParticipantAdded", params, origin)
    return participant


def update_participant(
    conn: Connection,
    conversation: Conversation,
    participant: Participant,
    fields: ParticipantFields,
    origin: Origin,
) -> Participant:
    """Given parameters replace the stored ones; nothing is written if any is refused."""
    _check(fields)
    refuse_if_closed(conversation, "have its participants updated")
    changed = replace(
        participant,
        identity=_identity(conn, participant, fields.identity),
        proxy_address=_proxy_address(participant, fields.proxy_address),
        projected_address=_removable(fields.projected_address, participant.projected_address),
        attributes=_attributes(fields.attributes, participant.attributes),
        role_sid=_role(conn, participant, fields.role_sid),
        last_read_message_index=_last_read_index(
            fields.last_read_message_index, participant.last_read_message_index
        ),
        last_read_timestamp=_cleared(fields.last_read_timestamp, participant.last_read_timestamp),
        date_created=fields.date_created or participant.date_created,
        date_updated=fields.date_updated or utc_now(),
    )
    if changed.proxy_address != participant.proxy_address:
        pairs.release_pair(conn, participant.sid)
        if changed.messaging_address and changed.proxy_address:
            _check_pair_free(
                conn, changed.account_sid, changed.messaging_address, changed.proxy_address
            )
    store.save_participant(conn, changed)
    if changed.proxy_address != participant.proxy_address:
        _hold_pair(conn, changed)
    params = participant_params(changed, updated=True)
    publish(conn, conversation, "onParticipantUpdated", params, origin)
    return changed


def _check_kind(identity: str | None, address: str | None, proxy_address: str | None) -> None:
    """A chat participant (Identity) or a messaging one (an address, maybe a proxy address
    of the same channel), each address well formed (domain/addresses.py)."""
    if address == "":
        raise ParticipantAddressEmpty("MessagingBinding.Address must not be empty.")
    if proxy_address == "":
        raise ParticipantProxyAddressEmpty("MessagingBinding.ProxyAddress must not be empty.")
    if identity is not None and (address is not None or proxy_address is not None):
        raise ParticipantIdentityWithAddress(
            "A participant has either an Identity or a MessagingBinding.Address "
            "(with MessagingBinding.ProxyAddress), not both."
        )
    if identity is None and address is None:
        raise InvalidParameter(
            "Either Identity (a chat participant) or MessagingBinding.Address "
            "(an SMS or WhatsApp participant) is required."
        )
    if address is None:
        return
    check_address(address)
    if proxy_address is not None:
        check_proxy_address(proxy_address)
        check_same_channel(address, proxy_address)
    if address == proxy_address:
        raise ParticipantAddressEqualsProxy(
            f"MessagingBinding.Address '{address}' equals MessagingBinding.ProxyAddress."
        )


def _check_pair_free(conn: Connection, account_sid: str, address: str, proxy: str) -> None:
    """One active or inactive conversation per (address, proxy address) pair in an account,
    so an inbound message has one place to go (errors/50416). A closed one releases it."""
    if pairs.pair_holder(conn, account_sid, address, proxy) is not None:
        raise AddressPairInUse(  # the message starts with Twilio's title: apps match on it
            f"MessagingBinding.Address '{address}' with MessagingBinding.ProxyAddress "
            f"'{proxy}' is held by another open conversation."
        )


def _hold_pair(conn: Connection, participant: Participant) -> None:
    """Backed by a unique index, so two processes adding the same pair cannot both win."""
    if participant.messaging_address and participant.proxy_address:
        pairs.hold_pair(
            conn,
            participant.account_sid,
            participant.conversation_sid,
            participant.sid,
            participant.messaging_address,
            participant.proxy_address,
        )


def find_participant(
    conn: Connection,
    conversation: Conversation,
    sid_or_identity: str,
    missing: TwilioError,
    *,
    by_identity: bool = False,
) -> Participant:
    """The participant by SID, else `missing` is raised.

    With `by_identity` (fetch only: "Alternatively, you can pass a Participant's
    `identity` rather than the SID", spec) an identity is accepted too.
    """
    found = None
    if sids.is_sid(sid_or_identity, sids.PARTICIPANT):
        found = store.get_participant(conn, conversation.sid, sid_or_identity)
    if found is None and by_identity:  # an identity may itself look like a SID
        found = store.get_by_identity(conn, conversation.sid, sid_or_identity)
    if found is None:
        raise missing
    return found


def delete_participant(
    conn: Connection, conversation: Conversation, participant: Participant, origin: Origin
) -> None:
    store.delete_participant(conn, participant.sid)
    now = utc_now()
    record_removal(conn, conversation, "roster", participant.sid, now)
    params = participant_params(participant, removed_at=now)
    publish(conn, conversation, "onParticipantRemoved", params, origin)


def participant_params(
    participant: Participant, *, updated: bool = False, removed_at: datetime | None = None
) -> list[tuple[str, str]]:
    """The parameters of onParticipant* events (docs/events.md); unset ones are left out.

    onParticipantUpdated adds DateUpdated and the read horizon, onParticipantRemoved
    DateUpdated and DateRemoved.
    """
    binding = "CHAT" if participant.messaging_address is None else None
    if participant.messaging_address is not None:
        binding = binding_type(participant.messaging_address).upper()
    params = [
        ("ParticipantSid", participant.sid),
        ("MessagingBinding.Type", binding),
        ("Identity", participant.identity),
        ("MessagingBinding.Address", participant.messaging_address),
        ("MessagingBinding.ProxyAddress", participant.proxy_address),
        ("MessagingBinding.ProjectedAddress", participant.projected_address),
        ("RoleSid", participant.role_sid),
        ("Attributes", participant.attributes),
        ("DateCreated", to_webhook(participant.date_created)),
    ]
    if removed_at is not None:
        params += [
            ("DateUpdated", to_webhook(participant.date_updated)),
            ("DateRemoved", to_webhook(removed_at)),
        ]
    if updated:
        index = participant.last_read_message_index
        params += [
            ("DateUpdated", to_webhook(participant.date_updated)),
            ("LastReadMessageIndex", None if index is None else str(index)),
            ("LastReadTimestamp", participant.last_read_timestamp),
        ]
    return [(name, value) for name, value in params if value is not None]


def _claim_identity(
    conn: Connection, conversation_sid: str, identity: str, sid: str | None
) -> None:
    """Unique per conversation; checked in the write transaction, backed by a unique index."""
    holder = store.identity_holder(conn, conversation_sid, identity)
    if holder is not None and holder != sid:
        raise ParticipantExists(  # the message starts with Twilio's title: apps match on it
            f"A participant with Identity '{identity}' is already in conversation "
            f"{conversation_sid}."
        )


def _identity(conn: Connection, participant: Participant, identity: str | None) -> str | None:
    """Identity may be added only to a Group MMS participant that has none (errors/50444)."""
    if not identity or identity == participant.identity:
        return participant.identity
    if participant.identity is not None or participant.projected_address is None:
        raise ParticipantIdentityNotAllowed(
            f"Participant {participant.sid} cannot be given the Identity '{identity}'."
        )
    _claim_identity(conn, participant.conversation_sid, identity, participant.sid)
    return identity


def _proxy_address(participant: Participant, value: str | None) -> str | None:
    if value is None or value in REMOVE:
        return _removable(value, participant.proxy_address)
    if participant.messaging_address is None:
        raise ParticipantProxyAddressNotAllowed(
            f"Participant {participant.sid} has no MessagingBinding.Address, so it cannot "
            "have a MessagingBinding.ProxyAddress."
        )
    check_proxy_address(value)
    check_same_channel(participant.messaging_address, value)
    if value == participant.messaging_address:
        raise ParticipantAddressEqualsProxy(
            f"MessagingBinding.ProxyAddress '{value}' equals MessagingBinding.Address."
        )
    return value


def _role(conn: Connection, participant: Participant, given: str | None) -> str | None:
    if not given:
        return participant.role_sid
    return conversation_role(conn, participant.service_sid, participant.account_sid, given)


def _attributes(value: str | None, current: str) -> str:
    """An empty value resets them: "if the attributes are not set "{}" will be returned" (spec)."""
    if value is None:
        return current
    return value or "{}"


def _removable(value: str | None, current: str | None) -> str | None:
    if value is None:
        return current
    return None if value in REMOVE else value


def _cleared(value: str | None, current: str | None) -> str | None:
    if value is None:
        return current
    return value or None


def _last_read_index(value: str | None, current: int | None) -> int | None:
    """An integer of 0 or more; an empty value clears it (the spec marks it nullable)."""
    if value is None:
        return current
    if value.strip() in REMOVE:
        return None
    index = parse_integer(value)
    if index is None:
        raise InvalidParameter(f"LastReadMessageIndex '{shown(value)}' is not an integer.")
    if not 0 <= index <= MAX_STORED_INTEGER:
        raise InvalidParameter(
            f"LastReadMessageIndex must be from 0 to {MAX_STORED_INTEGER}, got {index}."
        )
    return index


def _check(fields: ParticipantFields) -> None:
    check_length("Identity", fields.identity, MAX_IDENTITY)
    check_length(
        "MessagingBinding.ProjectedAddress", fields.projected_address, MAX_PROJECTED_ADDRESS
    )
    check_length("LastReadTimestamp", fields.last_read_timestamp, MAX_LAST_READ_TIMESTAMP)
    if fields.role_sid is not None and not sids.is_sid(fields.role_sid, sids.ROLE):
        raise InvalidParameter(
            f"RoleSid '{fields.role_sid}' is not a Role SID (RL + 32 hex digits)."
        )
    check_attributes(fields.attributes, PARTICIPANT_LIMIT)
