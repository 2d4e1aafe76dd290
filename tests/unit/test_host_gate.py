"""The host gate, driven directly with a fake clock: which claimed queue starts, waits
parked for its host, or goes back, and what a queue's end lets through."""

from datetime import UTC, datetime

import pytest

from chinwag.delivery.host_gate import (
    Admission,
    HostGate,
    QueueKey,
    queues_of,
    target_host,
)
from chinwag.store.outbox import Delivery

START, PARKED, GIVEN_BACK = Admission.START, Admission.PARKED, Admission.GIVEN_BACK
HOST, OTHER = "slow:1", "fast:1"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def delivery(number: int, webhook_sid: str | None = None, url: str = "http://slow:1/") -> Delivery:
    return Delivery(
        id=number,
        token=f"token-{number}",
        auth_token="secret",
        webhook_sid=webhook_sid,
        target="webhook",
        event_type="onMessageAdded",
        flow_sid=None,
        url=url,
        method="POST",
        params=[],
        attempts=0,
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )


def queue(rows: int) -> list[Delivery]:
    return [delivery(number) for number in range(rows)]


def key(name: str) -> QueueKey:
    return ("webhook", name)


def gate(clock: Clock | None = None, *, max_parked_rows: int = 3) -> HostGate:
    return HostGate(
        host_concurrency=2,
        max_parked_rows=max_parked_rows,
        max_parked_seconds=150.0,
        clock=clock or Clock(),
    )


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://Hooks.Example.com/a", "hooks.example.com:80"),
        ("https://hooks.example.com/a?b=c", "hooks.example.com:443"),
        ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
        ("http://user:pw@[::1]:9/x", "::1:9"),
        ("http://hooks.example.com:99999/x", "hooks.example.com:None"),  # counted apart
        ("http://[::1", ""),  # stored before validation refused it: the sender will not send
        (None, ""),
    ],
)
def test_target_host_is_host_and_port(url: str | None, host: str) -> None:
    assert target_host(url) == host


def test_queues_are_per_webhook_or_service_url_in_claim_order() -> None:
    rows = [
        delivery(1, "WH1"),
        delivery(2, None, "http://a/"),
        delivery(3, "WH1"),
        delivery(4, None, "http://b/"),
        delivery(5, None, "http://a/"),
    ]
    queues = queues_of(rows)
    assert list(queues) == [("webhook", "WH1"), ("service", "http://a/"), ("service", "http://b/")]
    assert [[d.id for d in queue] for queue in queues.values()] == [[1, 3], [2, 5], [4]]


@pytest.mark.parametrize(
    ("arrivals", "expected", "running", "parked_rows"),
    [
        # (host, rows) in claim order; 2 queues per host, parking holds 3 rows
        ([(HOST, 1), (HOST, 5)], [START, START], 2, 0),
        ([(HOST, 1), (HOST, 1), (HOST, 2), (HOST, 1)], [START, START, PARKED, PARKED], 2, 3),
        ([(HOST, 1), (HOST, 1), (HOST, 4)], [START, START, GIVEN_BACK], 2, 0),
        ([(HOST, 1), (HOST, 1), (HOST, 3), (HOST, 1)], [START, START, PARKED, GIVEN_BACK], 2, 3),
        ([(HOST, 1), (HOST, 1), (OTHER, 9)], [START, START, START], 2, 0),  # its own limit
    ],
)
def test_a_queue_starts_while_its_host_has_room_then_parks_then_goes_back(
    arrivals: list[tuple[str, int]], expected: list[Admission], running: int, parked_rows: int
) -> None:
    hosts = gate()
    admitted = [
        hosts.admit(key(f"WH{n}"), host, queue(rows)) for n, (host, rows) in enumerate(arrivals)
    ]
    assert admitted == expected
    assert (hosts.running(HOST), hosts.parked_rows) == (running, parked_rows)


