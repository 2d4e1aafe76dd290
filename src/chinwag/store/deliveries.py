"""Reading, redelivering and pruning outbox rows and following the attempt log: the
queries behind the delivery API and CLI.

The reading and redelivering functions take the owning account's SID; None means
every account, which only the operator's CLI uses.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, case, delete, func, select, update

from chinwag.store.database import mark_deliveries_queued
from chinwag.store.outbox import ATTEMPTS, Attempt, DeliveryStatus
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import deliveries, delivery_attempts
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class DeliveryRecord:
    """One outbox row as the API shows it; `token` (the idempotency token) is its public id."""

    id: int
    token: str
    account_sid: str
    service_sid: str | None  # None: a sink's test event
    conversation_sid: str | None
    webhook_sid: str | None  # a sink's SID for target "sink"
    target: str
    event_type: str
    url: str | None
    method: str
    params: list[tuple[str, str]]
    body: str | None  # a sink's CloudEvents (JSON), sent instead of `params`
    status: str
    attempts: int
    next_attempt_at: datetime | None
    response_status: int | None
    error: str | None
    date_created: datetime
    date_updated: datetime
    order_key: str | None  # set when sent in order (store/outbox.order_key)
    waiting_for: str | None  # a waiting delivery's: the token of its order's head


@dataclass(frozen=True)
class DeliveryFilter:
    account_sid: str | None  # None: every account (the operator's CLI)
    conversation_sids: tuple[str, ...] = ()
    webhook_sids: tuple[str, ...] = ()
    event_type: str | None = None
    status: DeliveryStatus | None = None
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # inclusive


_head = deliveries.alias("head")
# What a waiting delivery waits for: the pending delivery of its order (being sent, or
# to be retried). A seek in the order index, made only for waiting rows.
_WAITING_FOR = (
    select(_head.c.token)
    .where(
        deliveries.c.status == DeliveryStatus.WAITING,
        _head.c.order_key == deliveries.c.order_key,
        _head.c.status == DeliveryStatus.PENDING,
    )
    .scalar_subquery()
)
_RECORDS = RecordMapper(deliveries, DeliveryRecord, columns={"waiting_for": _WAITING_FOR})


def list_deliveries(conn: Connection, where: DeliveryFilter, request: PageRequest) -> Page:
    """One page of the matching deliveries, newest first."""
    conditions: list[ColumnElement[bool]] = []
    if where.account_sid is not None:
        conditions.append(deliveries.c.account_sid == where.account_sid)
    if where.conversation_sids:
        conditions.append(deliveries.c.conversation_sid.in_(where.conversation_sids))
    if where.webhook_sids:
        conditions.append(deliveries.c.webhook_sid.in_(where.webhook_sids))
    if where.event_type is not None:
        conditions.append(deliveries.c.event_type == where.event_type)
    if where.status is not None:
        conditions.append(deliveries.c.status == where.status.value)
    if where.created_after is not None:
        conditions.append(deliveries.c.date_created >= where.created_after)
    if where.created_before is not None:
        conditions.append(deliveries.c.date_created <= where.created_before)
    query = select(*_RECORDS.columns).where(*conditions)
    return fetch_page(conn, query, deliveries.c.id, request, _RECORDS.from_row, descending=True)


_BY_TOKEN = select(*_RECORDS.columns).where(deliveries.c.token == bindparam("token"))
_BY_TOKEN_IN_ACCOUNT = _BY_TOKEN.where(deliveries.c.account_sid == bindparam("account_sid"))
_ATTEMPTS = (
    select(*ATTEMPTS.columns)
    .where(delivery_attempts.c.delivery_id == bindparam("delivery_id"))
    .order_by(delivery_attempts.c.attempt, delivery_attempts.c.id)
)


def find_delivery(conn: Connection, account_sid: str | None, token: str) -> DeliveryRecord | None:
    if account_sid is None:
        row = conn.execute(_BY_TOKEN, {"token": token}).first()
    else:
        params = {"token": token, "account_sid": account_sid}
        row = conn.execute(_BY_TOKEN_IN_ACCOUNT, params).first()
    return _RECORDS.from_row(row) if row is not None else None


def list_attempts(conn: Connection, delivery_id: int) -> list[Attempt]:
    """The attempt log of one delivery, oldest first."""
    rows = conn.execute(_ATTEMPTS, {"delivery_id": delivery_id})
    return [ATTEMPTS.from_row(row) for row in rows]


def find_with_attempts(
    conn: Connection, account_sid: str | None, token: str
) -> tuple[DeliveryRecord, list[Attempt]] | None:
    found = find_delivery(conn, account_sid, token)
    return None if found is None else (found, list_attempts(conn, found.id))


# Back to pending, due now. `attempts` and `token` stay: RetryCount keeps counting and
# the receiver can still recognise a repeat by I-Twilio-Idempotency-Token. A pending
# delivery keeps its place in its order; any other leaves it (docs/events.md, "Ordered
# delivery"): an old event sent again holds nothing back, and a waiting one is sent now.
_REQUEUE = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("match_id"))
    .values(
        status=DeliveryStatus.PENDING,
        next_attempt_at=bindparam("now"),
        date_updated=bindparam("now"),
        order_key=case(
            (deliveries.c.status == DeliveryStatus.PENDING, deliveries.c.order_key), else_=None
        ),
    )
)


def redeliver(
    conn: Connection, account_sid: str | None, token: str, now: datetime
) -> DeliveryRecord | None:
    """Queue one delivery again, whatever its status; None when there is no such delivery."""
    found = find_delivery(conn, account_sid, token)
    if found is None:
        return None
    conn.execute(_REQUEUE, {"match_id": found.id, "now": now})
    mark_deliveries_queued(conn)
    return find_delivery(conn, account_sid, token)


def redeliver_failed(
    conn: Connection,
    account_sid: str,
    now: datetime,
    *,
    webhook_sid: str | None = None,
    conversation_sid: str | None = None,
) -> int:
    """Queue again the account's `failed` deliveries of a webhook and/or a conversation."""
    if webhook_sid is None and conversation_sid is None:
        raise ValueError("redeliver_failed needs a webhook_sid or a conversation_sid")
    conditions = [
        deliveries.c.account_sid == account_sid,
        deliveries.c.status == DeliveryStatus.FAILED,
    ]
    if webhook_sid is not None:
        conditions.append(deliveries.c.webhook_sid == webhook_sid)
    if conversation_sid is not None:
        conditions.append(deliveries.c.conversation_sid == conversation_sid)
    statement = (
        update(deliveries)
        .where(*conditions)
        # Out of their order, as `redeliver` sends a finished delivery.
        .values(
            status=DeliveryStatus.PENDING, next_attempt_at=now, date_updated=now, order_key=None
        )
    )
    count: int = conn.execute(statement).rowcount
    if count:
        mark_deliveries_queued(conn)
    return count


