"""Delivery receipts: a message's status at each non-chat participant, and their summary.

Rules: twilio.com/docs/conversations/delivery-receipts-overview ("messages sent to
non-Chat Participants (i.e. SMS and WhatsApp channels)"), the spec's receipt and
message schemas, and the client SDK's AggregatedDeliveryReceipt; docs/compatibility.md
lists each with its source.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from chinwag.domain.addresses import binding_type
from chinwag.domain.events import Origin
from chinwag.domain.publishing import publish
from chinwag.store import messages as message_store
from chinwag.store import participants as participant_store
from chinwag.store import receipts as store
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.participants import Participant
from chinwag.store.receipts import Receipt
from chinwag.twilio import sids
from chinwag.twilio.dates import to_webhook, utc_now
from chinwag.twilio.errors import (
    InvalidParameter,
    ParticipantNotFound,
    ParticipantSidMissing,
    ResourceNotFound,
)


class DeliveryStatus(StrEnum):
    """The spec's `delivery_status` enum."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


class DeliveryAmount(StrEnum):
    """How many of a message's recipients have a status (the client SDK's DeliveryAmount)."""

    NONE = "none"
    SOME = "some"
    ALL = "all"


# "At any moment ... the message can have zero or more of following delivery statuses"
# (client SDK, AggregatedDeliveryReceipt): a receipt's status implies the earlier ones.
# Read was delivered, delivered and undelivered were accepted by the carrier (sent);
# failed "could not be sent". Twilio's example: total 2, sent all, delivered some, read some.
COUNTS_AS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.SENT: frozenset({DeliveryStatus.SENT}),
    DeliveryStatus.DELIVERED: frozenset({DeliveryStatus.SENT, DeliveryStatus.DELIVERED}),
    DeliveryStatus.READ: frozenset(
        {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ}
    ),
    DeliveryStatus.UNDELIVERED: frozenset({DeliveryStatus.SENT, DeliveryStatus.UNDELIVERED}),
    DeliveryStatus.FAILED: frozenset({DeliveryStatus.FAILED}),
}
# An error code belongs to the statuses that report a failure ("for a `failed` status", spec).
WITH_ERROR = frozenset({DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED})
# The channel's own message SID: "e.g. `SMxx` for SMS, `WAxx` for Whatsapp" (spec).
CHANNEL_PREFIX = {"whatsapp": "WA"}
# A channel's report is not a REST change: it fires onDeliveryUpdated with or without
# X-Twilio-Webhook-Enabled (that header only keeps REST writes from looping back).
CHANNEL_REPORT = Origin(source="API", webhooks_enabled=True)
CHANNEL_MESSAGE_SID = re.compile(r"[a-zA-Z]{2}[0-9a-fA-F]{32}")  # the spec's pattern


@dataclass(frozen=True)
class DeliverySummary:
    """A message's `delivery` object: its recipients, and how many of them have each status."""

    total: int
    sent: DeliveryAmount
    delivered: DeliveryAmount
    read: DeliveryAmount
    failed: DeliveryAmount
    undelivered: DeliveryAmount


@dataclass(frozen=True)
class ReceiptFields:
    """A receipt to record; None means "not given"."""

    participant_sid: str | None = None
    status: str | None = None
    error_code: int | None = None
    channel_message_sid: str | None = None


def summarize(statuses: Sequence[str]) -> DeliverySummary | None:
    """The summary of one message's receipt statuses; None when it has no receipts.

    Each receipt is one recipient (one per participant), so `total` is their number.
    """
    if not statuses:
        return None
    total = len(statuses)
    counts = dict.fromkeys(DeliveryStatus, 0)
    for status in statuses:
        for implied in COUNTS_AS[DeliveryStatus(status)]:
            counts[implied] += 1

    def amount(status: DeliveryStatus) -> DeliveryAmount:
        if counts[status] == 0:
            return DeliveryAmount.NONE
        return DeliveryAmount.ALL if counts[status] == total else DeliveryAmount.SOME

    return DeliverySummary(
        total=total,
        sent=amount(DeliveryStatus.SENT),
        delivered=amount(DeliveryStatus.DELIVERED),
        read=amount(DeliveryStatus.READ),
        failed=amount(DeliveryStatus.FAILED),
        undelivered=amount(DeliveryStatus.UNDELIVERED),
    )


def delivery_of(conn: Connection, message_sids: Sequence[str]) -> dict[str, DeliverySummary]:
    """The summaries of the messages that have receipts, read in one query for them all."""
    found = store.statuses_of(conn, message_sids)
    return {sid: summary for sid, statuses in found.items() if (summary := summarize(statuses))}


def receipts_changed(conn: Connection, message_sids: Sequence[str]) -> dict[str, datetime]:
    """When each of these messages' receipts last changed (those that have any): a client
    SDK's message item changes with them (its `delivery`)."""
    return store.latest_changes(conn, message_sids)


def messages_with_receipts_changed_after(
    conn: Connection, conversation_sid: str, after: datetime, known: set[str]
) -> list[Message]:
    """The conversation's messages, other than those `known`, whose receipts changed after
    `after`: what a client SDK subscribing again missed of their `delivery`."""
    found = []
    for sid in store.messages_changed_after(conn, conversation_sid, after):
        if sid not in known and (message := message_store.get_message(conn, conversation_sid, sid)):
            found.append(message)
    return found


