"""What the worker claims next: the whole backlog, the next rows of webhooks whose
queue ended, or nothing.

A claim of the whole backlog passes over the rows of every webhook still busy
(running, parked or held back): a window of the due index, then a seek per
webhook (`full_claim.claim_due`), where a webhook's own claim is one seek. So it
runs only when new rows may be anywhere: after a wake (rows were queued), at
each poll (retries and lapsed leases come due unannounced), and again after one
that filled its room (more rows wait) once no ended webhook is left. When a
webhook's queue ends, its next rows are claimed through the webhook's index
instead (docs/benchmarks.md, "Delivery").

Bookkeeping only, synchronous, with no database and no network: the worker runs
the claim the plan names.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chinwag.delivery.host_gate import HostGate, QueueKey

# The most rows of one webhook claimed when its queue ends. Leases are renewed while
# rows are held (delivery/leases.py), so a queue may take as long as its receiver
# needs; this only bounds how many rows one webhook keeps from other workers.
ROWS_PER_WEBHOOK = 20


@dataclass(frozen=True)
class ClaimDue:
    """At most `limit` due rows, oldest first, of any webhook or URL but these
    (`full_claim.claim_due`)."""

    limit: int
    skip_webhooks: frozenset[str]
    skip_urls: frozenset[str]


@dataclass(frozen=True)
class ClaimForWebhooks:
    """The next due rows of these webhooks, at most so many each (`outbox.claim_for_webhooks`)."""

    rows_per_webhook: dict[str, int]


Claim = ClaimDue | ClaimForWebhooks | None


class ClaimPlan:
    """Whether new rows may be anywhere, which webhooks' queues ended, and whether the
    last full claim filled its room."""

    def __init__(
        self,
        poll_interval: float,
        rows_per_webhook: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._poll_interval = poll_interval
        self._rows_per_webhook = rows_per_webhook
        self._clock = clock
        self._ended: dict[str, str] = {}  # webhook SID -> host, of queues that ended
        self._woken = True  # new rows may be anywhere
        self._more_due = False  # the last full claim filled its room
        self._last_full_claim = float("-inf")

    def wake(self) -> None:
        """New rows may be anywhere (or a claim failed with ended webhooks in it)."""
        self._woken = True

    def ended(self, keys: Iterable[QueueKey], host: str) -> None:
        """`keys` left the worker: their next rows are for the next claim."""
        for kind, key in keys:
            if kind == "webhook":
                self._ended[key] = host
            else:  # a service-level URL has no index of its own: read everything
                self._woken = True

    def next(self, room: int, running: Iterable[QueueKey], gate: HostGate) -> Claim:
        """At most `room` rows: the whole backlog's, skipping `running` and the queues the
        gate keeps waiting, when new rows may be anywhere; else the next rows of the
        ended webhooks; else the whole backlog's again if the last full claim filled
        its room."""
        if self._woken or self._clock() - self._last_full_claim >= self._poll_interval:
            return self._everywhere_but(room, running, gate)
        wanted = self._next_rows_of_ended_webhooks(room, gate)
        if wanted:
            return ClaimForWebhooks(wanted)
        if self._more_due:
            return self._everywhere_but(room, running, gate)
        return None

    def claimed(self, claim: ClaimDue, rows: int) -> None:
        """The full `claim` took `rows` rows."""
        self._more_due = rows == claim.limit

    def _everywhere_but(self, room: int, running: Iterable[QueueKey], gate: HostGate) -> ClaimDue:
        self._woken, self._last_full_claim = False, self._clock()
        self._ended.clear()  # this claim reads their rows too
        skip = set(running).union(gate.waiting())
        return ClaimDue(
            room,
            frozenset(key for kind, key in skip if kind == "webhook"),
            frozenset(key for kind, key in skip if kind == "service"),
        )

    def _next_rows_of_ended_webhooks(self, room: int, gate: HostGate) -> dict[str, int]:
        """How many rows to claim for each ended webhook, in all at most `room`; those
        past it wait for the next claim. A webhook whose host is full and whose rows
        parking could not take is held back without a claim."""
        wanted: dict[str, int] = {}
        for webhook_sid, host in list(self._ended.items()):
            if room <= 0:
                break
            del self._ended[webhook_sid]
            if gate.hold_back_if_full(("webhook", webhook_sid), host):
                continue
            wanted[webhook_sid] = min(self._rows_per_webhook, room)
            room -= wanted[webhook_sid]
        return wanted
