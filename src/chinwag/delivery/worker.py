"""The delivery worker: claims due outbox rows in batches, sends them, records the outcomes.

Runs in-process under `chinwag serve`, or as `chinwag worker`. Claims and outcomes
are batched (one write transaction per claim, and one for the outcomes of all the
queues that finish together), because a database round trip per row would cap
throughput (DESIGN.md, bench/delivery.py). Every attempt is logged; a failure a
retry can cure is tried again when the retry policy says (delivery/retry.py).
Beside delivering, a worker with a retention prunes old finished deliveries
(delivery/retention.py).

The decisions are made by synchronous pieces with no database and no network:
what to claim next (delivery/claim_plan.py), which claimed queue starts, waits
for its host or goes back (delivery/host_gate.py), what an attempt leaves
(delivery/retry.py, delivery/attempts.py). The worker runs the loop, sends and
records.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from chinwag.delivery.attempts import attempt_outcome, request_for, target_url, undeliverable
from chinwag.delivery.claim_plan import ClaimDue, ClaimForWebhooks, ClaimPlan, rows_per_webhook
from chinwag.delivery.host_gate import (
    Admission,
    HostGate,
    QueueKey,
    Unparked,
    queues_of,
    target_host,
)
from chinwag.delivery.retention import RetentionRunner
from chinwag.delivery.retry import RetryPolicy, retry_decision
from chinwag.delivery.sender import Sender
from chinwag.store import outbox
from chinwag.store.database import Database
from chinwag.store.outbox import Delivery, Outcome
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.delivery")

# Long enough for a batch whose deliveries to one slow webhook go one by one.
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_HOST_CONCURRENCY = 10


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
        self._gate = HostGate(
            host_concurrency,
            max_parked_rows=batch_size * 10,
            max_parked_seconds=lease.total_seconds() / 2,
        )
        self._plan = ClaimPlan(poll_interval, rows_per_webhook(lease))
        # Outcomes waiting for the one write that records them, and that write.
        self._batch: tuple[list[Outcome], asyncio.Task[None]] | None = None

    def wake(self) -> None:
        """New deliveries may be due: look now instead of at the next poll."""
        self._plan.wake()
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
        requests) go to one host:port at once (delivery/host_gate.py).
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
                self._plan.wake()  # the ended webhooks it took are in there
                started = 0
            if started == 0 and not self._stopping:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
        while self._running:  # finishing queues give back what is still parked
            await asyncio.gather(*self._running.values())
        for host in self._gate.parked_hosts():
            await self._unparked(host, self._gate.unpark(host, stopping=True))

    async def _start_due_queues(self) -> int:
        """Claim what fits in `batch_size` beside what is in flight, and start, park or
        give back each queue as its host allows; returns how many rows were kept."""
        room = self._batch_size - self._in_flight
        if room <= 0:
            return 0
        due = await self._claim(room)
        given_back: list[int] = []
        for key, queue in queues_of(due).items():
            host = target_host(target_url(queue[0], self._studio_url))
            admission = self._gate.admit(key, host, queue)
            if admission is Admission.START:
                self._start_queue(key, host, queue)
            elif admission is Admission.GIVEN_BACK:
                given_back += [delivery.id for delivery in queue]
        if given_back:
            await self._database.write_locking(outbox.release, given_back)
        return len(due) - len(given_back)

    async def _claim(self, room: int) -> list[Delivery]:
        """At most `room` due rows, as the claim plan says (delivery/claim_plan.py)."""
        claim = self._plan.next(room, self._running, self._gate)
        if isinstance(claim, ClaimDue):
            due = await self._database.write_locking(
                outbox.claim_due,
                self._clock(),
                claim.limit,
                self._lease,
                claim.skip_webhooks,
                claim.skip_urls,
            )
            self._plan.claimed(claim, len(due))
            return due
        if isinstance(claim, ClaimForWebhooks):
            return await self._database.write_locking(
                outbox.claim_for_webhooks, self._clock(), self._lease, claim.rows_per_webhook
            )
        return []

    def _claimable_again(self, keys: Iterable[QueueKey], host: str) -> None:
        self._plan.ended(keys, host)
        self._wakeup.set()

    def _start_queue(self, key: QueueKey, host: str, queue: list[Delivery]) -> None:
        self._in_flight += len(queue)
        self._running[key] = asyncio.create_task(self._send_queue(key, host, queue))

    async def _unparked(self, host: str, unparked: Unparked) -> None:
        """Start the parked queues the gate let through; give back the stale ones."""
        for entry in unparked.start:
            self._start_queue(entry.key, host, entry.queue)
        if unparked.stale:
            ids = [delivery.id for entry in unparked.stale for delivery in entry.queue]
            await self._database.write_locking(outbox.release, ids)
            self._claimable_again((entry.key for entry in unparked.stale), host)

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
        await self._unparked(host, self._gate.free(host, stopping=self._stopping))
        if not self._gate.has_parked(host):  # nothing left waiting: claim its given-back queues
            self._claimable_again(self._gate.pop_held_back(host), host)

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
        url = target_url(delivery, self._studio_url)
        if url is None:
            return undeliverable(delivery)
        request = request_for(delivery, url)
        async with self._slots:
            started_at, started = self._clock(), time.monotonic()
            result = await self._sender.send(request)
            latency_ms = (time.monotonic() - started) * 1000
        self._on_attempt(
            "ok" if result.ok else result.error or str(result.status), latency_ms / 1000
        )
        number = delivery.attempts + 1
        decision = retry_decision(result, number, self._clock(), delivery.created, self._policy)
        return attempt_outcome(delivery, url, started_at, latency_ms, result, decision)
