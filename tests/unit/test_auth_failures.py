"""The failed-authentication limit (domain/auth_failures.py), on an injected clock."""

import pytest

from chinwag.domain.auth_failures import FailedAuthLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limit_of(limit: int, clock: Clock, window: float = 60.0) -> FailedAuthLimit:
    return FailedAuthLimit(limit, window=window, clock=clock)


@pytest.mark.parametrize(
    ("failures_at", "asked_at", "retry_after"),
    [
        ([], 0.0, None),  # never failed
        ([0.0, 10.0], 20.0, None),  # under the limit
        ([0.0, 10.0, 20.0], 20.0, 40),  # at the limit: until the oldest is 60 s old
        ([0.0, 10.0, 20.0], 30.0, 30),
        ([0.0, 10.0, 20.0], 59.5, 1),  # rounded up to whole seconds
        ([0.0, 10.0, 20.0], 60.0, None),  # the oldest has left the window
        ([0.0, 10.0, 20.0, 61.0], 61.0, 9),  # the next attempt failed: until t=70
        ([0.0, 50.0, 100.0], 100.0, None),  # three failures, never three in one minute
        ([0.0, 0.0, 0.0, 0.0, 0.0], 0.0, 60),  # a burst checked at once counts once each
    ],
)
def test_a_client_is_refused_until_its_oldest_counted_failure_leaves_the_window(
    failures_at: list[float], asked_at: float, retry_after: int | None
) -> None:
    clock = Clock()
    start = clock.now
    limit = limit_of(3, clock)
    for at in failures_at:
        clock.now = start + at
        limit.record_failure("203.0.113.9")
    clock.now = start + asked_at
    assert limit.retry_after("203.0.113.9") == retry_after


def test_each_client_has_its_own_count() -> None:
    clock = Clock()
    limit = limit_of(2, clock)
    limit.record_failure("127.0.0.1")
    limit.record_failure("127.0.0.1")
    assert limit.retry_after("127.0.0.1") == 60  # loopback is not exempt
    assert limit.retry_after("::1") is None
    assert limit.retry_after("") is None


def test_clients_whose_failures_have_left_the_window_are_forgotten() -> None:
    clock = Clock()
    limit = limit_of(5, clock)
    for number in range(100):
        limit.record_failure(f"198.51.100.{number}")
    clock.now += 61
    limit.record_failure("192.0.2.1")  # a sweep is due: one window has passed
    assert set(limit._failures) == {"192.0.2.1"}


@pytest.mark.parametrize("bad", [0, -1])
def test_a_limit_below_one_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match=f"limit {bad} is not at least 1"):
        FailedAuthLimit(bad)
