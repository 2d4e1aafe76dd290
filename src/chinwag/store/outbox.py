"""The delivery outbox: rows written with the change that caused them, claimed by the sender.

An ordered webhook's or sink's deliveries (domain/ordering.py) carry an `order_key`: of
the unfinished rows of one key, only the oldest (its head) is pending, the others wait,
so claims, leases and retries never see them. The insert decides which (`_statuses`);
the write that records a head's end starts the next (`record_outcomes`).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Select, bindparam, exists, func, insert, or_, select, update

from chinwag.store import compiled
from chinwag.store.bound_lists import in_list
from chinwag.store.database import mark_deliveries_queued
from chinwag.store.records import RecordMapper
from chinwag.store.sinks import Sink
from chinwag.store.tables import accounts, deliveries, delivery_attempts, webhook_rules
from chinwag.store.webhooks import ScopedWebhook

SINK_TARGET = "sink"  # an Event Streams sink: a JSON body of CloudEvents (domain/sink_events.py)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at `next_attempt_at`: the first attempt, or a retry
    WAITING = "waiting"  # ordered: queued behind its order's head, not yet due
    DELIVERED = "delivered"
    FAILED = "failed"  # no more attempts (dead-lettered)
    UNDELIVERABLE = "undeliverable"  # no URL to send to (e.g. studio without --studio-url)


@dataclass(frozen=True)
class NewDelivery:
    token: str
    account_sid: str
    service_sid: str | None  # None: a sink's test event
    conversation_sid: str | None
    webhook_sid: str | None
    target: str
    event_type: str
    url: str | None
    flow_sid: str | None
    method: str
    params: list[tuple[str, str]]
    date_created: datetime
    body: str | None = None  # a sink's CloudEvents, sent as JSON instead of `params`
    order_key: str | None = None  # ordered: sent after the earlier deliveries of this key

    @classmethod
    def for_scoped(
        cls, webhook: ScopedWebhook, event_type: str, params: list[tuple[str, str]], now: datetime
    ) -> "NewDelivery":
        return cls(
            token=str(uuid.uuid4()),
            account_sid=webhook.account_sid,
            service_sid=webhook.service_sid,
            conversation_sid=webhook.conversation_sid,
            webhook_sid=webhook.sid,
            target=webhook.target,
            event_type=event_type,
            url=webhook.url,
            flow_sid=webhook.flow_sid,
            method=(webhook.method or "post").upper(),
            params=params,
            date_created=now,
            order_key=order_key(webhook.sid, webhook.conversation_sid, webhook.ordered),
        )

    @classmethod
    def for_service(
        cls,
        *,
        account_sid: str,
        service_sid: str,
        conversation_sid: str | None,  # None for events outside a conversation (users)
        url: str,
        method: str,
        event_type: str,
        params: list[tuple[str, str]],
        now: datetime,
        ordered: bool = False,
    ) -> "NewDelivery":
        """A delivery to the service-level post-event webhook (the service's or the global)."""
        return cls(
            token=str(uuid.uuid4()),
            account_sid=account_sid,
            service_sid=service_sid,
            conversation_sid=conversation_sid,
            webhook_sid=None,
            target="webhook",
            event_type=event_type,
            url=url,
            flow_sid=None,
            method=method,
            params=params,
            date_created=now,
            # One order per conversation, whichever configuration serves its service now.
            order_key=order_key(SERVICE_LEVEL, conversation_sid, ordered),
        )

    @classmethod
    def for_sink(
        cls,
        sink: Sink,
        service_sid: str | None,
        conversation_sid: str | None,
        event_type: str,
        body: str,
        now: datetime,
    ) -> "NewDelivery":
        """A delivery of CloudEvents to an Event Streams sink; its SID stands where a
        webhook's does, so that its deliveries queue and are redelivered as one webhook's."""
        return cls(
            token=str(uuid.uuid4()),
            account_sid=sink.account_sid,
            service_sid=service_sid,
            conversation_sid=conversation_sid,
            webhook_sid=sink.sid,
            target=SINK_TARGET,
            event_type=event_type,
            url=sink.destination,
            flow_sid=None,
            method=sink.method,
            params=[],
            date_created=now,
            body=body,
            order_key=order_key(sink.sid, conversation_sid, sink.ordered),
        )


SERVICE_LEVEL = "service"  # stands for the webhook in a service-level delivery's order_key


def order_key(webhook: str, conversation_sid: str | None, ordered: bool) -> str | None:
    """What an ordered webhook's (or sink's) delivery is sent in order with: the others of
    its conversation. None when not ordered, or outside any conversation (user events,
    a sink's test event), which has no order to keep."""
    if not ordered or conversation_sid is None:
        return None
    return f"{webhook}/{conversation_sid}"


@dataclass(frozen=True)
class Delivery:
    """A claimed outbox row, with what the sender needs to sign it."""

    id: int
    token: str
    auth_token: str
    webhook_sid: str | None
    target: str
    event_type: str
    flow_sid: str | None
    url: str | None
    method: str
    params: list[tuple[str, str]]
    attempts: int  # made so far
    created: datetime
    body: str | None = None  # a sink's CloudEvents (JSON), else None
    account_sid: str = ""
    # Whether its account has a Webhook Rule, which may pick a Setting for its URL when
    # it is sent (delivery/url_settings.py); without one nothing more is read.
    uses_webhook_rules: bool = False


_NEW_DELIVERIES = RecordMapper(deliveries, NewDelivery)
_INSERT = insert(deliveries)


def insert_deliveries(conn: Connection, rows: list[NewDelivery]) -> None:
    if not rows:
        return
    mark_deliveries_queued(conn)
    compiled.execute_many(  # every message's deliveries: compiled (store/compiled.py)
        conn,
        _INSERT,
        [
            {
                **_NEW_DELIVERIES.insert_values(row),
                "status": status,
                "attempts": 0,
                # A waiting row is due once its turn comes (`_START_NEXT`).
                "next_attempt_at": row.date_created if status == DeliveryStatus.PENDING else None,
                "date_created": row.date_created,
                "date_updated": row.date_created,
            }
            for row, status in zip(rows, _statuses(conn, rows), strict=True)
        ],
    )


# The newest unfinished delivery of an order, locked. On PostgreSQL a writer that finds
# one waits for (READ COMMITTED) or fails on (SERIALIZABLE: run again) a worker ending
# or starting it at the same time, so a row queued behind it is never left waiting with
# nothing ahead; two writers that both find none are kept apart by the unique index on
# the head (tables.py): one fails and is run again.
_LAST_UNFINISHED = (
    select(deliveries.c.id)
    .where(
        deliveries.c.order_key == bindparam("order_key"),
        or_(
            deliveries.c.status == DeliveryStatus.PENDING,
            deliveries.c.status == DeliveryStatus.WAITING,
        ),
    )
    .order_by(deliveries.c.id.desc())
    .limit(1)
    .with_for_update()
)


def _statuses(conn: Connection, rows: list[NewDelivery]) -> list[DeliveryStatus]:
    """Pending, or waiting for a row that is ordered and has an unfinished delivery of its
    order ahead of it: queued before, or earlier in `rows`. Unordered rows read nothing."""
    statuses: list[DeliveryStatus] = []
    started: set[str] = set()  # orders with a row ahead
    for row in rows:
        key = row.order_key
        if key is None:
            statuses.append(DeliveryStatus.PENDING)
            continue
        ahead = key in started or compiled.first(conn, _LAST_UNFINISHED, {"order_key": key})
        statuses.append(DeliveryStatus.WAITING if ahead else DeliveryStatus.PENDING)
        started.add(key)
    return statuses


_REWRITE = (
    update(deliveries)
    .where(deliveries.c.token == bindparam("match_token"))
    .values(body=bindparam("body"), event_type=bindparam("event_type"))
)


def rewrite_batch(conn: Connection, token: str, body: str, event_type: str) -> None:
    """Give a delivery queued earlier in this transaction the grown batch it now carries."""
    conn.execute(_REWRITE, {"match_token": token, "body": body, "event_type": event_type})


CLAIMED = RecordMapper(
    deliveries,
    Delivery,
    columns={
        "auth_token": accounts.c.auth_token,
        "created": "date_created",
        "uses_webhook_rules": exists().where(
            webhook_rules.c.account_sid == deliveries.c.account_sid
        ),
    },
)
# Due by now and held by no live worker's lease; CLAIMABLE adds the pending status.
DUE_AND_FREE = (
    deliveries.c.next_attempt_at <= bindparam("now"),
    or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= bindparam("now")),
)
CLAIMABLE = (deliveries.c.status == DeliveryStatus.PENDING, *DUE_AND_FREE)
DUE = (
    select(*CLAIMED.columns)
    .join(accounts, accounts.c.sid == deliveries.c.account_sid)
    .where(*CLAIMABLE)
    # Oldest due first, in the (status, next_attempt_at) index's own order, so a
    # claim reads `limit` rows instead of sorting the whole backlog as ORDER BY id
    # did (docs/benchmarks.md). Rows due at the same time (one transaction's, e.g.
    # a ReplayAfter replay) keep their outbox order.
    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    .limit(bindparam("limit"))
    # PostgreSQL: concurrent claimers pass over each other's rows instead of waiting
    # (SQLite ignores this; its write transactions never overlap).
    .with_for_update(skip_locked=True, of=deliveries)
)
_LEASE = (
    update(deliveries).where(in_list(deliveries.c.id, "ids")).values(lease_until=bindparam("until"))
)
DUE_FOR_WEBHOOK = DUE.where(deliveries.c.webhook_sid == bindparam("webhook_sid"))


