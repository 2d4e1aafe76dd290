"""delivery/outcome_batch.py, delivery/in_flight.py and delivery/idle.py without a database
or network: one write per batch of queues, abandoned sends, and the idle wait."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chinwag.delivery.idle import Wakeup
from chinwag.delivery.in_flight import InFlight
from chinwag.delivery.outcome_batch import OutcomeBatch
from chinwag.delivery.sender import OutboundRequest, SendResult
from chinwag.store.outbox import DeliveryStatus, Outcome

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = OutboundRequest("http://127.0.0.1:9/", "POST", [], "secret", "token")


def outcome(delivery_id: int) -> Outcome:
    return Outcome(delivery_id, DeliveryStatus.DELIVERED, 1, None, 200, None, None)


def test_queues_finishing_in_one_turn_share_one_write_and_later_ones_start_the_next() -> None:
    writes: list[list[int]] = []

    async def write(batch: list[Outcome]) -> None:
        writes.append([o.delivery_id for o in batch])
        await asyncio.sleep(0)  # a write takes at least a turn

    async def scenario() -> None:
        batch = OutcomeBatch(write)
        together = [batch.record([outcome(i)]) for i in (1, 2, 3)]
        await asyncio.gather(*together, batch.record([]))
        await batch.record([outcome(4)])

    asyncio.run(scenario())
    assert writes == [[1, 2, 3], [4]]


def test_a_failed_write_fails_every_queue_of_its_batch() -> None:
    async def write(batch: list[Outcome]) -> None:
        raise RuntimeError("write failed")

    async def scenario() -> list[Any]:
        batch = OutcomeBatch(write)
        records = [batch.record([outcome(i)]) for i in (1, 2)]
        return await asyncio.gather(*records, return_exceptions=True)

    assert [type(r) for r in asyncio.run(scenario())] == [RuntimeError, RuntimeError]


class HangingSender:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, request: OutboundRequest) -> SendResult:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("never answered")


class InstantSender:
    async def send(self, request: OutboundRequest) -> SendResult:
        return SendResult(200, None)


def test_a_send_is_timed_with_the_clock_it_started_on() -> None:
    async def scenario() -> Any:
        return await InFlight(InstantSender(), 1, lambda: NOW).send(REQUEST)

    sent = asyncio.run(scenario())
    assert sent.result.status == 200 and sent.started_at == NOW and sent.latency_ms >= 0


def test_abandoning_ends_the_sends_in_flight_and_refuses_new_ones() -> None:
    async def scenario() -> tuple[Any, Any]:
        sender = HangingSender()
        in_flight = InFlight(sender, 2, lambda: NOW)
        hanging = asyncio.create_task(in_flight.send(REQUEST))
        await sender.started.wait()
        in_flight.abandon()
        return await hanging, await in_flight.send(REQUEST)

    assert asyncio.run(scenario()) == (None, None)


def test_a_cancel_not_from_abandoning_still_cancels() -> None:
    async def scenario() -> None:
        sender = HangingSender()
        hanging = asyncio.create_task(InFlight(sender, 1, lambda: NOW).send(REQUEST))
        await sender.started.wait()
        hanging.cancel()
        await hanging

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())


class NextDue:
    """A stand-in Database whose `read` answers `outbox.next_due` with `due`."""

    def __init__(self, due: datetime | None) -> None:
        self.due, self.reads = due, 0

    async def read(self, work: Any, now: datetime) -> datetime | None:
        self.reads += 1
        return self.due


def test_idle_wait_ends_when_the_next_row_comes_due_or_on_a_wake() -> None:
    async def scenario() -> tuple[int, int]:
        due_soon = NextDue(NOW + timedelta(seconds=0.05))
        await Wakeup().until_due(due_soon, lambda: NOW, 30, 0.01, lambda: False)  # type: ignore[arg-type]
        nothing_due, wakeup = NextDue(None), Wakeup()
        asyncio.get_running_loop().call_later(0.05, wakeup.set)
        await wakeup.until_due(nothing_due, lambda: NOW, 30, 0.01, lambda: False)  # type: ignore[arg-type]
        return due_soon.reads, nothing_due.reads

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == (1, 1)
