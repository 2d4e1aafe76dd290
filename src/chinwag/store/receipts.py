"""Delivery receipts: one row per (message, participant), holding the latest status."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, or_, select, type_coerce, update

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import UtcDateTime, delivery_receipts
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Receipt:
    sid: str
    account_sid: str
    service_sid: str
    conversation_sid: str
    message_sid: str
    participant_sid: str
    channel_message_sid: str | None
    status: str
    error_code: int
    date_created: datetime
    date_updated: datetime | None
    # When the simulated carrier reports `delivered`; None: no report is due.
    date_due: datetime | None = None


_RECEIPTS = RecordMapper(
    delivery_receipts,
    Receipt,
    fixed={
        "sid",
        "account_sid",
        "service_sid",
        "conversation_sid",
        "message_sid",
        "participant_sid",
        "date_created",
    },
)
_BY_SID = select(*_RECEIPTS.columns).where(
    delivery_receipts.c.message_sid == bindparam("message_sid"),
    delivery_receipts.c.sid == bindparam("sid"),
)
_BY_PARTICIPANT = select(*_RECEIPTS.columns).where(
    delivery_receipts.c.message_sid == bindparam("message_sid"),
    delivery_receipts.c.participant_sid == bindparam("participant_sid"),
)
_LIST = select(*_RECEIPTS.columns).where(
    delivery_receipts.c.message_sid == bindparam("message_sid")
)
_DUE = (
    select(*_RECEIPTS.columns)
    .where(delivery_receipts.c.date_due <= bindparam("now"))
    .order_by(delivery_receipts.c.date_due)
    .limit(bindparam("limit"))
)
# Taken only while still due: of several servers passing at once, one makes the move.
_TAKE_DUE = (
    update(delivery_receipts)
    .where(delivery_receipts.c.sid == bindparam("match_sid"))
    .where(delivery_receipts.c.date_due.is_not(None))
    .values(date_due=None)
)
_BY_ACCOUNT = select(*_RECEIPTS.columns).where(
    delivery_receipts.c.account_sid == bindparam("account_sid"),
    delivery_receipts.c.sid == bindparam("sid"),
)
# Expanding: one statement for a whole page of messages, however many it holds.
_STATUSES = select(delivery_receipts.c.message_sid, delivery_receipts.c.status).where(
    delivery_receipts.c.message_sid.in_(bindparam("message_sids", expanding=True))
)


def insert_receipt(conn: Connection, receipt: Receipt) -> None:
    _RECEIPTS.insert(conn, receipt)


def save_receipt(conn: Connection, receipt: Receipt) -> None:
    _RECEIPTS.save(conn, receipt)


def get_receipt(conn: Connection, message_sid: str, sid: str) -> Receipt | None:
    row = conn.execute(_BY_SID, {"message_sid": message_sid, "sid": sid}).first()
    return _RECEIPTS.from_row(row) if row else None


def get_for_participant(conn: Connection, message_sid: str, participant_sid: str) -> Receipt | None:
    params = {"message_sid": message_sid, "participant_sid": participant_sid}
    row = conn.execute(_BY_PARTICIPANT, params).first()
    return _RECEIPTS.from_row(row) if row else None


def list_receipts(conn: Connection, message_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(message_sid=message_sid)
    return fetch_page(conn, query, delivery_receipts.c.id, request, _RECEIPTS.from_row)


def statuses_of(conn: Connection, message_sids: Sequence[str]) -> dict[str, list[str]]:
    """The receipt statuses of each of `message_sids` that has any, in one query."""
    found: dict[str, list[str]] = {}
    if not message_sids:
        return found
    for message_sid, status in conn.execute(_STATUSES, {"message_sids": list(message_sids)}):
        found.setdefault(message_sid, []).append(status)
    return found


_CHANGED = func.coalesce(delivery_receipts.c.date_updated, delivery_receipts.c.date_created)
_LATEST = (
    select(delivery_receipts.c.message_sid, type_coerce(func.max(_CHANGED), UtcDateTime()))
    .where(delivery_receipts.c.message_sid.in_(bindparam("message_sids", expanding=True)))
    .group_by(delivery_receipts.c.message_sid)
)
_CHANGED_AFTER = (
    select(delivery_receipts.c.message_sid)
    .where(
        delivery_receipts.c.conversation_sid == bindparam("conversation_sid"),
        or_(
            delivery_receipts.c.date_created > bindparam("after"),
            delivery_receipts.c.date_updated > bindparam("after"),
        ),
    )
    .distinct()
)


def latest_changes(conn: Connection, message_sids: Sequence[str]) -> dict[str, datetime]:
    """When each of these messages' receipts last changed (those that have any), in one query."""
    if not message_sids:
        return {}
    rows = conn.execute(_LATEST, {"message_sids": list(message_sids)})
    return {sid: when for sid, when in rows}


def messages_changed_after(conn: Connection, conversation_sid: str, after: datetime) -> list[str]:
    """The SIDs of the conversation's messages whose receipts changed after `after`."""
    rows = conn.execute(_CHANGED_AFTER, {"conversation_sid": conversation_sid, "after": after})
    return sorted(row[0] for row in rows)


def receipts_due(conn: Connection, now: datetime, limit: int) -> list[Receipt]:
    """Receipts whose carrier report has come, across all accounts, earliest first."""
    return [_RECEIPTS.from_row(row) for row in conn.execute(_DUE, {"now": now, "limit": limit})]


def take_due(conn: Connection, sid: str) -> bool:
    """Clear the receipt's due time; False if another pass took it first."""
    return conn.execute(_TAKE_DUE, {"match_sid": sid}).rowcount == 1


def get_in_account(conn: Connection, account_sid: str, sid: str) -> Receipt | None:
    row = conn.execute(_BY_ACCOUNT, {"account_sid": account_sid, "sid": sid}).first()
    return _RECEIPTS.from_row(row) if row else None