def claim_for_webhooks(
    conn: Connection, now: datetime, lease: timedelta, rows_per_webhook: dict[str, int]
) -> list[Delivery]:
    """Lease the oldest due deliveries of these webhooks, at most `rows_per_webhook[sid]`
    each, in the order and with the lease `full_claim.claim_due` gives.

    For a worker that knows which webhooks it has just finished sending to: their
    next rows are found through the webhook's index, where `full_claim.claim_due` reads a
    window of the due index and then seeks every webhook.
    """
    claimed: list[Delivery] = []
    for webhook_sid, most in rows_per_webhook.items():
        params = {"now": now, "limit": most, "webhook_sid": webhook_sid}
        claimed += claimed_rows(conn, DUE_FOR_WEBHOOK, params)  # the worker's usual claim
    return lease_claimed(conn, claimed, now + lease)


def claimed_rows(
    conn: Connection, statement: Select[Any], params: dict[str, Any]
) -> list[Delivery]:
    """The deliveries a claiming select (`DUE` and its narrower forms) returns."""
    return [CLAIMED.from_row(row) for row in compiled.rows(conn, statement, params)]


def lease_claimed(conn: Connection, claimed: list[Delivery], until: datetime) -> list[Delivery]:
    """Lease `claimed` until `until`; returns them."""
    if claimed:
        compiled.execute(conn, _LEASE, {"ids": [d.id for d in claimed], "until": until})
    return claimed


