"""Conversations: the rules for creating, changing, finding and deleting them."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import Connection

from chinwag.domain.attributes import CONVERSATION_LIMIT, check_attributes
from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish
from chinwag.domain.services import default_service
from chinwag.store import account_configurations as account_store
from chinwag.store import address_pairs as pairs
from chinwag.store import conversations as store
from chinwag.store import webhooks as webhook_store
from chinwag.store.account_configurations import AccountConfiguration
from chinwag.store.conversations import Conversation
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.dates import parse_duration, to_webhook, utc_now
from chinwag.twilio.errors import (
    ClosedAtCreation,
    ClosedTimerInvalid,
    ClosedTimerTooShort,
    ConversationClosed,
    ConversationUniqueNameLooksLikeSid,
    ConversationUniqueNameTaken,
    InactiveTimerInvalid,
    InactiveTimerTooShort,
    InvalidMessagingServiceSid,
    ResourceNotFound,
    TwilioError,
)
from chinwag.twilio.forms import check_length, shown

T = TypeVar("T")

# "limited to 256 characters" (spec, FriendlyName)
MAX_FRIENDLY_NAME = 256
# Twilio documents no limit for UniqueName, nor for the email binding; chinwag takes
# FriendlyName's 256 characters (docs/compatibility.md).
MAX_UNIQUE_NAME = 256
MAX_EMAIL_FIELD = 256
# "Minimum value for this timer is 1 minute" / "... is 10 minutes" (spec, Timers.*)
MIN_INACTIVE_TIMER = timedelta(minutes=1)
MIN_CLOSED_TIMER = timedelta(minutes=10)
# Twilio documents no maximum; chinwag caps both timers at 10 years (3,650 days), so a
# timer's date is always a date both databases and every client can hold.
MAX_TIMER = timedelta(days=3650)
# A zero duration (PT0S) disables a timer (timer_or_none).
NO_TIMER = timedelta(0)


class State(StrEnum):
    """States a client may set; `initializing` is Twilio's own, reported but never requested."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"


@dataclass(frozen=True)
class ConversationFields:
    """Parameters of a create or update; None means "not given"."""

    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: str | None = None
    messaging_service_sid: str | None = None
    state: State | None = None
    timer_inactive: str | None = None
    timer_closed: str | None = None
    email_address: str | None = None
    email_name: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None


@dataclass(frozen=True)
class Creator:
    """The customer whose SMS or WhatsApp message auto-created a conversation
    (domain/inbound.py): onConversationAdd and onConversationAdded carry their binding,
    "MessagingBinding.Address: Originating phone number of the channel creator", and the
    address they wrote to. Null, so left out, for a conversation created over REST
    (twilio.com/docs/conversations/conversations-webhooks; docs/events.md)."""

    address: str
    proxy_address: str


def create_conversation(
    conn: Connection,
    account_sid: str,
    service_sid: str,
    fields: ConversationFields,
    origin: Origin,
    *,
    sid: str | None = None,
    creator: Creator | None = None,
) -> Conversation:
    """Store the conversation and queue onConversationAdded; `sid` is one chosen before
    (an auto-creation announced to the pre-event webhooks by it)."""
    conversation = new_conversation(conn, account_sid, service_sid, fields, sid=sid)
    if conversation.unique_name is not None:
        _claim_unique_name(conn, service_sid, conversation.unique_name, None)
    store.insert_conversation(conn, conversation)
    params = conversation_params(conversation, creator=creator)
    publish(conn, conversation, "onConversationAdded", params, origin)
    return conversation


def new_conversation(
    conn: Connection,
    account_sid: str,
    service_sid: str,
    fields: ConversationFields,
    *,
    sid: str | None = None,
) -> Conversation:
    """The conversation `create_conversation` would store, the account's defaults applied
    and every rule but the UniqueName's checked; nothing is written."""
    defaults = account_store.get_configuration(conn, account_sid)
    if defaults is not None:
        fields = _with_account_defaults(fields, defaults)
    _check(fields)
    if fields.state == State.CLOSED:
        raise ClosedAtCreation("A conversation cannot be created in the closed state.")
    now = utc_now()
    unique_name = fields.unique_name or None
    created = fields.date_created or now
    state = fields.state or State.ACTIVE
    conversation = Conversation(
        sid=sid or sids.new_sid(sids.CONVERSATION),
        account_sid=account_sid,
        service_sid=service_sid,
        unique_name=unique_name,
        friendly_name=fields.friendly_name,
        attributes=fields.attributes or "{}",
        messaging_service_sid=fields.messaging_service_sid,
        state=state,
        timer_inactive=timer_or_none(fields.timer_inactive),
        timer_closed=timer_or_none(fields.timer_closed),
        date_inactive=None,
        date_closed=None,
        email_address=fields.email_address,
        email_name=fields.email_name,
        date_created=created,
        date_updated=fields.date_updated or created,
    )
    return _schedule_timers(conversation, now)


