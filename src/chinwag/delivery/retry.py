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

A Webhook Setting's `retryPolicy` narrows this for the URLs its Rule matches
(`for_setting`): `retryCount` retries, on the schedule's waits, for the failures its
`retryOn` names only (twilio-python 9.13, SettingList.RetryPolicy).
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chinwag.delivery.sender import CONNECT_TIMEOUT_ERROR, SendResult
from chinwag.store.outbox import DeliveryStatus

# Svix's published schedule (REFERENCES.md): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


def is_retryable(status: int | None) -> bool:
    """No answer (network error, timeout), 429 Too Many Requests, or a 5xx."""
    return status is None or status == 429 or status >= 500


# Failures before a connection was made: retryOn's CONNECTION_TIMEOUT, "TCP/TLS connection
# failures"; any other failure without an answer is its READ_TIMEOUT.
_CONNECTION_FAILURES = frozenset({CONNECT_TIMEOUT_ERROR, "connection_refused", "connect", "dns"})


def failure_condition(result: SendResult) -> str:
    """The retryOn condition a failed attempt meets: HTTP_4XX, HTTP_5XX, CONNECTION_TIMEOUT
    or READ_TIMEOUT ("Retry when server doesn't respond in time"); "" for another answer."""
    if result.status is not None:
        return (
            "HTTP_4XX" if 400 <= result.status < 500 else "HTTP_5XX" if result.status >= 500 else ""
        )
    return "CONNECTION_TIMEOUT" if result.error in _CONNECTION_FAILURES else "READ_TIMEOUT"


# chinwag's own generator: the module's shared one belongs to the app it runs in (a test
# process serving chinwag in a thread, whose Hypothesis checks that state).
_JITTER = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.2
    max_age: timedelta = timedelta(days=3)
    random: Callable[[], float] = field(default=_JITTER.random, compare=False)
    retry_on: frozenset[str] | None = None  # a Setting's retryOn; None: `is_retryable`

    @classmethod
    def twilio_strict(cls) -> "RetryPolicy":
        """Exactly Twilio's behaviour: one attempt, no retries."""
        return cls(schedule=())

    def for_setting(self, retry_count: int, retry_on: Iterable[str]) -> "RetryPolicy":
        """`retry_count` retries on `retry_on` failures, waiting as this schedule does (its
        last wait again past its end; the default schedule's if it has none)."""
        waits = self.schedule or DEFAULT_SCHEDULE
        schedule = tuple(waits[min(number, len(waits) - 1)] for number in range(retry_count))
        return replace(self, schedule=schedule, retry_on=frozenset(retry_on))

    def can_cure(self, result: SendResult) -> bool:
        """Whether a retry is for this failure."""
        if result.permanent:
            return False
        if self.retry_on is None:
            return is_retryable(result.status)
        return "ALL" in self.retry_on or failure_condition(result) in self.retry_on

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
    if policy.can_cure(result):
        retry_at = policy.next_attempt_at(attempt, now, created, result.retry_after)
        if retry_at is not None:
            return RetryDecision(DeliveryStatus.PENDING, retry_at)
    return RetryDecision(DeliveryStatus.FAILED)
