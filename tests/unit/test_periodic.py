"""The periodic runner behind timers and retention: a step at start, then one per interval,
a failing step logged and the next run anyway, and a stop that ends the wait at once."""

import asyncio
import logging

import pytest

from chinwag.delivery.periodic import Periodic

LOGGER = logging.getLogger("chinwag.test_periodic")


def test_steps_run_until_stopped_and_a_failing_one_does_not_end_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        if len(calls) == 3:
            periodic.stop()

    periodic = Periodic(step, 0, "test step", LOGGER)  # no wait between steps
    with caplog.at_level("ERROR", logger=LOGGER.name):
        asyncio.run(periodic.run())

    assert calls == [1, 2, 3]
    assert [record.getMessage() for record in caplog.records] == ["test step failed"]
    assert caplog.records[0].exc_info is not None


def test_the_first_step_runs_at_start_and_stop_ends_the_wait_at_once() -> None:
    async def scenario() -> list[str]:
        steps: list[str] = []

        async def step() -> None:
            steps.append("step")

        periodic = Periodic(step, 3600, "test step", LOGGER)
        running = asyncio.create_task(periodic.run())
        while not steps:
            await asyncio.sleep(0)
        assert not periodic.stopping
        periodic.stop()
        assert periodic.stopping
        await asyncio.wait_for(running, 5)  # not an hour
        return steps

    assert asyncio.run(scenario()) == ["step"]


def test_a_runner_stopped_before_it_runs_runs_no_step() -> None:
    steps: list[str] = []

    async def step() -> None:
        steps.append("step")

    periodic = Periodic(step, 0, "test step", LOGGER)
    periodic.stop()
    asyncio.run(periodic.run())
    assert steps == []