def _finished_before(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    # Finished is every status but pending and waiting (delivered, failed, undeliverable).
    # Said as `!=`, which no index serves, so SQLite looks rows up by id instead of
    # walking the status index past every finished delivery (docs/benchmarks.md).
    return (
        deliveries.c.status != DeliveryStatus.PENDING,
        deliveries.c.status != DeliveryStatus.WAITING,
        deliveries.c.date_updated < cutoff,
    )


def finished_before(conn: Connection, cutoff: datetime, limit: int) -> list[int]:
    """Ids of up to `limit` finished deliveries whose last change was before `cutoff`."""
    # No ORDER BY: the scan stops after `limit` rows instead of sorting every match.
    query = select(deliveries.c.id).where(*_finished_before(cutoff)).limit(limit)
    return list(conn.execute(query).scalars())


def delete_finished(conn: Connection, ids: list[int], cutoff: datetime) -> tuple[int, int]:
    """Delete those of `ids` still finished before `cutoff` (one may have been redelivered
    since it was found), attempts first; returns (deliveries, attempts) removed."""
    doomed = (deliveries.c.id.in_(ids), *_finished_before(cutoff))
    attempts = conn.execute(
        delete(delivery_attempts).where(
            delivery_attempts.c.delivery_id.in_(select(deliveries.c.id).where(*doomed))
        )
    ).rowcount
    removed = conn.execute(delete(deliveries).where(*doomed)).rowcount
    return removed, attempts


@dataclass(frozen=True)
class LoggedAttempt:
    """An attempt-log row with what `chinwag deliveries tail` shows of its delivery."""

    id: int
    started_at: datetime
    attempt: int  # 1 for the first
    url: str
    response_status: int | None
    error: str | None
    latency_ms: float
    token: str
    event_type: str
    delivery_status: str  # the delivery's status now
    delivery_attempts: int  # attempts the delivery has had by now


_LOGGED_ATTEMPTS = RecordMapper(
    delivery_attempts,
    LoggedAttempt,
    columns={
        "token": deliveries.c.token,
        "event_type": deliveries.c.event_type,
        "delivery_status": deliveries.c.status,
        "delivery_attempts": deliveries.c.attempts,
    },
)
_LOGGED = (
    select(*_LOGGED_ATTEMPTS.columns)
    .join(deliveries, deliveries.c.id == delivery_attempts.c.delivery_id)
    .order_by(delivery_attempts.c.id)
)


def last_attempt_id(conn: Connection) -> int:
    """The id of the newest attempt (0 when there is none): where "from now" starts."""
    newest: int | None = conn.execute(select(func.max(delivery_attempts.c.id))).scalar()
    return newest or 0


def attempts_after(
    conn: Connection,
    after_id: int,
    limit: int,
    *,
    since: datetime | None = None,
    conversation_sids: tuple[str, ...] = (),
    webhook_sids: tuple[str, ...] = (),
) -> list[LoggedAttempt]:
    """Up to `limit` attempts logged after `after_id`, oldest first, of every account."""
    query = _LOGGED.where(delivery_attempts.c.id > after_id).limit(limit)
    if since is not None:
        query = query.where(delivery_attempts.c.started_at >= since)
    if conversation_sids:
        query = query.where(deliveries.c.conversation_sid.in_(conversation_sids))
    if webhook_sids:
        query = query.where(deliveries.c.webhook_sid.in_(webhook_sids))
    return [_LOGGED_ATTEMPTS.from_row(row) for row in conn.execute(query)]


QueueFigures = tuple[dict[str, int], int, datetime | None]


def queue_figures(conn: Connection, now: datetime) -> QueueFigures:
    """Deliveries by status, how many are due now, and when the oldest due one came due."""
    counts = conn.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status))
    pending = deliveries.c.status == DeliveryStatus.PENDING
    due_filter = (pending, deliveries.c.next_attempt_at <= now)
    due, oldest = conn.execute(
        select(func.count(), func.min(deliveries.c.next_attempt_at)).where(*due_filter)
    ).one()
    if isinstance(oldest, str):  # SQLite hands back min() of a datetime column as text
        oldest = datetime.fromisoformat(oldest).replace(tzinfo=now.tzinfo)
    return {status: count for status, count in counts}, due, oldest
