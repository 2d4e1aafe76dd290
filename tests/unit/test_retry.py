"""The retry policy and decision, as tables: attempt number, answer, and what follows."""

from datetime import UTC, datetime, timedelta

import pytest

from chinwag.delivery.retry import RetryDecision, RetryPolicy, is_retryable, retry_decision
from chinwag.delivery.sender import SendResult, retry_after_seconds
from chinwag.store.outbox import DeliveryStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
PENDING, DELIVERED, FAILED = DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED
NO_JITTER = RetryPolicy(random=lambda: 0.5)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(None, True), (429, True), (500, True), (503, True), (400, False), (404, False), (410, False)],
)
def test_what_a_retry_can_cure(status: int | None, retryable: bool) -> None:
    assert is_retryable(status) is retryable


@pytest.mark.parametrize(
    ("failed", "random_value", "expected_seconds"),
    [
        (1, 0.5, 5.0),  # no jitter at the midpoint
        (1, 0.0, 4.0),  # -20%
        (1, 1.0, 6.0),  # +20%
        (2, 0.5, 300.0),
        (7, 0.5, 36000.0),
    ],
)
def test_schedule_with_jitter(failed: int, random_value: float, expected_seconds: float) -> None:
    policy = RetryPolicy(random=lambda: random_value, max_age=timedelta(days=30))
    assert policy.next_attempt_at(failed, NOW, NOW) == NOW + timedelta(seconds=expected_seconds)


def test_gives_up_after_the_schedule_and_after_max_age() -> None:
    policy = RetryPolicy(schedule=(1.0, 2.0), random=lambda: 0.5, max_age=timedelta(seconds=10))
    assert policy.next_attempt_at(3, NOW, NOW) is None
    assert policy.next_attempt_at(2, NOW + timedelta(seconds=9), NOW) is None  # past max_age
    assert policy.next_attempt_at(2, NOW, NOW) == NOW + timedelta(seconds=2)


def test_retry_after_is_honoured_but_never_shortens_the_wait() -> None:
    policy = RetryPolicy(schedule=(5.0,), random=lambda: 0.5)
    assert policy.next_attempt_at(1, NOW, NOW, retry_after=60) == NOW + timedelta(seconds=60)
    assert policy.next_attempt_at(1, NOW, NOW, retry_after=1) == NOW + timedelta(seconds=5)


def test_twilio_strict_never_retries() -> None:
    assert RetryPolicy.twilio_strict().next_attempt_at(1, NOW, NOW) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("120", 120.0), (" 7 ", 7.0), ("soon", None), ("-5", None)],
)
def test_retry_after_header_in_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_header_as_an_http_date() -> None:
    later = retry_after_seconds("Wed, 21 Oct 2099 07:28:00 GMT")
    past = retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT")
    assert later is not None and later > 0
    assert past == 0.0


@pytest.mark.parametrize(
    ("result", "attempt", "created", "policy", "expected"),
    [
        (SendResult(200, None), 1, NOW, NO_JITTER, RetryDecision(DELIVERED)),
        (SendResult(204, None), 8, NOW, NO_JITTER, RetryDecision(DELIVERED)),  # late, still ok
        (SendResult(500, None), 1, NOW, NO_JITTER, RetryDecision(PENDING, NOW + 5 * SECOND)),
        (SendResult(503, None), 2, NOW, NO_JITTER, RetryDecision(PENDING, NOW + 300 * SECOND)),
        (SendResult(None, "timeout"), 1, NOW, NO_JITTER, RetryDecision(PENDING, NOW + 5 * SECOND)),
        (
            SendResult(429, None, retry_after=60),  # waits as long as the receiver asks
            1,
            NOW,
            NO_JITTER,
            RetryDecision(PENDING, NOW + 60 * SECOND),
        ),
        (SendResult(404, None), 1, NOW, NO_JITTER, RetryDecision(FAILED)),  # no retry cures it
        (SendResult(301, None), 1, NOW, NO_JITTER, RetryDecision(FAILED)),
        (SendResult(None, "denied", permanent=True), 1, NOW, NO_JITTER, RetryDecision(FAILED)),
        (SendResult(500, None), 8, NOW, NO_JITTER, RetryDecision(FAILED)),  # schedule done
        (SendResult(500, None), 1, NOW - timedelta(days=3), NO_JITTER, RetryDecision(FAILED)),
        (SendResult(500, None), 1, NOW, RetryPolicy.twilio_strict(), RetryDecision(FAILED)),
    ],
)
def test_what_an_attempt_leaves_the_delivery(
    result: SendResult,
    attempt: int,
    created: datetime,
    policy: RetryPolicy,
    expected: RetryDecision,
) -> None:
    assert retry_decision(result, attempt, NOW, created, policy) == expected
