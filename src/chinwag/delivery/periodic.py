"""One step run at start and then every `interval` seconds until stopped.

Conversation timers (timers.py) and retention (delivery/retention.py) run this
way. A step that fails is logged and the next one runs on time: a database that
is away for a while must not end either for good.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    """Runs `step` every `interval` seconds; `name` says what failed in the log."""

    def __init__(
        self,
        step: Callable[[], Awaitable[object]],
        interval: float,
        name: str,
        logger: logging.Logger,
    ) -> None:
        self._step = step
        self._interval = interval
        self._failed = f"{name} failed"
        self._logger = logger
        self._stop = asyncio.Event()

    @property
    def stopping(self) -> bool:
        """Whether `stop` was called: a long step checks it to end early."""
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._step()
            except Exception:
                self._logger.exception(self._failed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