def release(conn: Connection, ids: list[int]) -> None:
    """Give claimed deliveries back unsent: due again for any worker's next claim."""
    compiled.execute(conn, _LEASE, {"ids": ids, "until": None})


def hand_over(conn: Connection, ids: list[int]) -> None:
    """`release`, and wake every worker as new rows do: a stopping worker's deliveries
    are for the others, at once."""
    mark_deliveries_queued(conn)
    release(conn, ids)


_RENEW = (
    update(deliveries)
    .where(
        in_list(deliveries.c.id, "ids"),
        # Only rows still leased: an outcome or a release committed meanwhile cleared it.
        # Only pending rows are ever leased (every outcome clears the lease), so this
        # says it all; a `status` test here made SQLite walk the status index instead
        # of looking the ids up.
        deliveries.c.lease_until.is_not(None),
    )
    .values(lease_until=bindparam("until"))
)


def renew_leases(conn: Connection, ids: list[int], until: datetime) -> None:
    """Extend the leases of deliveries a live worker still holds to `until`."""
    compiled.execute(conn, _RENEW, {"ids": ids, "until": until})


_NEXT_UNLEASED = select(func.min(deliveries.c.next_attempt_at)).where(
    deliveries.c.status == DeliveryStatus.PENDING,
    or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= bindparam("now")),
)
_NEXT_LEASE_END = select(func.min(deliveries.c.lease_until)).where(
    deliveries.c.status == DeliveryStatus.PENDING, deliveries.c.lease_until > bindparam("now")
)


