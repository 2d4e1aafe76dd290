"""Outbound channel messages: what each SMS or WhatsApp recipient of a message received."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import delivery_receipts, outbound_messages
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class OutboundMessage:
    sid: str  # the channel message SID (SM... or WA...), as on the receipt
    account_sid: str
    service_sid: str
    conversation_sid: str
    message_sid: str
    participant_sid: str
    receipt_sid: str
    from_address: str  # the participant's MessagingBinding.ProxyAddress
    to_address: str  # the participant's MessagingBinding.Address
    body: str | None
    date_created: datetime


@dataclass(frozen=True)
class OutboundFilter:
    account_sid: str
    to_address: str | None = None
    conversation_sid: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class OutboundWithStatus:
    """An outbound message and its receipt's status now (None: the receipt is gone)."""

    message: OutboundMessage
    status: str | None
    error_code: int | None


_TABLE = outbound_messages
_OUTBOUND = RecordMapper(_TABLE, OutboundMessage)
# The receipt goes with its message or participant; the record of what was sent stays.
_LIST = select(
    *_OUTBOUND.columns, delivery_receipts.c.status, delivery_receipts.c.error_code
).select_from(_TABLE.outerjoin(delivery_receipts, delivery_receipts.c.sid == _TABLE.c.receipt_sid))


def insert_outbound(conn: Connection, outbound: OutboundMessage) -> None:
    _OUTBOUND.insert(conn, outbound)


def list_outbound(conn: Connection, where: OutboundFilter, request: PageRequest) -> Page:
    """The account's outbound messages, newest first, each with its receipt's status."""
    query = _LIST.where(_TABLE.c.account_sid == where.account_sid)
    if where.to_address is not None:
        query = query.where(_TABLE.c.to_address == where.to_address)
    if where.conversation_sid is not None:
        query = query.where(_TABLE.c.conversation_sid == where.conversation_sid)
    if where.status is not None:
        query = query.where(delivery_receipts.c.status == where.status)

    def record(row: Row[Any]) -> OutboundWithStatus:
        values = tuple(row)  # `id` first (lists page on it), the receipt's status last
        return OutboundWithStatus(OutboundMessage(*values[1:-2]), values[-2], values[-1])

    return fetch_page(conn, query, _TABLE.c.id, request, record, descending=True)
