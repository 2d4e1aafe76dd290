"""Which claimed queue starts now, waits parked for a slot on its host, or goes back.

At most `host_concurrency` queues (so requests) go to one host:port at once, so
many webhooks on one slow receiver take neither all the sending slots nor all the
claim room. A queue claimed while its host is full is parked: kept, still leased,
to start as the host frees, because with many webhooks on one receiver giving
queues back and claiming them again costs more than the sends (bench/delivery.py).
Parking holds at most `max_parked_rows` rows; past that a queue is given back
unsent and held back (claims skip it) until a queue of its host ends. A parked
queue that waited longer than `max_parked_seconds` is given back instead of
started: sent later, another worker could take it meanwhile.

Bookkeeping only, synchronous, with no database and no network: the worker
starts the queues, gives rows back and claims.
"""

import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from chinwag.store.outbox import Delivery

DEFAULT_PORTS = {"http": 80, "https": 443}
# Requests (so queues) at once to one host:port.
DEFAULT_HOST_CONCURRENCY = 10
# Seconds a parked queue may wait for its host before it is given back for any worker.
MAX_PARKED_SECONDS = 60.0

# ("webhook", webhook_sid), or ("service", url) for a service-level webhook.
QueueKey = tuple[str, str]


def queue_key(delivery: Delivery) -> QueueKey:
    """Deliveries to one webhook (or one service-level URL) go out one after another."""
    if delivery.webhook_sid is not None:
        return ("webhook", delivery.webhook_sid)
    return ("service", delivery.url or "")


def queues_of(deliveries: list[Delivery]) -> dict[QueueKey, list[Delivery]]:
    """`deliveries` by queue, each queue in their order."""
    queues: dict[QueueKey, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        queues[queue_key(delivery)].append(delivery)
    return queues


def target_host(url: str | None) -> str:
    """`host:port` of a URL, the unit of the per-host limit ("" without a URL)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1", stored before validation refused it: never sent
        return ""
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port out of range: the send will fail, count it apart
        port = None
    return f"{parts.hostname}:{port}"


@dataclass(frozen=True)
class Parked:
    """A claimed queue waiting for a slot on its host, since `since` (the gate's clock)."""

    key: QueueKey
    queue: list[Delivery]
    since: float


class Admission(Enum):
    START = "start"  # counted as running on its host: start it now
    PARKED = "parked"  # kept until its host frees
    GIVEN_BACK = "given back"  # release its rows; held back until its host frees


@dataclass(frozen=True)
class Unparked:
    start: list[Parked]  # counted as running on their host: start them now
    stale: list[Parked]  # release their rows: they are claimable again


class HostGate:
    """Queues running per host, the parked queues and the held-back keys."""

    def __init__(
        self,
        host_concurrency: int,
        max_parked_rows: int,
        max_parked_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host_concurrency = host_concurrency
        self._max_parked_rows = max_parked_rows
        self._max_parked_seconds = max_parked_seconds
        self._clock = clock
        self._running: Counter[str] = Counter()  # queues running per host
        self._parked: dict[str, deque[Parked]] = {}
        self._parked_rows = 0
        self._held_back: dict[str, set[QueueKey]] = defaultdict(set)

    def running(self, host: str) -> int:
        return self._running[host]

    @property
    def parked_rows(self) -> int:
        return self._parked_rows

    def admit(self, key: QueueKey, host: str, queue: list[Delivery]) -> Admission:
        if self._running[host] < self._host_concurrency:
            self._running[host] += 1
            return Admission.START
        if self._parked_rows + len(queue) <= self._max_parked_rows:
            self._parked.setdefault(host, deque()).append(Parked(key, queue, self._clock()))
            self._parked_rows += len(queue)
            return Admission.PARKED
        self._held_back[host].add(key)
        return Admission.GIVEN_BACK

    def hold_back_if_full(self, key: QueueKey, host: str) -> bool:
        """Hold `key` back, unclaimed, when its host is full and parking too."""
        if (
            self._running[host] < self._host_concurrency
            or self._parked_rows < self._max_parked_rows
        ):
            return False
        self._held_back[host].add(key)
        return True

    def free(self, host: str, *, stopping: bool = False) -> Unparked:
        """A queue of `host` ended: its parked queues that may start, or must go back."""
        self._running[host] -= 1
        if self._running[host] == 0:
            del self._running[host]
        return self.unpark(host, stopping=stopping)

    def unpark(self, host: str, *, stopping: bool = False) -> Unparked:
        """Parked queues of `host` to start, while it has room, and those to give back:
        every one when `stopping`, else those parked too long."""
        start: list[Parked] = []
        stale: list[Parked] = []
        parked = self._parked.get(host, deque())
        while parked and (stopping or self._running[host] < self._host_concurrency):
            entry = parked.popleft()
            self._parked_rows -= len(entry.queue)
            if stopping or self._clock() - entry.since > self._max_parked_seconds:
                stale.append(entry)
            else:
                self._running[host] += 1
                start.append(entry)
        if not parked:
            self._parked.pop(host, None)
        return Unparked(start, stale)

    def has_parked(self, host: str) -> bool:
        return host in self._parked

    def parked_hosts(self) -> list[str]:
        return list(self._parked)

    def pop_held_back(self, host: str) -> set[QueueKey]:
        """The queues of `host` held back, no longer: claims may take them again."""
        return self._held_back.pop(host, set())

    def waiting(self) -> Iterator[QueueKey]:
        """The queues parked or held back: claims skip them."""
        for entries in self._parked.values():
            yield from (entry.key for entry in entries)
        for keys in self._held_back.values():
            yield from keys