def next_due(conn: Connection, now: datetime) -> datetime | None:
    """The earliest time a pending delivery may be claimable: its next attempt, or the end
    of a lease another worker holds on it (a row comes due no earlier than its lease
    ends); None when nothing is pending. Read by an idle worker, to sleep until then."""
    params = {"now": now}
    times = [conn.execute(query, params).scalar() for query in (_NEXT_UNLEASED, _NEXT_LEASE_END)]
    found = [time for time in times if time is not None]
    return min(found) if found else None


_RECORD = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("match_id"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        next_attempt_at=bindparam("next_attempt_at"),
        lease_until=None,
        response_status=bindparam("response_status"),
        error=bindparam("error"),
        date_updated=bindparam("now"),
    )
)


@dataclass(frozen=True)
class Attempt:
    """One HTTP request made for a delivery, as the attempt log keeps it."""

    delivery_id: int
    attempt: int  # 1 for the first
    started_at: datetime
    url: str
    method: str
    response_status: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None


@dataclass(frozen=True)
class Outcome:
    """What became of a delivery after an attempt (or after finding it cannot be sent)."""

    delivery_id: int
    status: DeliveryStatus  # PENDING again when a retry is due at `next_attempt_at`
    attempts: int  # made so far, this one included
    next_attempt_at: datetime | None
    response_status: int | None
    error: str | None
    attempt: Attempt | None  # None when nothing was sent


ATTEMPTS = RecordMapper(delivery_attempts, Attempt)  # the attempt log's rows, read in deliveries.py


# Locks the rows about to be recorded, in one order for every worker; on PostgreSQL
# (READ COMMITTED) a row deleted meanwhile is waited for and then left out.
_STILL_QUEUED = (
    select(deliveries.c.id, deliveries.c.order_key)
    .where(in_list(deliveries.c.id, "ids"))
    .order_by(deliveries.c.id)
    .with_for_update()
)
# An order's head ended: its oldest waiting delivery is the head now, due at once.
_waiting = deliveries.alias("waiting")
_START_NEXT = (
    update(deliveries)
    .where(
        deliveries.c.id
        == select(func.min(_waiting.c.id))
        .where(
            _waiting.c.order_key == bindparam("ended_order"),
            _waiting.c.status == DeliveryStatus.WAITING,
        )
        .scalar_subquery(),
        deliveries.c.status == DeliveryStatus.WAITING,
    )
    .values(
        status=DeliveryStatus.PENDING,
        next_attempt_at=bindparam("now"),
        date_updated=bindparam("now"),
    )
)


def record_outcomes(conn: Connection, outcomes: list[Outcome], now: datetime) -> None:
    """One batch update and one batch insert for many attempts (a round trip per row
    would cap throughput).

    A delivery deleted while it was being sent (its account reset, chinwag's
    /chinwag/v1/Reset) has nothing left to record: its outcome is dropped, where its
    attempt's foreign key would fail the whole batch.
    """
    if not outcomes:
        return
    ids = [o.delivery_id for o in outcomes]
    still_queued = dict(compiled.rows(conn, _STILL_QUEUED, {"ids": ids}))  # id -> order_key
    outcomes = [o for o in outcomes if o.delivery_id in still_queued]
    if not outcomes:
        return
    compiled.execute_many(  # every delivery's outcome: compiled (store/compiled.py)
        conn,
        _RECORD,
        [
            {
                "match_id": o.delivery_id,
                "status": o.status,
                "attempts": o.attempts,
                "next_attempt_at": o.next_attempt_at,
                "response_status": o.response_status,
                "error": o.error,
                "now": now,
            }
            for o in outcomes
        ],
    )
    ATTEMPTS.insert_all(conn, [o.attempt for o in outcomes if o.attempt is not None])
    # Delivered or dead: an ordered delivery's successor may go. A retry holds it back.
    ended = [
        key
        for o in outcomes
        if o.status != DeliveryStatus.PENDING and (key := still_queued[o.delivery_id])
    ]
    if ended:
        mark_deliveries_queued(conn)  # every worker may claim it now
        compiled.execute_many(conn, _START_NEXT, [{"ended_order": k, "now": now} for k in ended])
