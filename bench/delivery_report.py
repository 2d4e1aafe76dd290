"""bench/delivery.py's results: the Markdown table, the JSON file and the plot."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from delivery import Throughput

# The targets, on SQLite.
TARGET_PER_S = 1000
TARGET_RATIO = 0.7
TARGET_P50_MS = 10
TARGET_P99_MS = 50


@dataclass
class Results:
    args: dict[str, Any]
    versions: dict[str, str]
    throughput: list[Throughput] = field(default_factory=list)
    latency_ms: list[list[float]] = field(default_factory=list)  # one list per run
    api_ms: list[list[float]] = field(default_factory=list)  # the POST's answer, per run

    def rates(self, kind: str) -> list[float]:
        return [t.per_s for t in self.throughput if t.kind == kind]

    def ratios(self) -> list[float]:
        """worker / raw within each run (they ran back to back)."""
        return [w / r for r, w in zip(self.rates("raw"), self.rates("worker"), strict=True)]

    def percentile(self, q: int) -> list[float]:
        """The q-th percentile of each latency run."""
        return [
            statistics.quantiles(run, n=100, method="inclusive")[q - 1] for run in self.latency_ms
        ]

    def rows(self) -> dict[str, list[float]]:
        return {
            "raw ceiling (deliveries/s)": self.rates("raw"),
            "worker, every attempt persisted (deliveries/s)": self.rates("worker"),
            "worker / raw": self.ratios(),
            "event-to-delivery p50 (ms)": self.percentile(50),
            "event-to-delivery p99 (ms)": self.percentile(99),
            "event-to-delivery max (ms)": [max(run) for run in self.latency_ms],
            "of which the API's answer, p50 (ms)": [statistics.median(r) for r in self.api_ms],
        }

    def checks(self) -> dict[str, bool]:
        median = statistics.median
        return {
            f">= {TARGET_PER_S:,} deliveries/s": median(self.rates("worker")) >= TARGET_PER_S,
            f">= {TARGET_RATIO:.0%} of the raw ceiling": median(self.ratios()) >= TARGET_RATIO,
            f"p50 < {TARGET_P50_MS} ms": median(self.percentile(50)) < TARGET_P50_MS,
            f"p99 < {TARGET_P99_MS} ms": median(self.percentile(99)) < TARGET_P99_MS,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": self.versions,
            "args": {
                k: os.path.relpath(v) if isinstance(v, Path) else v for k, v in self.args.items()
            },
            "runs": {
                name: {"values": values, "median": statistics.median(values)}
                for name, values in self.rows().items()
            },
            "throughput": [
                {"kind": t.kind, "deliveries": t.deliveries, "seconds": t.seconds, "per_s": t.per_s}
                for t in self.throughput
            ],
            "latency_ms": self.latency_ms,
            "api_ms": self.api_ms,
            "checks": self.checks(),
        }


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "aiohttp": metadata.version("aiohttp"),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "sqlite": __import__("sqlite3").sqlite_version,
        "chinwag": metadata.version("chinwag"),
        "cpus": str(os.cpu_count()),
    }


def _fmt(name: str, value: float) -> str:
    if "/ raw" in name:
        return f"{value:.2f}"
    return f"{value:,.0f}" if "deliveries/s" in name else f"{value:.2f}"


def report(results: Results) -> str:
    runs = len(results.latency_ms)
    header = " | ".join(f"run {i}" for i in range(1, runs + 1))
    lines = [
        f"| measurement | {header} | median | spread |",
        "|---|" + "---:|" * (runs + 2),
    ]
    for name, values in results.rows().items():
        cells = " | ".join(_fmt(name, v) for v in values)
        spread = f"{_fmt(name, min(values))}-{_fmt(name, max(values))}"
        lines.append(f"| {name} | {cells} | {_fmt(name, statistics.median(values))} | {spread} |")
    lines.append("")
    for check, met in results.checks().items():
        lines.append(f"- {check} (median of runs): {'met' if met else 'NOT met'}")
    return "\n".join(lines)


def save_plot(results: Results, path: Path) -> None:
    """Deliveries over time (each run) and the latency distribution; needs matplotlib."""
    try:
        import matplotlib
        import matplotlib.ticker

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"raw": "tab:grey", "worker": "tab:blue"}
    labelled: set[str] = set()
    for t in results.throughput:
        label = None
        if t.kind not in labelled:
            label = "raw ceiling (nothing persisted)" if t.kind == "raw" else "worker (SQLite)"
            labelled.add(t.kind)
        step = max(len(t.offsets_s) // 400, 1)
        xs = t.offsets_s[::step]
        left.plot(xs, [i * step + 1 for i in range(len(xs))], color=colours[t.kind], label=label)
    left.set(xlabel="seconds since the first delivery", ylabel="deliveries received")
    left.set_title("Throughput: outbox to receiver")
    left.legend(loc="lower right")
    for i, run in enumerate(results.latency_ms, start=1):
        ordered = sorted(run)
        right.plot(ordered, [(k + 1) / len(ordered) for k in range(len(ordered))], label=f"run {i}")
    targets: str | None = f"targets: p50 {TARGET_P50_MS} ms, p99 {TARGET_P99_MS} ms"
    for target in (TARGET_P50_MS, TARGET_P99_MS):
        right.axvline(target, color="tab:red", linestyle=":", linewidth=1, label=targets)
        targets = None
    right.set_xscale("log")
    right.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    right.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    right.set_xticks([1, 2, 5, 10, 20, 50, 100])
    right.set(xlabel="ms, message POST to arrival (log)", ylabel="fraction of messages")
    right.set_title("Event-to-delivery latency, idle server")
    right.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