def record_receipt(
    conn: Connection,
    conversation: Conversation,
    message: Message,
    fields: ReceiptFields,
    origin: Origin,
) -> tuple[Receipt, bool]:
    """Create the participant's receipt for the message, or update its status; True if new.

    What a channel calls as a message's status at one recipient changes (the latest
    report wins). It fires onDeliveryUpdated in the same transaction.
    """
    status = _status(fields)
    participant = _recipient(conn, conversation, message, fields.participant_sid)
    error_code = _error_code(status, fields.error_code)
    channel_sid = _channel_message_sid(fields.channel_message_sid)
    now = utc_now()
    existing = store.get_for_participant(conn, message.sid, participant.sid)
    if existing is not None:
        receipt = replace(
            existing,
            status=status.value,
            error_code=error_code,
            channel_message_sid=channel_sid or existing.channel_message_sid,
            date_updated=now,
            date_due=None,  # the latest report wins over a pending simulated `delivered`
        )
        store.save_receipt(conn, receipt)
    else:
        receipt = Receipt(
            sid=sids.new_sid(sids.RECEIPT),
            account_sid=message.account_sid,
            service_sid=message.service_sid,
            conversation_sid=message.conversation_sid,
            message_sid=message.sid,
            participant_sid=participant.sid,
            channel_message_sid=channel_sid or _new_channel_sid(participant),
            status=status.value,
            error_code=error_code,
            date_created=now,
            date_updated=None,  # "`null` if the delivery receipt has not been updated" (spec)
        )
        store.insert_receipt(conn, receipt)
    # Named by its message: a connected SDK re-reads that message's item (its `delivery`).
    params = receipt_params(receipt)
    publish(conn, conversation, "onDeliveryUpdated", params, origin, message_index=message.index)
    return receipt, existing is None


def find_receipt(conn: Connection, message: Message, sid: str, path: str) -> Receipt:
    """The message's receipt by SID; a malformed or unknown one is 404 20404."""
    found = store.get_receipt(conn, message.sid, sid) if sids.is_sid(sid, sids.RECEIPT) else None
    if found is None:
        raise ResourceNotFound.for_path(path)
    return found


def receipt_params(receipt: Receipt) -> list[tuple[str, str]]:
    """onDeliveryUpdated's own parameters (docs/events.md); the envelope adds the SIDs.

    ErrorCode is sent as `0` without an error (the JSON's default); DateUpdated is the
    creation date until the receipt is first updated.
    """
    return [
        ("MessageSid", receipt.message_sid),
        ("DeliveryReceiptSid", receipt.sid),
        ("ChannelMessageSid", receipt.channel_message_sid or ""),
        ("ParticipantSid", receipt.participant_sid),
        ("Status", receipt.status),
        ("ErrorCode", str(receipt.error_code)),
        ("DateCreated", to_webhook(receipt.date_created)),
        ("DateUpdated", to_webhook(receipt.date_updated or receipt.date_created)),
    ]


def _status(fields: ReceiptFields) -> DeliveryStatus:
    if not fields.status:
        raise InvalidParameter("Status is required.")
    try:
        return DeliveryStatus(fields.status)
    except ValueError:
        allowed = ", ".join(status.value for status in DeliveryStatus)
        raise InvalidParameter(f"Status '{fields.status}' is not one of: {allowed}.") from None


def _recipient(
    conn: Connection, conversation: Conversation, message: Message, participant_sid: str | None
) -> Participant:
    """A non-chat participant of the conversation, other than the message's author."""
    if not participant_sid:
        raise ParticipantSidMissing("ParticipantSid is required.")
    participant = None
    if sids.is_sid(participant_sid, sids.PARTICIPANT):
        participant = participant_store.get_participant(conn, conversation.sid, participant_sid)
    if participant is None:
        raise ParticipantNotFound(
            f"Participant '{participant_sid}' was not found in conversation {conversation.sid}."
        )
    if participant.messaging_address is None and participant.projected_address is None:
        raise InvalidParameter(
            f"Participant {participant.sid} is a chat participant: delivery receipts are for "
            "SMS and WhatsApp participants."
        )
    if participant.sid == message.participant_sid:
        raise InvalidParameter(
            f"Participant {participant.sid} is the author of message {message.sid}."
        )
    return participant


def _error_code(status: DeliveryStatus, error_code: int | None) -> int:
    if error_code is None:
        return 0
    if error_code != 0 and status not in WITH_ERROR:
        raise InvalidParameter(
            f"ErrorCode {error_code} is only for a failed or undelivered Status, not '{status}'."
        )
    return error_code


def _channel_message_sid(value: str | None) -> str | None:
    if value is not None and CHANNEL_MESSAGE_SID.fullmatch(value) is None:
        raise InvalidParameter(
            f"ChannelMessageSid '{value}' is not a channel message SID (two letters + 32 hex "
            "digits)."
        )
    return value


def _new_channel_sid(participant: Participant) -> str:
    address = participant.messaging_address or participant.projected_address or ""
    return sids.new_sid(CHANNEL_PREFIX.get(binding_type(address), "SM"))
