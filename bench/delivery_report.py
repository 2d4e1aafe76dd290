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
    """Every measurement; with several engines or worker counts, rows per configuration."""

    args: dict[str, Any]
    versions: dict[str, str]
    throughput: list[Throughput] = field(default_factory=list)
    latency_ms: list[list[float]] = field(default_factory=list)  # one list per run
    api_ms: list[list[float]] = field(default_factory=list)  # the POST's answer, per run
    latency_engines: list[str] = field(default_factory=list)  # the engine of each run

    def configs(self) -> list[tuple[str, int]]:
        """(engine, workers) of the worker runs, in the order measured."""
        found = [(t.engine, t.workers) for t in self.throughput if t.kind == "worker"]
        return list(dict.fromkeys(found))

    def rates(
        self, kind: str, engine: str | None = None, workers: int | None = None
    ) -> list[float]:
        return [
            t.per_s
            for t in self.throughput
            if t.kind == kind
            and engine in (None, t.engine)
            and (kind == "raw" or workers in (None, t.workers))
        ]

    def ratios(self, engine: str | None = None, workers: int | None = None) -> list[float]:
        """worker / raw within each run (they ran back to back)."""
        raw, worker = self.rates("raw", engine), self.rates("worker", engine, workers)
        return [w / r for r, w in zip(raw, worker, strict=True)]

    def latency_runs(self, engine: str | None = None) -> list[list[float]]:
        return [
            run
            for run, on in zip(self.latency_ms, self.latency_engines, strict=True)
            if engine in (None, on)
        ]

    def percentile(self, q: int, engine: str | None = None) -> list[float]:
        """The q-th percentile of each latency run."""
        return [
            statistics.quantiles(run, n=100, method="inclusive")[q - 1]
            for run in self.latency_runs(engine)
        ]

    def rows(self) -> dict[str, list[float]]:
        if self.configs() == [("sqlite", 1)]:
            return self._rows("sqlite", {1: "worker, every attempt persisted"}, prefix="")
        found: dict[str, list[float]] = {}
        for engine in dict.fromkeys(engine for engine, _ in self.configs()):
            names = {n: f"{n} worker(s)" for e, n in self.configs() if e == engine}
            found |= self._rows(engine, names, prefix=f"{engine}: ")
        return found

    def _rows(self, engine: str, workers: dict[int, str], prefix: str) -> dict[str, list[float]]:
        found = {f"{prefix}raw ceiling (deliveries/s)": self.rates("raw", engine)}
        for n, name in workers.items():
            found[f"{prefix}{name} (deliveries/s)"] = self.rates("worker", engine, n)
            found[f"{prefix}{name.split(',')[0]} / raw"] = self.ratios(engine, n)
        api_ms = [
            r for r, on in zip(self.api_ms, self.latency_engines, strict=True) if on == engine
        ]
        return found | {
            f"{prefix}event-to-delivery p50 (ms)": self.percentile(50, engine),
            f"{prefix}event-to-delivery p99 (ms)": self.percentile(99, engine),
            f"{prefix}event-to-delivery max (ms)": [max(r) for r in self.latency_runs(engine)],
            f"{prefix}of which the API's answer, p50 (ms)": [statistics.median(r) for r in api_ms],
        }

    def checks(self) -> dict[str, bool]:
        """Issue 5's targets, on SQLite with one worker (none without that configuration)."""
        if ("sqlite", 1) not in self.configs():
            return {}
        median = statistics.median
        rate, ratio = self.rates("worker", "sqlite", 1), self.ratios("sqlite", 1)
        return {
            f">= {TARGET_PER_S:,} deliveries/s": median(rate) >= TARGET_PER_S,
            f">= {TARGET_RATIO:.0%} of the raw ceiling": median(ratio) >= TARGET_RATIO,
            f"p50 < {TARGET_P50_MS} ms": median(self.percentile(50, "sqlite")) < TARGET_P50_MS,
            f"p99 < {TARGET_P99_MS} ms": median(self.percentile(99, "sqlite")) < TARGET_P99_MS,
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
                {
                    "kind": t.kind,
                    "engine": t.engine,
                    "workers": t.workers,
                    "deliveries": t.deliveries,
                    "seconds": t.seconds,
                    "per_s": t.per_s,
                    "cpu_s": t.cpu_s,
                }
                for t in self.throughput
            ],
            "latency_ms": self.latency_ms,
            "latency_engines": self.latency_engines,
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
    runs: int = results.args["runs"]
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
    return "\n".join(lines + cpu_table(results))


