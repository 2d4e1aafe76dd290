"""The full claim: due deliveries of any webhook or service-level URL but the busy ones.

A full claim reads at most `WINDOW` times its room from the due index, in its order:
there the rows of the webhooks still busy and the leased rows come first, and a busy
worker's claim used to read the whole backlog past them to find nothing
(docs/benchmarks.md, "Delivery", and its git history). When the window was full and
gave less than the room, the rest is found by seeks in the `(webhook_sid, ...)` index:
the service-level URLs' rows (its NULL range), then each webhook's oldest due unleased
row (its head), the webhooks listed by a loose scan of that index (a recursive CTE on
both engines), the busy ones dropped, and the rest of the room shared among the heads,
oldest first.
The seeks cost one or two per webhook that has any row left (finished ones too, until
retention prunes them), so they run only past a full window. Lists are bound as one
parameter each (store/bound_lists.py): every statement here is compiled once.
"""

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Connection, bindparam, func, or_, select

from chinwag.store import compiled
from chinwag.store.bound_lists import in_list
from chinwag.store.outbox import (
    CLAIMABLE,
    CLAIMED,
    DUE,
    DUE_AND_FREE,
    DUE_FOR_WEBHOOK,
    Delivery,
    DeliveryStatus,
    claimed_rows,
    lease_claimed,
)
from chinwag.store.tables import accounts, deliveries

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
    select(*CLAIMED.columns)
    .select_from(_RECENT)
    .join(deliveries, deliveries.c.id == _RECENT.c.id)
    .join(accounts, accounts.c.sid == deliveries.c.account_sid)
    .where(
        *CLAIMABLE,
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
    select(*CLAIMED.columns)
    .select_from(_heads)
    .join(deliveries, deliveries.c.id == _heads.c.head_id)
    .join(accounts, accounts.c.sid == deliveries.c.account_sid)
    # Tested again on the row locked: on PostgreSQL a head another worker leased and
    # committed after this statement's snapshot is locked in its new version, which
    # only a condition on the locked table itself leaves out (READ COMMITTED's recheck).
    # The status is compared as an expression so that SQLite does not take it for a way
    # into the due index and walk it, testing the heads row by row.
    .where(deliveries.c.status.concat("") == DeliveryStatus.PENDING, *DUE_AND_FREE)
    .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=deliveries)
)
# Service-level URLs have no index of their own: their rows are that index's NULL range.
_DUE_FOR_URLS = DUE.where(
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
    claimed = claimed_rows(conn, _DUE_IN_WINDOW, params | skips)
    if len(claimed) == limit or compiled.scalar(conn, _READ, params) < window:
        return lease_claimed(conn, claimed, now + lease)  # every due row was in the window
    lease_claimed(conn, claimed, now + lease)  # the seeks below pass over the rows taken
    skip_webhooks = skip_webhooks.union(d.webhook_sid for d in claimed if d.webhook_sid)
    skip_urls = skip_urls.union(d.url or "" for d in claimed if d.webhook_sid is None)
    params = {"now": now, "limit": limit - len(claimed), "skip_urls": skip_urls}
    found = claimed_rows(conn, _DUE_FOR_URLS, params)
    room = limit - len(claimed) - len(found)
    if room > 0:
        params = {"now": now, "limit": room, "skip_webhooks": skip_webhooks}
        heads = claimed_rows(conn, _DUE_HEADS, params)
        found += _rows_from_heads(conn, now, heads, shares(room, len(heads)))
    return claimed + lease_claimed(conn, found, now + lease)


def shares(room: int, webhooks: int) -> list[int]:
    """`room` rows split among `webhooks` (oldest head first) as evenly as it goes."""
    each, extra = divmod(room, webhooks) if webhooks else (0, 0)
    return [each + (i < extra) for i in range(webhooks)]


def _rows_from_heads(
    conn: Connection, now: datetime, heads: list[Delivery], counts: list[int]
) -> list[Delivery]:
    """Each head, or its webhook's first `count` due rows when it may take more than one."""
    claimed: list[Delivery] = []
    for head, most in zip(heads, counts, strict=True):
        params = {"now": now, "limit": most, "webhook_sid": head.webhook_sid}
        claimed += [head] if most == 1 else claimed_rows(conn, DUE_FOR_WEBHOOK, params)
    return claimed
