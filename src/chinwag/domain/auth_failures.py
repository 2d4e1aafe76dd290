"""How many failed authentications one client may make: HTTP Basic and dashboard sign-in.

A client (its IP address, `request.remote`) that has failed `limit` times within the
last `window` seconds is refused until the oldest of those failures is `window`
seconds old, whatever credentials it sends then: a right guess must not get through
a block. Worked example, limit 3 and window 60: failures at t=0, 10 and 20 block the
client; at t=30 `retry_after` is 30 (seconds until t=60); at t=60 the first failure
has left the window and one more attempt is checked. So no client has more than
`limit` failures checked in any `window` seconds, steadily `limit / window` per second.

Successes are not counted and do not reset the count (a client with one right
credential must not earn fresh guesses at another). Loopback is not exempt. The
count is in memory, per process: each server of a deployment counts on its own.
Attempts already in flight when the limit is reached are still checked.
"""

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0  # seconds


class FailedAuthLimit:
    """At most `limit` failed authentications per client in any `window` seconds."""

    def __init__(
        self, limit: int, window: float = WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError(f"The failed authentication limit {limit} is not at least 1.")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}  # each client's newest `limit` failures
        self._next_sweep = clock() + window

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until `client` may try again (a `Retry-After`), or None: it may now."""
        failures = self._failures.get(client)
        if failures is None or len(failures) < self.limit:
            return None
        wait = failures[0] + self.window - self._clock()
        return math.ceil(wait) if wait > 0 else None

    def record_failure(self, client: str) -> None:
        now = self._clock()
        self._failures.setdefault(client, deque(maxlen=self.limit)).append(now)
        if now >= self._next_sweep:
            self._forget_before(now - self.window)
            self._next_sweep = now + self.window

    def _forget_before(self, oldest: float) -> None:
        """Clients whose newest failure is out of the window: memory stays bounded by the
        clients that failed within one window."""
        for client in [c for c, failures in self._failures.items() if failures[-1] <= oldest]:
            del self._failures[client]