CPU_GROUPS = {
    "chinwag": "workers",
    "postgres": "PostgreSQL",
    "receiver": "receiver",
    "bench": "bench",
}


def cpu_table(results: Results) -> list[str]:
    """CPU ms per delivery by process group, median over runs, for each configuration."""
    if not any(t.cpu_s for t in results.throughput):
        return []
    header = " / ".join(CPU_GROUPS.values())
    lines = ["", f"| engine | workers | CPU ms per delivery: {header} |", "|---|---:|---:|"]
    for engine, workers in results.configs():
        runs = [
            t
            for t in results.throughput
            if t.kind == "worker" and (t.engine, t.workers) == (engine, workers) and t.cpu_s
        ]
        cells = [
            statistics.median(1000 * t.cpu_s[group] / t.deliveries for t in runs)
            if group in runs[0].cpu_s
            else None
            for group in CPU_GROUPS
        ]
        text = " / ".join("-" if cell is None else f"{cell:.3f}" for cell in cells)
        lines.append(f"| {engine} | {workers} | {text} |")
    return lines


def _plot_arrivals(results: Results, ax: Any) -> None:
    colours = {"raw": "tab:grey", "worker": "tab:blue"}
    labelled: set[str] = set()
    for t in results.throughput:
        label = None
        if t.kind not in labelled:
            label = "raw ceiling (nothing persisted)" if t.kind == "raw" else "worker (SQLite)"
            labelled.add(t.kind)
        step = max(len(t.offsets_s) // 400, 1)
        xs = t.offsets_s[::step]
        ax.plot(xs, [i * step + 1 for i in range(len(xs))], color=colours[t.kind], label=label)
    ax.set(xlabel="seconds since the first delivery", ylabel="deliveries received")
    ax.set_title("Throughput: outbox to receiver")
    ax.legend(loc="lower right")


def _plot_workers(results: Results, ax: Any) -> None:
    """Median deliveries/s by number of workers, one bar per engine; raw as a line."""
    engines = list(dict.fromkeys(engine for engine, _ in results.configs()))
    workers = sorted({n for _, n in results.configs()})
    width = 0.8 / len(engines)
    colours = ("tab:blue", "tab:orange", "tab:green")
    for k, engine in enumerate(engines):
        xs = [i + (k - (len(engines) - 1) / 2) * width for i in range(len(workers))]
        heights = [statistics.median(results.rates("worker", engine, n)) for n in workers]
        ax.bar(xs, heights, width=width, color=colours[k], label=f"{engine} (median of runs)")
        raw = statistics.median(results.rates("raw", engine))
        ax.axhline(
            raw, color=colours[k], linestyle="--", linewidth=1, label=f"raw ceiling, {engine} rows"
        )
    ax.set_xticks(range(len(workers)), [f"{n} worker(s)" for n in workers])
    ax.set(ylabel="deliveries/s, every attempt persisted")
    ax.set_title("Throughput by number of chinwag workers, 2 cores")
    ax.legend(loc="upper right", fontsize="small")


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
    scale_out = results.configs() != [("sqlite", 1)]
    if scale_out:
        _plot_workers(results, left)
    else:
        _plot_arrivals(results, left)
    engine_colours = {"sqlite": "tab:blue", "postgresql": "tab:orange"}
    counts: dict[str, int] = {}
    for run, engine in zip(results.latency_ms, results.latency_engines, strict=True):
        ordered = sorted(run)
        counts[engine] = counts.get(engine, 0) + 1
        label = f"{engine} run {counts[engine]}" if scale_out else f"run {counts[engine]}"
        style = {"color": engine_colours.get(engine), "alpha": 0.8} if scale_out else {}
        ys = [(k + 1) / len(ordered) for k in range(len(ordered))]
        right.plot(ordered, ys, label=label, **style)
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
