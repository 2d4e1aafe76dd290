"""The retry policy, as a table: attempt number, answer, and when the next try comes."""

from datetime import UTC, datetime, timedelta

import pytest

from chinwag.delivery.retry import RetryPolicy, is_retryable
from chinwag.delivery.sender import retry_after_seconds

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


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