def update_conversation(
    conn: Connection, conversation: Conversation, fields: ConversationFields, origin: Origin
) -> Conversation:
    _check(fields)
    refuse_if_closed(conversation, "be updated")
    now = utc_now()
    changed = conversation
    if fields.unique_name is not None:
        unique_name = fields.unique_name or None  # an empty value clears it
        if unique_name is not None:
            _claim_unique_name(conn, conversation.service_sid, unique_name, conversation.sid)
        changed = replace(changed, unique_name=unique_name)
    changed = replace(
        changed,
        friendly_name=_given(fields.friendly_name, changed.friendly_name),
        attributes=_given(fields.attributes, changed.attributes),
        messaging_service_sid=_given(fields.messaging_service_sid, changed.messaging_service_sid),
        state=_given(fields.state, changed.state),
        timer_inactive=timer_or_none(_given(fields.timer_inactive, changed.timer_inactive)),
        timer_closed=timer_or_none(_given(fields.timer_closed, changed.timer_closed)),
        email_address=_given(fields.email_address, changed.email_address),
        email_name=_given(fields.email_name, changed.email_name),
        date_created=_given(fields.date_created, changed.date_created),
        date_updated=fields.date_updated or now,
    )
    timers_given = fields.timer_inactive is not None or fields.timer_closed is not None
    if timers_given or fields.state is not None:
        changed = _schedule_timers(changed, now)
    store.save_conversation(conn, changed)
    if changed.state == State.CLOSED:
        pairs.release_pairs(conn, changed.sid)
    publish(conn, changed, "onConversationUpdated", conversation_params(changed), origin)
    if changed.state != conversation.state:
        state_change = state_params(changed, conversation.state, "API", now)
        publish(conn, changed, "onConversationStateUpdated", state_change, origin)
    return changed


def refuse_if_closed(conversation: Conversation, action: str) -> None:
    """A closed conversation is read-only: 400 50377 ("Conversation state is 'closed' so it
    can't be used for chatting anymore"; states-timers: "you can't reactivate it")."""
    if conversation.state == State.CLOSED:
        raise ConversationClosed(f"Conversation {conversation.sid} is closed and can't {action}.")


def record_activity(
    conn: Connection, conversation: Conversation, origin: Origin, *, wakes: bool
) -> Conversation:
    """A message or participant was added: the timers count again from now, and a
    message (`wakes`) moves an inactive conversation to active (Reason EVENT).

    "The Conversation will automatically move from an inactive to active state when
    a new text or media message arrives" (conversations/states-timers).
    """
    now = utc_now()
    changed = conversation
    if wakes and conversation.state == State.INACTIVE:
        changed = replace(changed, state=State.ACTIVE, date_updated=now)
    elif not (conversation.timer_inactive or conversation.timer_closed):
        return conversation  # nothing to move: no write
    changed = _schedule_timers(changed, now)
    store.save_conversation(conn, changed)
    if changed.state != conversation.state:
        state_change = state_params(changed, conversation.state, "EVENT", now)
        publish(conn, changed, "onConversationStateUpdated", state_change, origin)
    return changed


def find_conversation(
    conn: Connection,
    service_sid: str,
    sid_or_unique_name: str,
    missing: TwilioError,
    for_update: bool = False,
) -> Conversation:
    """The conversation by SID or UniqueName, else `missing` is raised."""
    conversation = store.find_conversation(conn, service_sid, sid_or_unique_name, for_update)
    if conversation is None:
        raise missing
    return conversation


def find_in_default_service(
    conn: Connection,
    account_sid: str,
    sid_or_unique_name: str,
    missing: TwilioError,
    for_update: bool = False,
) -> tuple[Conversation, Service]:
    """`find_conversation` in the account's default service, and that service, read
    together; the errors are `default_service`'s, then `missing`."""
    found = store.find_in_default_service(conn, account_sid, sid_or_unique_name, for_update)
    if found is None:
        default_service(conn, account_sid)  # raises when the account has none
        raise missing
    return found


def not_found(path: str) -> ResourceNotFound:
    return ResourceNotFound.for_path(path)


def delete_conversation(conn: Connection, conversation: Conversation, origin: Origin) -> None:
    """Deleting a conversation deletes its webhooks in the same transaction.

    onConversationRemoved is queued first, so the conversation's own webhooks hear it.
    """
    params = conversation_params(conversation, removed_at=utc_now())
    publish(conn, conversation, "onConversationRemoved", params, origin)
    webhook_store.delete_conversation_webhooks(conn, conversation.sid)
    store.delete_conversation(conn, conversation.sid)


