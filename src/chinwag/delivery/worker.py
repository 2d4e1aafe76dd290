"""The delivery worker: claims due outbox rows in batches, sends them, records the outcomes.

Runs in-process under `chinwag serve`, or as `chinwag worker`. Claims and outcomes
are batched (one write transaction per claim, and one for the outcomes of all the
queues that finish together), because a database round trip per row would cap
throughput (DESIGN.md, bench/delivery.py). Every attempt is
logged; a failure a retry can cure is tried again when the retry policy says
(delivery/retry.py). Beside delivering, a worker with a retention prunes old
finished deliveries (delivery/retention.py).
"""

import asyncio
import contextlib
import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from chinwag.delivery.retention import RetentionRunner
from chinwag.delivery.retry import RetryPolicy, is_retryable
from chinwag.delivery.sender import TIMEOUT_SECONDS, OutboundRequest, Sender
from chinwag.store import outbox
from chinwag.store.database import Database
from chinwag.store.outbox import Attempt, Delivery, DeliveryStatus, Outcome
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.delivery")

# Long enough for a batch whose deliveries to one slow webhook go one by one.
DEFAULT_LEASE = timedelta(minutes=5)
NO_STUDIO = "studio target: chinwag has no Studio and no --studio-url is configured"
DEFAULT_HOST_CONCURRENCY = 10
DEFAULT_PORTS = {"http": 80, "https": 443}

QueueKey = tuple[str, str]


@dataclass(frozen=True)
class Parked:
    """A claimed queue waiting for a slot on its host, since `since` (time.monotonic)."""

    key: QueueKey
    queue: list[Delivery]
    since: float


def _queue_key(delivery: Delivery) -> QueueKey:
    """Deliveries to one webhook (or one service-level URL) go out one after another."""
    if delivery.webhook_sid is not None:
        return ("webhook", delivery.webhook_sid)
    return ("service", delivery.url or "")


def target_host(url: str | None) -> str:
    """`host:port` of a URL, the unit of the per-host limit ("" without a URL)."""
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port out of range: the send will fail, count it apart
        port = None
    return f"{parts.hostname}:{port}"


