"""The delivery worker: claims due outbox rows in batches, sends them, records the outcomes.

Runs in-process under `chinwag serve`. Claims and outcomes are batched (one read
and one write transaction per batch), because a database round trip per row
would cap throughput (DESIGN.md). Every attempt is logged; a failure a retry can
cure is tried again when the retry policy says (delivery/retry.py).
"""

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from chinwag.delivery.retry import RetryPolicy, is_retryable
from chinwag.delivery.sender import OutboundRequest, Sender, SendResult
from chinwag.store import outbox
from chinwag.store.database import Database
from chinwag.store.outbox import Attempt, Delivery, Outcome
from chinwag.twilio.dates import utc_now

logger = logging.getLogger("chinwag.delivery")

# Long enough for a batch whose deliveries to one slow webhook go one by one.
DEFAULT_LEASE = timedelta(minutes=5)
NO_STUDIO = "studio target: chinwag has no Studio and no --studio-url is configured"


class Worker:
    def __init__(
        self,
        database: Database,
        sender: Sender,
        *,
        studio_url: str | None = None,
        policy: RetryPolicy | None = None,
        lease: timedelta = DEFAULT_LEASE,
        batch_size: int = 100,
        concurrency: int = 50,
        poll_interval: float = 0.2,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._sender = sender
        self._studio_url = studio_url
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._poll_interval = poll_interval
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """New deliveries may be due: look now instead of at the next poll."""
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Drain until stopped; the batch in flight is finished, so nothing is left half-sent."""
        while not self._stopping:
            try:
                sent = await self.drain_once()
            except Exception:  # a bad batch must not kill delivery for good
                logger.exception("delivery batch failed")
                sent = 0
            if sent == 0 and not self._stopping:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)

    async def drain_once(self) -> int:
        """Send one batch of due deliveries; returns how many were attempted."""
        due = self._database.write(outbox.claim_due, self._clock(), self._batch_size, self._lease)
        if not due:
            return 0
        # One webhook's deliveries go out one after another, in outbox order (so a
        # ReplayAfter replay arrives in index order, before live events); different
        # webhooks are served concurrently.
        queues: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in due:
            queues[delivery.webhook_sid or f"service:{delivery.url}"].append(delivery)
        sent = await asyncio.gather(*(self._attempt_in_order(queue) for queue in queues.values()))
        outcomes = [outcome for queue in sent for outcome in queue]
        self._database.write(outbox.record_outcomes, outcomes, self._clock())
        return len(due)

    async def _attempt_in_order(self, queue: list[Delivery]) -> list[Outcome]:
        return [await self._attempt(delivery) for delivery in queue]

    async def _attempt(self, delivery: Delivery) -> Outcome:
        url = self._url(delivery)
        if url is None:
            return Outcome(
                delivery.id, outbox.UNDELIVERABLE, delivery.attempts, None, None, NO_STUDIO, None
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
        self._log(delivery, url, result)
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
        status, retry_at = outbox.DELIVERED, None
        if not result.ok:
            if is_retryable(result.status):
                retry_at = self._policy.next_attempt_at(
                    number, self._clock(), delivery.created, result.retry_after
                )
            status = outbox.PENDING if retry_at is not None else outbox.FAILED
        return Outcome(delivery.id, status, number, retry_at, result.status, result.error, attempt)

    def _url(self, delivery: Delivery) -> str | None:
        if delivery.target != "studio":
            return delivery.url
        if self._studio_url is None or delivery.flow_sid is None:
            return None
        return self._studio_url.format(flow_sid=delivery.flow_sid)

    @staticmethod
    def _log(delivery: Delivery, url: str, result: SendResult) -> None:
        logger.info(
            "delivery attempt",
            extra={
                "delivery": delivery.token,
                "event_type": delivery.event_type,
                "url": url,
                "status": result.status,
                "error": result.error,
            },
        )
