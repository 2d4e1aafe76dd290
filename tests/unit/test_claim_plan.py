"""The claim plan, driven directly with a fake clock: a full claim on a wake, a poll or a
claim that filled its room; else the next rows of the webhooks whose queue ended; else
nothing."""

from collections.abc import Callable

import pytest

from chinwag.delivery.claim_plan import (
    ClaimDue,
    ClaimForWebhooks,
    ClaimPlan,
)
from chinwag.delivery.host_gate import HostGate, QueueKey

POLL = 1.0
EVERYTHING = ClaimDue(10, frozenset(), frozenset())


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def webhook(sid: str) -> QueueKey:
    return ("webhook", sid)


def gate(max_parked_rows: int = 100) -> HostGate:
    return HostGate(host_concurrency=1, max_parked_rows=max_parked_rows, max_parked_seconds=60)


def after_a_full_claim(clock: Clock, rows_per: int = 3) -> ClaimPlan:
    """A plan whose first, full claim took less than its room."""
    plan = ClaimPlan(POLL, rows_per, clock)
    claim = plan.next(10, [], gate())
    assert claim == EVERYTHING  # a new worker reads everything
    plan.claimed(claim, 4)
    return plan


def test_between_polls_with_nothing_ended_nothing_is_claimed() -> None:
    clock = Clock()
    plan = after_a_full_claim(clock)
    clock.now += POLL / 2
    assert plan.next(10, [], gate()) is None


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (lambda plan, clock: plan.wake(), "a wake: new rows may be anywhere"),
        (lambda plan, clock: setattr(clock, "now", clock.now + POLL), "a poll is due"),
        (lambda plan, clock: plan.ended([("service", "http://a/")], "a:80"), "no index"),
    ],
)
def test_a_full_claim_follows(event: Callable[[ClaimPlan, Clock], object], why: str) -> None:
    clock = Clock()
    plan = after_a_full_claim(clock)
    event(plan, clock)
    assert plan.next(10, [], gate()) == EVERYTHING, why
    assert plan.next(10, [], gate()) is None  # and only one


def test_a_full_claim_skips_running_parked_and_held_back_queues() -> None:
    hosts = gate(max_parked_rows=0)
    hosts.admit(webhook("WH1"), "a:80", [])  # runs
    hosts.admit(("service", "http://a/2"), "a:80", [])  # parked (an empty queue fits)
    hosts.hold_back_if_full(webhook("WH3"), "a:80")
    running = [webhook("WH1"), ("service", "http://b/")]
    claim = ClaimPlan(POLL, 3, Clock()).next(10, running, hosts)
    assert claim == ClaimDue(10, frozenset({"WH1", "WH3"}), frozenset({"http://a/2", "http://b/"}))


def test_ended_webhooks_get_their_next_rows_up_to_the_room_the_rest_wait() -> None:
    clock = Clock()
    plan = after_a_full_claim(clock, rows_per=3)
    plan.ended([webhook("WH1"), webhook("WH2"), webhook("WH3")], "a:80")
    assert plan.next(5, [], gate()) == ClaimForWebhooks({"WH1": 3, "WH2": 2})
    assert plan.next(5, [], gate()) == ClaimForWebhooks({"WH3": 3})
    assert plan.next(5, [], gate()) is None


def test_ended_webhooks_come_before_another_claim_of_everything_after_a_full_one() -> None:
    clock = Clock()
    plan = ClaimPlan(POLL, 3, clock)
    claim = plan.next(10, [], gate())
    assert isinstance(claim, ClaimDue)
    plan.claimed(claim, 10)  # filled its room: more rows may be due
    plan.ended([webhook("WH1")], "a:80")
    assert plan.next(10, [], gate()) == ClaimForWebhooks({"WH1": 3})
    assert plan.next(10, [], gate()) == EVERYTHING
    plan.claimed(EVERYTHING, 9)
    assert plan.next(10, [], gate()) is None


def test_a_full_claim_takes_the_ended_webhooks_along() -> None:
    clock = Clock()
    plan = after_a_full_claim(clock)
    plan.ended([webhook("WH1")], "a:80")
    plan.wake()
    assert plan.next(10, [], gate()) == EVERYTHING
    assert plan.next(10, [], gate()) is None  # WH1's rows were in that claim's reach


def test_an_ended_webhook_whose_host_and_parking_are_full_is_held_back_unclaimed() -> None:
    clock = Clock()
    plan = after_a_full_claim(clock)
    hosts = gate(max_parked_rows=0)
    hosts.admit(webhook("WH9"), "full:80", [])  # the host's one slot
    plan.ended([webhook("WH1"), webhook("WH2")], "full:80")
    plan.ended([webhook("WH3")], "free:80")
    assert plan.next(10, [], hosts) == ClaimForWebhooks({"WH3": 3})
    assert set(hosts.waiting()) == {webhook("WH1"), webhook("WH2")}
    assert hosts.pop_held_back("full:80") == {webhook("WH1"), webhook("WH2")}