class Worker:
    def __init__(
        self,
        database: Database,
        sender: Sender,
        *,
        studio_url: str | None = None,
        policy: RetryPolicy | None = None,
        lease: timedelta = DEFAULT_LEASE,
        retention: timedelta | None = None,  # None: keep finished deliveries for ever
        on_attempt: Callable[[str, float], None] | None = None,
        batch_size: int = 100,
        concurrency: int = 50,
        host_concurrency: int = DEFAULT_HOST_CONCURRENCY,
        poll_interval: float = 0.2,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._sender = sender
        self._studio_url = studio_url
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._retention = retention
        self._on_attempt = on_attempt or (lambda outcome, seconds: None)  # e.g. metrics
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._poll_interval = poll_interval
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._running: dict[QueueKey, asyncio.Task[None]] = {}
        self._in_flight = 0
        self._host_concurrency = host_concurrency
        self._host_queues: Counter[str] = Counter()  # queues running per target host
        # Queues claimed while their host was full, kept (leased) to start as it frees:
        # with many webhooks on one receiver, giving them back and claiming them again
        # cost more than the sends (bench/delivery.py). At most `max_parked` rows.
        self._parked: dict[str, deque[Parked]] = defaultdict(deque)
        self._parked_rows = 0
        self._max_parked = batch_size * 10
        # Queues given back because their host was full and parking too, skipped by
        # claims until the host frees.
        self._held_back: dict[str, set[QueueKey]] = defaultdict(set)
        # The most rows of one webhook claimed when its queue ends: a parked queue
        # starts within half the lease, so its rows, sent one by one, must go out
        # well within the other half even at the send timeout each (20 rows at the
        # default lease; 1 at leases under 30 s).
        self._rows_per_webhook = max(1, int(lease.total_seconds() / 3 / TIMEOUT_SECONDS))
        # What the next claim reads (see `_claim`): webhooks whose queue ended (by
        # host), whether new rows may be anywhere, whether the last full claim left
        # rows behind.
        self._ended: dict[str, str] = {}
        self._woken = True
        self._more_due = False
        self._last_full_claim = float("-inf")  # time.monotonic()
        # Outcomes waiting for the one write that records them, and that write.
        self._batch: tuple[list[Outcome], asyncio.Task[None]] | None = None

    def wake(self) -> None:
        """New deliveries may be due: look now instead of at the next poll."""
        self._woken = True
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until stopped, pruning beside it when a retention is set."""
        if self._retention is None:
            await self._deliver()
            return
        pruner = RetentionRunner(self._database, self._retention, clock=self._clock)
        pruning = asyncio.create_task(pruner.run())
        try:
            await self._deliver()
        finally:
            pruner.stop()
            await pruning

    async def _deliver(self) -> None:
        """Deliver until stopped; queues in flight are finished, so nothing is left half-sent.

        Each webhook's due deliveries form a queue sent one after another, in outbox
        order (so a ReplayAfter replay arrives in index order, before live events).
        Queues run side by side and are claimed as capacity frees up, so a receiver
        that hangs holds up only its own queue. At most `host_concurrency` queues (so
        requests) go to one host:port at once, so many webhooks on one slow host take
        neither all the sending slots nor all the claim room.
        """
        unsubscribe = await self._database.listen_for_deliveries(self.wake)
        try:
            await self._deliver_until_stopped()
        finally:
            await unsubscribe()

    async def _deliver_until_stopped(self) -> None:
        while not self._stopping:
            try:
                started = await self._start_due_queues()
            except Exception:  # a failing claim must not stop delivery for good
                logger.exception("claiming deliveries failed")
                self._woken = True  # the ended webhooks it took are in there
                started = 0
            if started == 0 and not self._stopping:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
        while self._running:  # finishing queues give back what is still parked
            await asyncio.gather(*self._running.values())
        for host in list(self._parked):
            await self._start_parked(host)

    async def _start_due_queues(self) -> int:
        """Claim what fits in `batch_size` beside what is in flight; returns how many
        rows were kept (started or parked).

        Queues whose host already has `host_concurrency` running are parked; past
        `max_parked` rows they are given back unsent (their leases released) and
        skipped until one of that host's queues ends.
        """
        room = self._batch_size - self._in_flight
        if room <= 0:
            return 0
        due = await self._claim(room)
        queues: dict[QueueKey, list[Delivery]] = defaultdict(list)
        for delivery in due:
            queues[_queue_key(delivery)].append(delivery)
        given_back: list[int] = []
        for key, queue in queues.items():
            host = target_host(self._url(queue[0]))
            if self._host_queues[host] < self._host_concurrency:
                self._start_queue(key, host, queue)
            elif self._parked_rows + len(queue) <= self._max_parked:
                self._parked[host].append(Parked(key, queue, time.monotonic()))
                self._parked_rows += len(queue)
            else:
                self._held_back[host].add(key)
                given_back += [delivery.id for delivery in queue]
        if given_back:
            await self._database.write_locking(outbox.release, given_back)
        return len(due) - len(given_back)

    async def _claim(self, room: int) -> list[Delivery]:
        """At most `room` due rows: the whole backlog's when new rows may be anywhere
        (a wake; a poll, for retries and lapsed leases that come due unannounced);
        else the next rows of the webhooks whose queue ended, through their index;
        else the whole backlog's again if the last full claim filled its room.

        A claim of the whole backlog reads past every busy webhook's rows: run for
        each ended queue, it took 41% of the worker on SQLite and most of the claims
        on PostgreSQL (docs/benchmarks.md, "Delivery")."""
        poll_due = time.monotonic() - self._last_full_claim >= self._poll_interval
        if self._woken or poll_due:
            return await self._claim_everywhere_but_busy(room)
        rows_per_webhook = self._next_rows_of_ended_webhooks(room)
        if rows_per_webhook:
            return await self._database.write_locking(
                outbox.claim_for_webhooks, self._clock(), self._lease, rows_per_webhook
            )
        if self._more_due:
            return await self._claim_everywhere_but_busy(room)
        return []

    async def _claim_everywhere_but_busy(self, room: int) -> list[Delivery]:
        """The oldest due rows of any webhook or URL not running, parked or held back."""
        self._woken, self._last_full_claim = False, time.monotonic()
        self._ended.clear()  # this claim reads their rows too
        parked = (entry.key for entries in self._parked.values() for entry in entries)
        skip = set(self._running).union(parked, *self._held_back.values())
        busy_webhooks = frozenset(key for kind, key in skip if kind == "webhook")
        busy_urls = frozenset(key for kind, key in skip if kind == "service")
        due = await self._database.write_locking(
            outbox.claim_due, self._clock(), room, self._lease, busy_webhooks, busy_urls
        )
        self._more_due = len(due) == room
        return due

    def _next_rows_of_ended_webhooks(self, room: int) -> dict[str, int]:
        """How many rows to claim for each ended webhook, in all at most `room`; those
        past it wait for the next claim. A webhook whose host is full and whose rows
        parking could not take is held back without a claim."""
        wanted: dict[str, int] = {}
        for webhook_sid, host in list(self._ended.items()):
            if room <= 0:
                break
            del self._ended[webhook_sid]
            host_full = self._host_queues[host] >= self._host_concurrency
            if host_full and self._parked_rows >= self._max_parked:
                self._held_back[host].add(("webhook", webhook_sid))
                continue
            wanted[webhook_sid] = min(self._rows_per_webhook, room)
            room -= wanted[webhook_sid]
        return wanted

    def _claimable_again(self, keys: Iterable[QueueKey], host: str) -> None:
        """`keys` left the worker: their next rows are for the next claim."""
        for kind, key in keys:
            if kind == "webhook":
                self._ended[key] = host
            else:  # a service-level URL has no index of its own: read everything
                self._woken = True
        self._wakeup.set()

    def _start_queue(self, key: QueueKey, host: str, queue: list[Delivery]) -> None:
        self._host_queues[host] += 1
        self._in_flight += len(queue)
        self._running[key] = asyncio.create_task(self._send_queue(key, host, queue))

    async def _start_parked(self, host: str) -> None:
        """A queue of `host` ended: start its next parked queue; give back any whose lease
        is half gone (sent later, another worker could take it meanwhile)."""
        stale: list[Parked] = []
        parked = self._parked[host]
        while parked and (self._stopping or self._host_queues[host] < self._host_concurrency):
            entry = parked.popleft()
            self._parked_rows -= len(entry.queue)
            if self._stopping or time.monotonic() - entry.since > self._lease.total_seconds() / 2:
                stale.append(entry)
            else:
                self._start_queue(entry.key, host, entry.queue)
        if not parked:
            del self._parked[host]
        if stale:
            ids = [delivery.id for entry in stale for delivery in entry.queue]
            await self._database.write_locking(outbox.release, ids)
            self._claimable_again((entry.key for entry in stale), host)

    async def _send_queue(self, key: QueueKey, host: str, queue: list[Delivery]) -> None:
        try:
            try:
                outcomes = [await self._attempt(delivery) for delivery in queue]
            finally:
                await self._free_host(host)  # its requests are done, recorded or not
            await self._record(outcomes)
        except Exception:  # the lease runs out and the rows are sent again
            logger.exception("delivery queue failed")
        finally:
            # The webhook is free once its outcomes are committed: its next deliveries
            # may be claimed now.
            del self._running[key]
            self._in_flight -= len(queue)
            self._claimable_again([key], host)

    async def _free_host(self, host: str) -> None:
        self._host_queues[host] -= 1
        if self._host_queues[host] == 0:
            del self._host_queues[host]
        if host in self._parked:
            await self._start_parked(host)
        if host not in self._parked:  # nothing left waiting: claim its given-back queues
            self._claimable_again(self._held_back.pop(host, ()), host)

    async def _record(self, outcomes: list[Outcome]) -> None:
        """Record `outcomes` with those of every queue that finishes before the write runs
        (at the loop's next turn): most queues are one delivery long, and a transaction
        each cost more than the sends (bench/delivery.py)."""
        if self._batch is None:
            self._batch = ([], asyncio.create_task(self._write_batch()))
        batch, written = self._batch
        batch.extend(outcomes)
        await written  # a failed write fails every queue in the batch

    async def _write_batch(self) -> None:
        assert self._batch is not None
        batch, _ = self._batch
        self._batch = None  # queues finishing from now on start the next batch
        await self._database.write_locking(outbox.record_outcomes, batch, self._clock())

    async def _attempt(self, delivery: Delivery) -> Outcome:
        url = self._url(delivery)
        if url is None:
            logger.error(
                "delivery undeliverable",
                extra={**_fields(delivery), "error": NO_STUDIO},
            )
            return Outcome(
                delivery.id,
                DeliveryStatus.UNDELIVERABLE,
                delivery.attempts,
                None,
                None,
                NO_STUDIO,
                None,
            )
        number = delivery.attempts + 1
        request = OutboundRequest(
            url=url,
            method=delivery.method,
            # RetryCount counts earlier attempts, and is signed with the rest.
            params=[*delivery.params, ("RetryCount", str(delivery.attempts))],
            auth_token=delivery.auth_token,
            idempotency_token=delivery.token,  # the same on every attempt
        )
        async with self._slots:
            started_at, started = self._clock(), time.monotonic()
            result = await self._sender.send(request)
            latency_ms = (time.monotonic() - started) * 1000
        attempt = Attempt(
            delivery_id=delivery.id,
            attempt=number,
            started_at=started_at,
            url=url,
            method=delivery.method,
            response_status=result.status,
            latency_ms=latency_ms,
            response_excerpt=result.body_excerpt,
            error=result.error,
        )
        self._on_attempt(
            "ok" if result.ok else result.error or str(result.status), latency_ms / 1000
        )
        status, retry_at = DeliveryStatus.DELIVERED, None
        if not result.ok:
            if is_retryable(result.status) and not result.permanent:
                retry_at = self._policy.next_attempt_at(
                    number, self._clock(), delivery.created, result.retry_after
                )
            status = DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED
        _log_attempt(delivery, attempt, status, retry_at)
        return Outcome(delivery.id, status, number, retry_at, result.status, result.error, attempt)

    def _url(self, delivery: Delivery) -> str | None:
        if delivery.target != "studio":
            return delivery.url
        if self._studio_url is None or delivery.flow_sid is None:
            return None
        return self._studio_url.format(flow_sid=delivery.flow_sid)


def _fields(delivery: Delivery) -> dict[str, object]:
    return {
        "delivery_sid": delivery.token,
        "webhook_sid": delivery.webhook_sid,
        "event_type": delivery.event_type,
    }


def _log_attempt(
    delivery: Delivery, attempt: Attempt, status: str, retry_at: datetime | None
) -> None:
    """Success at DEBUG, each failed attempt at WARNING, the end of retrying at ERROR."""
    fields = {
        **_fields(delivery),
        "url": attempt.url,
        "status": attempt.response_status,  # None: no HTTP answer, see `error`
        "error": attempt.error,
        "attempt": attempt.attempt,
        "latency_ms": round(attempt.latency_ms, 1),
    }
    if status == DeliveryStatus.DELIVERED:
        logger.debug("delivered", extra=fields)
        return
    retry = {"retry_at": retry_at.isoformat() if retry_at is not None else None}
    logger.warning("delivery attempt failed", extra={**fields, **retry})
    if status == DeliveryStatus.FAILED:
        logger.error("delivery failed, no more attempts (dead-lettered)", extra=fields)
