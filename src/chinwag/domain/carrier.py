"""The simulated carrier: what SMS and WhatsApp recipients of a message receive, and their
delivery receipts moving from `sent` to `delivered` (or failing) as a carrier reports them.

A message added to a conversation goes to each of its SMS/WhatsApp participants but its
author (twilio.com/docs/conversations/overview: "participants ... on SMS or WhatsApp
receive the messages"); each gets one outbound record and one Delivery Receipt, written
in the message's own transaction. Recipients at Twilio's magic test numbers
(twilio.com/docs/iam/test-credentials, "Test SMS messages") fail with Twilio's codes.
docs/channels.md has the rules with their sources.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from chinwag.domain.addresses import binding_type
from chinwag.domain.receipts import CHANNEL_REPORT, DeliveryStatus, ReceiptFields, record_receipt
from chinwag.store import conversations as conversation_store
from chinwag.store import messages as message_store
from chinwag.store import outbound as store
from chinwag.store import participants as participant_store
from chinwag.store import receipts as receipt_store
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.outbound import OutboundMessage
from chinwag.store.participants import Participant
from chinwag.store.receipts import Receipt
from chinwag.twilio import sids
from chinwag.twilio.errors import ResourceNotFound

DEFAULT_RECEIPT_DELAY = timedelta(seconds=1)

# Twilio's magic `To` numbers for test SMS (iam/test-credentials): the number, and the
# error code a message to it fails with.
MAGIC_FAILURES: dict[str, int] = {
    "+15005550001": 21211,  # "This phone number is invalid."
    "+15005550002": 21612,  # "Twilio cannot route to this number."
    "+15005550003": 21408,  # "Your account doesn't have the international permissions ..."
    "+15005550004": 21610,  # "This number is blocked for your account."
    "+15005550009": 21614,  # "This number is incapable of receiving SMS messages."
}


@dataclass(frozen=True)
class Carrier:
    """How the simulated carrier behaves: how long after `sent` it reports `delivered`."""

    receipt_delay: timedelta = DEFAULT_RECEIPT_DELAY


DEFAULT_CARRIER = Carrier()


def magic_failure(address: str) -> int | None:
    """The error code of a magic test number (with or without a channel prefix), if it is one."""
    _, _, number = address.rpartition(":")
    return MAGIC_FAILURES.get(number)


def send_to_channels(
    conn: Connection, conversation: Conversation, message: Message, carrier: Carrier
) -> list[OutboundMessage]:
    """Send the new message to each SMS/WhatsApp participant but its author.

    Each gets an outbound record and a receipt: `sent`, with `delivered` due after the
    carrier's delay (at once with no delay), or `failed` at a magic number.
    """
    sent = []
    for participant in participant_store.messaging_participants(conn, conversation.sid):
        if _is_author(participant, message):
            continue
        sent.append(_send(conn, conversation, message, participant, carrier))
    return sent


def _is_author(participant: Participant, message: Message) -> bool:
    return participant.sid == message.participant_sid or (
        participant.messaging_address == message.author
    )


def _send(
    conn: Connection,
    conversation: Conversation,
    message: Message,
    participant: Participant,
    carrier: Carrier,
) -> OutboundMessage:
    address = participant.messaging_address or ""
    prefix = "WA" if binding_type(address) == "whatsapp" else "SM"
    channel_sid = sids.new_sid(prefix)
    failure = magic_failure(address)
    status = DeliveryStatus.SENT if failure is None else DeliveryStatus.FAILED
    fields = ReceiptFields(participant.sid, status.value, failure, channel_sid)
    receipt, _ = record_receipt(conn, conversation, message, fields, CHANNEL_REPORT)
    if failure is None:
        if carrier.receipt_delay <= timedelta(0):
            receipt = _report(conn, conversation, message, receipt, DeliveryStatus.DELIVERED)
        else:
            receipt = replace(receipt, date_due=receipt.date_created + carrier.receipt_delay)
            receipt_store.save_receipt(conn, receipt)
    outbound = OutboundMessage(
        sid=channel_sid,
        account_sid=message.account_sid,
        service_sid=message.service_sid,
        conversation_sid=message.conversation_sid,
        message_sid=message.sid,
        participant_sid=participant.sid,
        receipt_sid=receipt.sid,
        from_address=participant.proxy_address or "",
        to_address=address,
        body=message.body,
        date_created=message.date_created,
    )
    store.insert_outbound(conn, outbound)
    return outbound


def _report(
    conn: Connection,
    conversation: Conversation,
    message: Message,
    receipt: Receipt,
    status: DeliveryStatus,
    error_code: int | None = None,
) -> Receipt:
    fields = ReceiptFields(receipt.participant_sid, status.value, error_code)
    reported, _ = record_receipt(conn, conversation, message, fields, CHANNEL_REPORT)
    return reported


def advance_due_receipts(conn: Connection, now: datetime, limit: int = 100) -> int:
    """Report `delivered` for receipts whose delay has passed; returns how many moved.

    Each move clears the due time first (a conditional update), so with several servers
    passing at once a receipt moves once, and a restart loses none: the time is stored.
    """
    moved = 0
    for receipt in receipt_store.receipts_due(conn, now, limit):
        if not receipt_store.take_due(conn, receipt.sid):
            continue
        found = _message_of(conn, receipt)
        if found is None:
            continue
        conversation, message = found
        _report(conn, conversation, message, receipt, DeliveryStatus.DELIVERED)
        moved += 1
    return moved


def move_receipt(
    conn: Connection, account_sid: str, sid: str, status: str | None, error_code: int | None
) -> Receipt:
    """A carrier report or a WhatsApp read for any receipt of the account, by its SID.

    The report replaces any pending `delivered`; the rules of domain/receipts.py hold.
    """
    found = None
    if sids.is_sid(sid, sids.RECEIPT):
        found = receipt_store.get_in_account(conn, account_sid, sid)
    located = _message_of(conn, found) if found is not None else None
    if found is None or located is None:
        raise ResourceNotFound(f"Delivery receipt {sid} was not found in this account.")
    conversation, message = located
    fields = ReceiptFields(found.participant_sid, status, error_code)
    receipt, _ = record_receipt(conn, conversation, message, fields, CHANNEL_REPORT)
    return receipt


def _message_of(conn: Connection, receipt: Receipt) -> tuple[Conversation, Message] | None:
    conversation = conversation_store.find_conversation(
        conn, receipt.service_sid, receipt.conversation_sid, False
    )
    message = message_store.get_message(conn, receipt.conversation_sid, receipt.message_sid)
    if conversation is None or message is None:
        return None
    return conversation, message
