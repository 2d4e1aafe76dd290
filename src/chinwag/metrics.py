"""Prometheus metrics at GET /chinwag/metrics.

Counters and histograms are kept in this process; queue figures (deliveries by
status, due queue depth, age of the oldest due delivery) are read from the
database at scrape time, so they are right whichever process did the work.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from chinwag.store.database import Database
from chinwag.store.deliveries import QueueFigures, queue_figures
from chinwag.twilio.dates import utc_now

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _QueueCollector(Collector):
    """Yields the queue figures read just before the scrape (collect() cannot await)."""

    def __init__(self) -> None:
        self.figures: QueueFigures = ({}, 0, None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_status, due, oldest = self.figures
        statuses = GaugeMetricFamily(
            "chinwag_deliveries", "Deliveries in the outbox, by status", labels=["status"]
        )
        for status, count in sorted(by_status.items()):
            statuses.add_metric([status], count)
        yield statuses
        yield GaugeMetricFamily("chinwag_deliveries_due", "Pending deliveries due now", value=due)
        age = (utc_now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "chinwag_oldest_due_delivery_age_seconds",
            "How long the oldest due delivery has waited",
            value=max(age, 0.0),
        )


class Metrics:
    """One registry per app, so tests and several apps in one process don't collide."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._queue = _QueueCollector()
        self.registry = CollectorRegistry()
        self.registry.register(self._queue)
        self.requests = Counter(
            "chinwag_api_requests",
            "API requests, by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "chinwag_api_request_seconds",
            "API request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.attempt_seconds = Histogram(
            "chinwag_delivery_attempt_seconds",
            "Delivery attempt latency, by outcome",
            ["outcome"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

        # Each label set's child, kept: `labels()` validates and locks on every call, and
        # a child lives as long as its metric anyway.
        self._request_counts: dict[tuple[str, str, int], Counter] = {}
        self._request_times: dict[tuple[str, str], Histogram] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One API request, by method, route template and status."""
        count = self._request_counts.get((method, route, status))
        if count is None:
            count = self._request_counts[method, route, status] = self.requests.labels(
                method, route, str(status)
            )
        count.inc()
        timing = self._request_times.get((method, route))
        if timing is None:
            timing = self._request_times[method, route] = self.request_seconds.labels(method, route)
        timing.observe(seconds)

    def observe_attempt(self, outcome: str, seconds: float) -> None:
        self.attempt_seconds.labels(outcome).observe(seconds)

    async def render(self) -> bytes:
        self._queue.figures = await self._database.read(queue_figures, utc_now())
        return generate_latest(self.registry)
