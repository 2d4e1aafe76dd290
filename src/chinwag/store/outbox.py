"""The delivery outbox: rows written with the change that caused them, claimed by the sender."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Connection, Select, bindparam, func, insert, or_, select, update

from chinwag.store import compiled
from chinwag.store.bound_lists import in_list
from chinwag.store.database import mark_deliveries_queued
from chinwag.store.records import RecordMapper
from chinwag.store.tables import accounts, deliveries, delivery_attempts
from chinwag.store.webhooks import ScopedWebhook


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at `next_attempt_at`: the first attempt, or a retry
    DELIVERED = "delivered"
    FAILED = "failed"  # no more attempts (dead-lettered)
    UNDELIVERABLE = "undeliverable"  # no URL to send to (e.g. studio without --studio-url)


@dataclass(frozen=True)
class NewDelivery:
    token: str
    account_sid: str
    service_sid: str
    conversation_sid: str | None
    webhook_sid: str | None
    target: str
    event_type: str
    url: str | None
    flow_sid: str | None
    method: str
    params: list[tuple[str, str]]
    date_created: datetime

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
        )


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
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": row.date_created,
                "date_created": row.date_created,
                "date_updated": row.date_created,
            }
            for row in rows
        ],
    )


_CLAIMED = RecordMapper(
    deliveries,
    Delivery,
    columns={"auth_token": accounts.c.auth_token, "created": "date_created"},
)
_CLAIMABLE = (
    deliveries.c.status == DeliveryStatus.PENDING,
    deliveries.c.next_attempt_at <= bindparam("now"),
    or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= bindparam("now")),
)
_DUE = (
    select(*_CLAIMED.columns)
    .join(accounts, accounts.c.sid == deliveries.c.account_sid)
    .where(*_CLAIMABLE)
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
_DUE_FOR_WEBHOOK = _DUE.where(deliveries.c.webhook_sid == bindparam("webhook_sid"))
# A full claim reads at most `WINDOW` times its room from the due index, in its order:
# there the rows of the webhooks still busy and the leased rows come first, and a busy
# worker's claim used to read the whole backlog past them to find nothing
# (docs/benchmarks.md, "Fourth pass"). When the window was full and gave less than the
# room, the rest is found by seeks in the `(webhook_sid, ...)` index: the service-level
# URLs' rows (its NULL range), then each webhook's oldest due unleased row (its head),
# the webhooks listed by a loose scan of that index (a recursive CTE on both engines),
# the busy ones dropped, and the rest of the room shared among the heads, oldest first.
# The seeks cost one or two per webhook that has any row left (finished ones too, until
# retention prunes them), so they run only past a full window. Lists are bound as one
# parameter each (store/bound_lists.py): every statement here is compiled once.
WINDOW = 4
_recent = deliveries.alias("recent")
_RECENT = (
    select(_recent.c.id)
    .where(
        _recent.c.status == DeliveryStatus.PENDING, _recent.c.next_attempt_at <= bindparam("now")
    )
    .order_by(_recent.c.next_attempt_at, _recent.c.id)
    .limit(bindparam("window", type_=BigInteger))  # `WINDOW` times any INTEGER limit
    .subquery("early")
)
_READ = select(func.count()).select_from(_RECENT)  # the index only: no row is read
_DUE_IN_WINDOW = (
    select(*_CLAIMED.columns)
    .select_from(_RECENT)
    .join(deliveries, deliveries.c.id == _RECENT.c.id)
    .join(accounts, accounts.c.sid == deliveries.c.account_sid)
    .where(
        *_CLAIMABLE,
        or_(
            deliveries.c.webhook_sid.is_(None), ~in_list(deliveries.c.webhook_sid, "skip_webhooks")
        ),
        or_(deliveries.c.webhook_sid.is_not(None), ~in_list(deliveries.c.url, "skip_urls")),
    )
    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=deliveries)
)
_listed = deliveries.alias("listed")
_hooks = select(func.min(_listed.c.webhook_sid).label("sid")).cte("hooks", recursive=True)
_next_hook = (
    select(_listed.c.webhook_sid)
    .where(_listed.c.webhook_sid > _hooks.c.sid)
    .order_by(_listed.c.webhook_sid)
    .limit(1)
    .scalar_subquery()
)
_hooks = _hooks.union_all(select(_next_hook).where(_hooks.c.sid.is_not(None)))
_head = deliveries.alias("head")
_head_id = (
    select(_head.c.id)
    .where(
        _head.c.webhook_sid == _hooks.c.sid,
        _head.c.status == DeliveryStatus.PENDING,
        _head.c.next_attempt_at <= bindparam("now"),
        or_(_head.c.lease_until.is_(None), _head.c.lease_until <= bindparam("now")),
    )
    .order_by(_head.c.next_attempt_at, _head.c.id)
    .limit(1)
    .scalar_subquery()
)
_heads = (
    select(_head_id.label("head_id"))
    .where(_hooks.c.sid.is_not(None), ~in_list(_hooks.c.sid, "skip_webhooks"))
    .subquery("heads")
)
_DUE_HEADS = (
    select(*_CLAIMED.columns)
    .select_from(_heads)
    .join(deliveries, deliveries.c.id == _heads.c.head_id)
    .join(accounts, accounts.c.sid == deliveries.c.account_sid)
    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=deliveries)
)
# Service-level URLs have no index of their own: their rows are that index's NULL range.
_DUE_FOR_URLS = _DUE.where(
    deliveries.c.webhook_sid.is_(None), ~in_list(deliveries.c.url, "skip_urls")
)


def claim_due(
    conn: Connection,
    now: datetime,
    limit: int,
    lease: timedelta,
    skip_webhooks: frozenset[str] = frozenset(),
    skip_urls: frozenset[str] = frozenset(),
) -> list[Delivery]:
    """Lease due deliveries to this worker until now + `lease`, at most `limit`: the
    oldest of the first `WINDOW * limit` due rows; past them, the service-level URLs'
    oldest and then the webhooks' heads and their next rows (`shares`).

    Run in a write transaction, so two workers never claim the same row; a worker
    that dies leaves its leases to expire, and another worker takes the rows then.
    Deliveries for webhooks (or service-level URLs) the worker is still sending to
    are skipped, so one webhook's deliveries stay in order.
    """
    window = WINDOW * limit
    params = {"now": now, "limit": limit, "window": window}
    skips = {"skip_webhooks": skip_webhooks, "skip_urls": skip_urls}
    claimed = _found(conn, _DUE_IN_WINDOW, params | skips)
    if len(claimed) == limit or compiled.scalar(conn, _READ, params) < window:
        return _lease(conn, claimed, now + lease)  # every due row was in the window
    _lease(conn, claimed, now + lease)  # the seeks below pass over the rows taken
    skip_webhooks = skip_webhooks.union(d.webhook_sid for d in claimed if d.webhook_sid)
    skip_urls = skip_urls.union(d.url or "" for d in claimed if d.webhook_sid is None)
    params = {"now": now, "limit": limit - len(claimed), "skip_urls": skip_urls}
    found = _found(conn, _DUE_FOR_URLS, params)
    room = limit - len(claimed) - len(found)
    if room > 0:
        params = {"now": now, "limit": room, "skip_webhooks": skip_webhooks}
        heads = _found(conn, _DUE_HEADS, params)
        found += _rows_from_heads(conn, now, heads, shares(room, len(heads)))
    return claimed + _lease(conn, found, now + lease)


def shares(room: int, webhooks: int) -> list[int]:
    """`room` rows split among `webhooks` (oldest head first) as evenly as it goes."""
    each, extra = divmod(room, webhooks) if webhooks else (0, 0)
    return [each + (i < extra) for i in range(webhooks)]


def _found(conn: Connection, statement: Select[Any], params: dict[str, Any]) -> list[Delivery]:
    return [_CLAIMED.from_row(row) for row in compiled.rows(conn, statement, params)]


def _rows_from_heads(
    conn: Connection, now: datetime, heads: list[Delivery], counts: list[int]
) -> list[Delivery]:
    """Each head, or its webhook's first `count` due rows when it may take more than one."""
    claimed: list[Delivery] = []
    for head, most in zip(heads, counts, strict=True):
        params = {"now": now, "limit": most, "webhook_sid": head.webhook_sid}
        claimed += [head] if most == 1 else _found(conn, _DUE_FOR_WEBHOOK, params)
    return claimed


def claim_for_webhooks(
    conn: Connection, now: datetime, lease: timedelta, rows_per_webhook: dict[str, int]
) -> list[Delivery]:
    """Lease the oldest due deliveries of these webhooks, at most `rows_per_webhook[sid]`
    each, in the order and with the lease `claim_due` gives.

    For a worker that knows which webhooks it has just finished sending to: their
    next rows are found through the webhook's index, where `claim_due` would read a
    window of the due index and then seek every webhook.
    """
    claimed: list[Delivery] = []
    for webhook_sid, most in rows_per_webhook.items():
        params = {"now": now, "limit": most, "webhook_sid": webhook_sid}
        found = compiled.rows(conn, _DUE_FOR_WEBHOOK, params)  # the worker's usual claim
        claimed += [_CLAIMED.from_row(row) for row in found]
    return _lease(conn, claimed, now + lease)


def _lease(conn: Connection, claimed: list[Delivery], until: datetime) -> list[Delivery]:
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
    select(deliveries.c.id)
    .where(in_list(deliveries.c.id, "ids"))
    .order_by(deliveries.c.id)
    .with_for_update()
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
    still_queued = {row[0] for row in compiled.rows(conn, _STILL_QUEUED, {"ids": ids})}
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
