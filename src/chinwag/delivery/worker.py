"""The delivery worker: claims due outbox rows in batches, sends them, records the outcomes.

Runs under `chinwag serve` or as `chinwag worker`. Each webhook's due deliveries form a
queue sent in outbox order (a ReplayAfter replay arrives in index order). Queues run side
by side, at most `host_concurrency` per host; the claim room counts queues, not rows, so
receivers that hang or fail take one place each (docs/reliability.md). One write per
claim, one for the outcomes of the queues that finish together (a round trip per row
would cap throughput). On stop, the queues claimed get `shutdown_grace` seconds, then
their requests are abandoned and every row not recorded is released.

The decisions are synchronous pieces with no database or network: what to claim
(claim_plan.py), which queue starts, parks or goes back (host_gate.py), what an attempt
leaves (retry.py, attempts.py). Beside the loop: outcome batching (outcome_batch.py),
requests in flight (in_flight.py), the idle wait (idle.py), lease renewal (leases.py)
and, with a retention, pruning (retention.py).
"""

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from chinwag.delivery.attempts import attempt_outcome, request_for, target_url, undeliverable
from chinwag.delivery.claim_plan import ROWS_PER_WEBHOOK, ClaimDue, ClaimForWebhooks, ClaimPlan
from chinwag.delivery.host_gate import (
    DEFAULT_HOST_CONCURRENCY,
    MAX_PARKED_SECONDS,
    Admission,
    HostGate,
    QueueKey,
    Unparked,
    queues_of,
    target_host,
)
from chinwag.delivery.idle import Wakeup
from chinwag.delivery.in_flight import DEFAULT_SHUTDOWN_GRACE, InFlight
from chinwag.delivery.leases import DEFAULT_LEASE, Leases
from chinwag.delivery.outcome_batch import OutcomeBatch
from chinwag.delivery.retention import RetentionRunner
from chinwag.delivery.retry import RetryPolicy, retry_decision
from chinwag.delivery.sender import Sender
from chinwag.delivery.url_settings import delivery_setting, retry_policy
from chinwag.store import full_claim, outbox
from chinwag.store.database import Database
from chinwag.store.outbox import Delivery, Outcome
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.delivery")


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
        poll_interval: float = 0.2,  # between claims while busy: retries and lapsed leases
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._studio_url = studio_url
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._retention = retention
        self._on_attempt = on_attempt or (lambda outcome, seconds: None)  # e.g. metrics
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._shutdown_grace = shutdown_grace
        self._clock = clock
        self._wakeup = Wakeup()
        self._stopping = False
        self._running: dict[QueueKey, asyncio.Task[None]] = {}
        self._in_flight = InFlight(sender, concurrency, clock)
        self._leases = Leases(database, lease, clock)
        self._gate = HostGate(host_concurrency, batch_size * 10, MAX_PARKED_SECONDS)
        self._plan = ClaimPlan(poll_interval, ROWS_PER_WEBHOOK)
        self._outcomes = OutcomeBatch(
            lambda batch: database.write_locking(outbox.record_outcomes, batch, self._clock())
        )

    def wake(self) -> None:
        """New deliveries may be due: look now instead of at the next poll."""
        self._plan.wake()
        self._wakeup.set()

    def _nudge(self) -> None:  # something was committed: look now if idle
        if not self._busy():
            self.wake()

    def _busy(self) -> bool:
        return bool(self._running) or bool(self._gate.parked_hosts())

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until stopped, renewing leases and (with a retention) pruning beside it."""
        beside: list[Leases | RetentionRunner] = [self._leases]
        if self._retention is not None:
            beside.append(RetentionRunner(self._database, self._retention, clock=self._clock))
        unsubscribe = await self._database.listen_for_deliveries(self.wake, self._nudge)
        running = [asyncio.create_task(runner.run()) for runner in beside]
        try:
            await self._deliver_until_stopped()
        finally:
            for runner in beside:
                runner.stop()
            await asyncio.gather(*running)
            await unsubscribe()

    async def _deliver_until_stopped(self) -> None:
        while not self._stopping:
            self._wakeup.clear()  # before the claim: a wake during it is not lost
            try:
                started = await self._start_due_queues()
            except Exception:  # a failing claim must not stop delivery for good
                logger.exception("claiming deliveries failed")
                self._plan.wake()  # the ended webhooks it took are in there
                started = 0
            if started == 0 and not self._stopping:
                await self._wait_for_work()
        await self._finish()

    async def _wait_for_work(self) -> None:
        """Busy: until a queue ends or the next poll. Idle: until woken or a row is due."""
        if self._busy():
            await self._wakeup.sleep(self._poll_interval)
            return
        recheck, poll = self._lease.total_seconds(), self._poll_interval
        await self._wakeup.until_due(
            self._database, self._clock, recheck, poll, lambda: self._stopping
        )

    async def _finish(self) -> None:
        """Stopping: the grace, then abandon; every queue releases what it did not record,
        and parked queues go back unsent."""
        if self._running:
            _, late = await asyncio.wait(self._running.values(), timeout=self._shutdown_grace)
            if late:
                logger.warning("abandoning requests in flight", extra={"queues": len(late)})
                self._in_flight.abandon()
        while self._running:  # finishing queues give back what is still parked
            await asyncio.gather(*self._running.values())
        for host in self._gate.parked_hosts():
            await self._unparked(host, self._gate.unpark(host, stopping=True))

    async def _start_due_queues(self) -> int:
        """Claim what fits in `batch_size` beside the queues running, and start, park or
        give back each queue as its host allows; returns how many rows were kept. Room
        is counted in queues: counting rows let a few slow webhooks stop every claim."""
        room = self._batch_size - len(self._running)
        if room <= 0:
            return 0
        due = await self._claim(room)
        self._leases.hold(delivery.id for delivery in due)
        given_back: list[int] = []
        for key, queue in queues_of(due).items():
            host = target_host(target_url(queue[0], self._studio_url))
            admission = self._gate.admit(key, host, queue)
            if admission is Admission.START:
                self._start_queue(key, host, queue)
            elif admission is Admission.GIVEN_BACK:
                given_back += [delivery.id for delivery in queue]
        if given_back:
            await self._leases.release(given_back)
        return len(due) - len(given_back)

    async def _claim(self, room: int) -> list[Delivery]:
        claim = self._plan.next(room, self._running, self._gate)
        if isinstance(claim, ClaimDue):
            skip = (claim.skip_webhooks, claim.skip_urls)
            due = await self._database.write_locking(
                full_claim.claim_due, self._clock(), claim.limit, self._lease, *skip
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
        self._running[key] = asyncio.create_task(self._send_queue(key, host, queue))

    async def _unparked(self, host: str, unparked: Unparked) -> None:
        """Start the parked queues the gate let through; give back the stale ones."""
        for entry in unparked.start:
            self._start_queue(entry.key, host, entry.queue)
        if unparked.stale:
            ids = [delivery.id for entry in unparked.stale for delivery in entry.queue]
            await self._leases.release(ids, wake_workers=self._stopping)
            self._claimable_again((entry.key for entry in unparked.stale), host)

    async def _send_queue(self, key: QueueKey, host: str, queue: list[Delivery]) -> None:
        outcomes: list[Outcome] = []
        try:
            try:
                for delivery in queue:
                    outcome = await self._attempt(delivery)
                    if outcome is None:  # the shutdown grace is over: the rest go back
                        break
                    outcomes.append(outcome)
            finally:
                await self._free_host(host)  # its requests are done, recorded or not
            await self._outcomes.record(outcomes)
            unsent = [delivery.id for delivery in queue[len(outcomes) :]]
            if unsent:  # only when stopping
                await self._leases.release(unsent, wake_workers=True)
        except Exception:  # the lease runs out and the rows are sent again
            logger.exception("delivery queue failed")
        finally:
            # No longer renewed: recorded, released, or left for the lease to end.
            self._leases.let_go(delivery.id for delivery in queue)
            # Its outcomes are committed: the webhook's next deliveries may be claimed.
            del self._running[key]
            self._claimable_again([key], host)

    async def _free_host(self, host: str) -> None:
        await self._unparked(host, self._gate.free(host, stopping=self._stopping))
        if not self._gate.has_parked(host):  # nothing left waiting: claim its given-back queues
            self._claimable_again(self._gate.pop_held_back(host), host)

    async def _attempt(self, delivery: Delivery) -> Outcome | None:
        """The outcome of one attempt; None when the shutdown grace ran out first."""
        url = target_url(delivery, self._studio_url)
        if url is None:
            return undeliverable(delivery)
        setting = await delivery_setting(self._database, delivery, url)  # its URL's Rule, if any
        sent = await self._in_flight.send(request_for(delivery, url, setting))
        if sent is None:
            return None
        result = sent.result
        label = "ok" if result.ok else result.error or str(result.status)
        self._on_attempt(label, sent.latency_ms / 1000)
        number = delivery.attempts + 1
        policy = retry_policy(setting, self._policy)
        decision = retry_decision(result, number, self._clock(), delivery.created, policy)
        return attempt_outcome(delivery, url, sent.started_at, sent.latency_ms, result, decision)
