"""The requests a worker has in flight: at most `concurrency` at once, each timed, and
all abandoned together when the worker's shutdown grace ends.

A queue awaits its send in its own task (a task per send would cost two turns of
a busy loop for every request). On `abandon`, every queue awaiting a send is
cancelled there, and only there (never in a database write), and that send
returns None instead of a result; a send started afterwards returns None at once.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chinwag.delivery.sender import OutboundRequest, Sender, SendResult

# Seconds requests in flight may still take on stop before they are abandoned.
DEFAULT_SHUTDOWN_GRACE = 10.0


@dataclass(frozen=True)
class Sent:
    result: SendResult
    started_at: datetime
    latency_ms: float


class InFlight:
    def __init__(self, sender: Sender, concurrency: int, clock: Callable[[], datetime]) -> None:
        self._sender = sender
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._sending: set[asyncio.Task[None]] = set()  # queues awaiting a send
        self._abandoned = False

    async def send(self, request: OutboundRequest) -> Sent | None:
        """The sender's result once a slot is free, timed; None once abandoned."""
        async with self._slots:
            if self._abandoned:
                return None
            started_at, started = self._clock(), time.monotonic()
            result = await self._send(request)
            if result is None:
                return None
            return Sent(result, started_at, (time.monotonic() - started) * 1000)

    async def _send(self, request: OutboundRequest) -> SendResult | None:
        task = asyncio.current_task()
        assert task is not None
        self._sending.add(task)
        try:
            return await self._sender.send(request)
        except asyncio.CancelledError:
            if self._abandoned and task.uncancel() == 0:  # ours, and nobody else's
                return None
            raise
        finally:
            self._sending.discard(task)

    def abandon(self) -> None:
        self._abandoned = True
        for queue in list(self._sending):
            queue.cancel()