# Timer-driven changes come from no request, so nothing can turn their webhooks off.
TIMER_ORIGIN = Origin(source="API", webhooks_enabled=True)


def fire_due_timers(conn: Connection, now: datetime, limit: int = 100) -> int:
    """Move conversations whose timers have come to `inactive` or `closed`; returns how many.

    A due closed timer wins over a due inactive one. Each change is stored with its
    onConversationStateUpdated (Reason TIMER) in the caller's transaction, and the
    timers are cleared, so a timer fires once even across restarts.
    """
    due = store.timers_due(conn, now, limit)
    for conversation in due:
        closing = conversation.date_closed is not None and conversation.date_closed <= now
        changed = replace(
            conversation,
            state=State.CLOSED if closing else State.INACTIVE,
            date_inactive=None,
            date_closed=None if closing else conversation.date_closed,
            date_updated=now,
        )
        store.save_conversation(conn, changed)
        if closing:
            pairs.release_pairs(conn, changed.sid)
        state_change = state_params(changed, conversation.state, "TIMER", now)
        publish(conn, changed, "onConversationStateUpdated", state_change, TIMER_ORIGIN)
    return len(due)


def conversation_params(
    conversation: Conversation,
    removed_at: datetime | None = None,
    *,
    creator: Creator | None = None,
) -> list[tuple[str, str]]:
    """onConversation* events' own parameters (docs/events.md); unset ones are left out.

    onConversationAdded of an auto-created conversation names its `creator`. The
    envelope (domain/events.py) adds ChatServiceSid with the other common ones.
    """
    params = [
        ("DateCreated", to_webhook(conversation.date_created)),
        ("DateUpdated", to_webhook(conversation.date_updated)),
        ("FriendlyName", conversation.friendly_name),
        ("UniqueName", conversation.unique_name),
        ("Attributes", conversation.attributes),
        ("MessagingServiceSid", conversation.messaging_service_sid),
        ("State", conversation.state),
        *_creator_params(creator),
        ("DateRemoved", to_webhook(removed_at) if removed_at else None),
    ]
    return [(name, value) for name, value in params if value is not None]


def conversation_add_params(
    conn: Connection,
    account_sid: str,
    fields: ConversationFields,
    *,
    creator: Creator | None = None,
    message_body: str | None = None,
) -> list[tuple[str, str]]:
    """onConversationAdd's own parameters: the conversation as it would be created, the
    request's values or else Twilio's defaults (Attributes `{}`, State `active`, the
    account's default Messaging Service); for one a customer's message auto-creates,
    that customer's binding and the message's text (`MessageBody`). Nothing is checked:
    the create checks the values after the webhook's answer (docs/events.md)."""
    defaults = account_store.get_configuration(conn, account_sid)
    if defaults is not None:
        fields = _with_account_defaults(fields, defaults)
    params = [
        ("FriendlyName", fields.friendly_name),
        ("UniqueName", fields.unique_name),
        ("Attributes", "{}" if fields.attributes is None else fields.attributes),
        ("MessagingServiceSid", fields.messaging_service_sid),
        ("State", fields.state or State.ACTIVE),
        *_creator_params(creator),
        ("MessageBody", message_body),
    ]
    return [(name, value) for name, value in params if value is not None]


def _creator_params(creator: Creator | None) -> list[tuple[str, str | None]]:
    if creator is None:
        return []
    return [
        ("MessagingBinding.Address", creator.address),
        ("MessagingBinding.ProxyAddress", creator.proxy_address),
    ]


def state_params(
    conversation: Conversation, state_from: str, reason: str, at: datetime
) -> list[tuple[str, str]]:
    """onConversationStateUpdated's own parameters: no State, DateUpdated or Attributes.

    The envelope (domain/events.py) adds ChatServiceSid with the other common ones.
    """
    params = [
        ("StateUpdated", to_webhook(at)),
        ("StateFrom", state_from),
        ("StateTo", conversation.state),
        ("Reason", reason),
        ("MessagingServiceSid", conversation.messaging_service_sid),
    ]
    return [(name, value) for name, value in params if value is not None]


def _with_account_defaults(
    fields: ConversationFields, defaults: AccountConfiguration
) -> ConversationFields:
    """What the request leaves unset comes from the account's Configuration: "The SID of
    the default Messaging Service used when creating a conversation", "Default ISO8601
    duration when conversation will be switched to `inactive`/`closed` state" (spec,
    conversations.v1.configuration). Each timer separately; an empty value given stays."""
    return replace(
        fields,
        messaging_service_sid=_given(
            fields.messaging_service_sid, defaults.default_messaging_service_sid
        ),
        timer_inactive=_given(fields.timer_inactive, defaults.default_inactive_timer),
        timer_closed=_given(fields.timer_closed, defaults.default_closed_timer),
    )