def test_parked_and_held_back_queues_are_skipped_by_claims_until_their_host_frees() -> None:
    hosts = gate()
    for name, rows in [("A", 1), ("B", 1), ("C", 2), ("D", 1), ("E", 1)]:
        hosts.admit(key(name), HOST, queue(rows))  # A, B start; C, D park; E goes back
    assert sorted(hosts.waiting()) == [key("C"), key("D"), key("E")]

    freed = hosts.free(HOST)  # A ended: C takes its slot
    assert ([p.key for p in freed.start], freed.stale) == ([key("C")], [])
    assert (hosts.running(HOST), hosts.parked_rows, hosts.has_parked(HOST)) == (2, 1, True)

    freed = hosts.free(HOST)  # B ended: D takes its slot, nothing parked is left
    assert [p.key for p in freed.start] == [key("D")]
    assert hosts.has_parked(HOST) is False and hosts.parked_hosts() == []
    assert hosts.pop_held_back(HOST) == {key("E")}  # claimable again
    assert hosts.pop_held_back(HOST) == set()
    assert list(hosts.waiting()) == []

    hosts.free(HOST)
    hosts.free(HOST)
    assert hosts.running(HOST) == 0


@pytest.mark.parametrize(
    ("waited", "started"),
    [(0.0, True), (150.0, True), (150.5, False)],  # given back past half the lease
)
def test_a_queue_parked_too_long_is_given_back_instead_of_started(
    waited: float, started: bool
) -> None:
    clock = Clock()
    hosts = gate(clock)
    hosts.admit(key("A"), HOST, queue(1))
    hosts.admit(key("B"), HOST, queue(1))
    assert hosts.admit(key("C"), HOST, queue(2)) is PARKED
    clock.now += waited
    freed = hosts.free(HOST)
    if started:
        assert [(p.key, p.since) for p in freed.start] == [(key("C"), 100.0)]
        assert freed.stale == [] and hosts.running(HOST) == 2
    else:
        assert freed.start == [] and [p.key for p in freed.stale] == [key("C")]
        assert hosts.running(HOST) == 1
    assert hosts.parked_rows == 0


def test_a_stale_queue_does_not_take_the_slot_of_the_next_one() -> None:
    clock = Clock()
    hosts = gate(clock, max_parked_rows=10)
    for name in "ABC":
        hosts.admit(key(name), HOST, queue(1))
    clock.now += 200  # C is stale now
    hosts.admit(key("D"), HOST, queue(1))
    freed = hosts.free(HOST)
    assert [p.key for p in freed.stale] == [key("C")]
    assert [p.key for p in freed.start] == [key("D")]


def test_stopping_gives_back_every_parked_queue_and_starts_none() -> None:
    hosts = gate()
    for name in "ABCD":
        hosts.admit(key(name), HOST, queue(1))
    freed = hosts.free(HOST, stopping=True)
    assert freed.start == [] and [p.key for p in freed.stale] == [key("C"), key("D")]
    assert (hosts.running(HOST), hosts.parked_rows, hosts.parked_hosts()) == (1, 0, [])


def test_unparking_at_the_end_takes_every_host_without_freeing_a_slot() -> None:
    hosts = gate(max_parked_rows=10)
    for name in "ABC":
        hosts.admit(key(name), HOST, queue(1))
    for name in "DEF":
        hosts.admit(key(name), OTHER, queue(1))
    assert hosts.parked_hosts() == [HOST, OTHER]
    given_back = [hosts.unpark(host, stopping=True) for host in hosts.parked_hosts()]
    assert [[p.key for p in u.stale] for u in given_back] == [[key("C")], [key("F")]]
    assert hosts.unpark(HOST).start == []
    assert hosts.parked_hosts() == []


@pytest.mark.parametrize(
    ("running", "parked_rows", "held_back"),
    [(1, 3, False), (2, 2, False), (2, 3, True)],  # only a full host with parking full
)
def test_an_ended_webhook_is_held_back_unclaimed_only_when_its_host_and_parking_are_full(
    running: int, parked_rows: int, held_back: bool
) -> None:
    hosts = gate()
    for n in range(2):  # another host, full, fills parking
        hosts.admit(key(f"O{n}"), OTHER, queue(1))
    assert hosts.admit(key("P"), OTHER, queue(parked_rows)) is PARKED
    for n in range(running):
        hosts.admit(key(f"R{n}"), HOST, queue(1))
    assert hosts.hold_back_if_full(key("WH"), HOST) is held_back
    assert (key("WH") in set(hosts.waiting())) is held_back
