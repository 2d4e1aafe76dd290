"""What an attempt leaves a delivery, and when to try a failed one again: pure and clock-free.

Twilio itself makes one attempt with a 5-second timeout and never retries a
Conversations webhook. chinwag retries by default, on what a retry can cure:
network errors, timeouts, 429 and 5xx. Other 4xx answers are permanent.

Waits follow `schedule` (seconds after the failed attempt), each stretched or
shrunk by up to `jitter` so that many failures do not retry in lockstep, and
never shorter than the receiver's `Retry-After`. Worked example with the
default schedule and jitter 0.2: the 1st retry comes 4-6 s after the first
failure, the 2nd 4-6 min after that, and after the 7th failure (about 28 h in
total) the delivery is dead. `max_age` also ends retrying early.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chinwag.delivery.sender import SendResult
from chinwag.store.outbox import DeliveryStatus

# Svix's published schedule (REFERENCES.md): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


def is_retryable(status: int | None) -> bool:
    """No answer (network error, timeout), 429 Too Many Requests, or a 5xx."""
    return status is None or status == 429 or status >= 500


# chinwag's own generator: the module's shared one belongs to the app it runs in (a test
# process serving chinwag in a thread, whose Hypothesis checks that state).
_JITTER = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.2
    max_age: timedelta = timedelta(days=3)
    random: Callable[[], float] = field(default=_JITTER.random, compare=False)

    @classmethod
    def twilio_strict(cls) -> "RetryPolicy":
        """Exactly Twilio's behaviour: one attempt, no retries."""
        return cls(schedule=())

    def next_attempt_at(
        self,
        failed_attempts: int,
        now: datetime,
        created: datetime,
        retry_after: float | None = None,
    ) -> datetime | None:
        """When to try again after `failed_attempts` failures, or None: give up."""
        if failed_attempts > len(self.schedule):
            return None
        wait = self.schedule[failed_attempts - 1]
        wait *= 1 + self.jitter * (2 * self.random() - 1)
        if retry_after is not None:
            wait = max(wait, retry_after)
        when = now + timedelta(seconds=wait)
        return when if when - created <= self.max_age else None


@dataclass(frozen=True)
class RetryDecision:
    """The delivery's status after an attempt; `retry_at` is set when it is pending again."""

    status: DeliveryStatus
    retry_at: datetime | None = None


def retry_decision(
    result: SendResult, attempt: int, now: datetime, created: datetime, policy: RetryPolicy
) -> RetryDecision:
    """Delivered; pending again when a retry can cure the failure and `policy` allows
    one after `attempt` attempts; else failed (dead-lettered)."""
    if result.ok:
        return RetryDecision(DeliveryStatus.DELIVERED)
    if is_retryable(result.status) and not result.permanent:
        retry_at = policy.next_attempt_at(attempt, now, created, result.retry_after)
        if retry_at is not None:
            return RetryDecision(DeliveryStatus.PENDING, retry_at)
    return RetryDecision(DeliveryStatus.FAILED)