def _given(value: T | None, current: T) -> T:
    return current if value is None else value


def _claim_unique_name(
    conn: Connection, service_sid: str, unique_name: str, sid: str | None
) -> None:
    """Unique per service; checked inside the write transaction, backed by a unique index."""
    holder = store.unique_name_holder(conn, service_sid, unique_name)
    if holder is not None and holder != sid:
        raise ConversationUniqueNameTaken(f"UniqueName '{unique_name}' is taken in this service.")


def _check(fields: ConversationFields) -> None:
    check_length("FriendlyName", fields.friendly_name, MAX_FRIENDLY_NAME)
    check_length("UniqueName", fields.unique_name, MAX_UNIQUE_NAME)
    check_length("Bindings.Email.Address", fields.email_address, MAX_EMAIL_FIELD)
    check_length("Bindings.Email.Name", fields.email_name, MAX_EMAIL_FIELD)
    if fields.unique_name and sids.is_sid(fields.unique_name, sids.CONVERSATION):
        raise ConversationUniqueNameLooksLikeSid(
            f"UniqueName '{fields.unique_name}' matches the conversation SID pattern."
        )
    check_attributes(fields.attributes, CONVERSATION_LIMIT)
    if fields.messaging_service_sid is not None and not sids.is_sid(
        fields.messaging_service_sid, sids.MESSAGING_SERVICE
    ):
        raise InvalidMessagingServiceSid(
            f"MessagingServiceSid '{fields.messaging_service_sid}' is not a Messaging Service SID."
        )
    if fields.timer_inactive:
        inactive_timer(fields.timer_inactive)
    if fields.timer_closed:
        closed_timer(fields.timer_closed)


def timer_or_none(value: str | None) -> str | None:
    """The timer to store: None for no timer, which an empty value or a zero duration asks for.

    "To remove or disable the default inactive timer, set its value to PT0S. This value
    represents a duration of zero seconds, which effectively disables the timer"
    (support.twilio.com 46619837838235); errors/50380 lists PT0S among valid values.
    Any zero duration (PT0M, P0D) is taken the same way, for either timer.
    """
    if not value or parse_duration(value, utc_now()) == NO_TIMER:
        return None
    return value


def inactive_timer(value: str, name: str = "Timers.Inactive") -> timedelta:
    """The inactive timer `value` (parameter `name`): an ISO 8601 duration of 1 minute or
    more, or zero for no timer."""
    duration = parse_duration(value, utc_now())
    if duration is None:
        raise InactiveTimerInvalid(f"{name} '{shown(value)}' is not an ISO 8601 duration.")
    if duration < MIN_INACTIVE_TIMER and duration != NO_TIMER:
        raise InactiveTimerTooShort(f"{name} '{shown(value)}' is shorter than 1 minute.")
    if duration > MAX_TIMER:
        # errors/50379 is Twilio's code for a value it does not take as this timer.
        raise InactiveTimerInvalid(
            f"{name} '{shown(value)}' is longer than chinwag's maximum of {MAX_TIMER.days} days."
        )
    return duration


def closed_timer(value: str, name: str = "Timers.Closed") -> timedelta:
    """The closed timer `value` (parameter `name`): an ISO 8601 duration of 10 minutes or
    more, or zero for no timer."""
    duration = parse_duration(value, utc_now())
    if duration is None:
        raise ClosedTimerInvalid(f"{name} '{shown(value)}' is not an ISO 8601 duration.")
    if duration < MIN_CLOSED_TIMER and duration != NO_TIMER:
        raise ClosedTimerTooShort(f"{name} '{shown(value)}' is shorter than 10 minutes.")
    if duration > MAX_TIMER:
        # errors/50380 is Twilio's code for a value it does not take as this timer.
        raise ClosedTimerInvalid(
            f"{name} '{shown(value)}' is longer than chinwag's maximum of {MAX_TIMER.days} days."
        )
    return duration


def _schedule_timers(conversation: Conversation, now: datetime) -> Conversation:
    """When the state timers will fire, counted from now (`fire_due_timers` fires them)."""
    date_inactive = None
    date_closed = None
    if conversation.state != State.CLOSED:
        if conversation.timer_inactive and conversation.state == State.ACTIVE:
            date_inactive = now + inactive_timer(conversation.timer_inactive)
        if conversation.timer_closed:
            date_closed = now + closed_timer(conversation.timer_closed)
    return replace(conversation, date_inactive=date_inactive, date_closed=date_closed)
