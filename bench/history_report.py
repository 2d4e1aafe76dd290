"""bench/history.py's results: query plans, the Markdown table, the JSON file and the plot."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event

from chinwag.store.database import open_database
from chinwag.store.messages import list_messages
from chinwag.twilio.pagination import DEFAULT_PAGE_SIZE, PageRequest

if TYPE_CHECKING:
    from seed import Layout

TARGET_RATIO = 1.5  # the issue's: latency at 1,000,000 messages within 1.5x of at 1,000


def _plan(conn: Connection, conversation_sid: str, request: PageRequest, desc: bool) -> list[str]:
    """EXPLAIN of the SQL chinwag runs for this message list (captured as it runs)."""
    captured: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        captured.append((args[2], args[3]))  # statement, parameters

    event.listen(conn, "before_cursor_execute", capture)
    try:
        list_messages(conn, conversation_sid, request, descending=desc)
    finally:
        event.remove(conn, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [str(row[-1]) for row in rows]
    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
    return [str(row[0]) for row in rows]


def explain_lists(url: str, layout: Layout, page_token: str) -> dict[str, list[str]]:
    """The plans of the message lists history.py measures, on the database at `url`."""
    first = PageRequest(DEFAULT_PAGE_SIZE, 0)
    after = PageRequest(DEFAULT_PAGE_SIZE, 0, after_id=int(page_token.removeprefix("PA")))
    lists = {
        "list messages, hot, first page": (layout.hot, first, False),
        "list messages, hot, newest first": (layout.hot, first, True),
        "list messages, hot, PageToken a quarter in": (layout.hot, after, False),
        "list messages, small conversation": (layout.small[0], first, False),
    }

    async def run() -> dict[str, list[str]]:
        database = open_database(url)
        try:
            return {name: await database.read(_plan, *how) for name, how in lists.items()}
        finally:
            await database.close()

    return asyncio.run(run())


def _median_of_rounds(rounds: list[list[float]], q: int) -> float:
    return statistics.median(
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] for values in rounds
    )


def summary(latencies: dict[str, dict[int, list[list[float]]]]) -> dict[str, Any]:
    """Per operation and size: p50 and p99 (median over rounds) and each round's."""
    found: dict[str, Any] = {}
    for op, by_size in latencies.items():
        found[op] = {}
        for size, rounds in by_size.items():
            found[op][size] = {
                "p50": _median_of_rounds(rounds, 50),
                "p99": _median_of_rounds(rounds, 99),
                "rounds_p50": [statistics.median(r) for r in rounds],
                "rounds_p99": [
                    statistics.quantiles(r, n=100, method="inclusive")[98] for r in rounds
                ],
            }
    return found


def report(engines: dict[str, Any], sizes: list[int]) -> str:
    small, large = sizes
    lines = [
        f"| engine | operation | p50 ms at {small:,} | p50 ms at {large:,} | p50 ratio "
        f"| p99 ms at {small:,} | p99 ms at {large:,} | p99 ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, found in engines.items():
        for op, by_size in summary(found["latency_ms"]).items():
            a, b = by_size[small], by_size[large]
            lines.append(
                f"| {engine} | {op} | {a['p50']:.2f} | {b['p50']:.2f} | "
                f"{_ratio(a['p50'], b['p50'])} | {a['p99']:.2f} | {b['p99']:.2f} | "
                f"{_ratio(a['p99'], b['p99'])} |"
            )
    lines.append("")
    lines.append(f"Ratios above {TARGET_RATIO}x (the target) are in bold.")
    for engine, found in engines.items():
        lines.append("")
        lines.append(f"Plans on {engine} at {large:,} messages:")
        for name, plan in found["plans"].items():
            lines.append(f"- {name}: " + " / ".join(line.strip() for line in plan))
    return "\n".join(lines)


def _ratio(small: float, large: float) -> str:
    ratio = large / small
    text = f"{ratio:.2f}x"
    return f"**{text}**" if ratio > TARGET_RATIO else text


def results_json(engines: dict[str, Any], args: dict[str, Any], elapsed_s: float) -> dict[str, Any]:
    small, large = args["sizes"]
    out: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            "aiohttp": metadata.version("aiohttp"),
            "sqlalchemy": metadata.version("sqlalchemy"),
            "asyncpg": metadata.version("asyncpg"),
            "chinwag": metadata.version("chinwag"),
            "cpus": str(os.cpu_count()),
        },
        "args": {k: os.path.relpath(v) if isinstance(v, Path) else v for k, v in args.items()},
        "elapsed_s": round(elapsed_s, 1),
        "target_ratio": TARGET_RATIO,
        "engines": {},
    }
    for engine, found in engines.items():
        table = summary(found["latency_ms"])
        out["engines"][engine] = {
            "version": found["version"],
            "seed_s": found["seed_s"],
            "plans": found["plans"],
            "operations": {
                op: {
                    "by_size": by_size,
                    "ratio_p50": by_size[large]["p50"] / by_size[small]["p50"],
                    "ratio_p99": by_size[large]["p99"] / by_size[small]["p99"],
                }
                for op, by_size in table.items()
            },
        }
    return out


def save_plot(engines: dict[str, Any], sizes: list[int], path: Path) -> None:
    """p50 bars and p99 ticks per operation, both sizes, one panel per engine."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    names = list(next(iter(engines.values()))["latency_ms"])
    fig, axes = plt.subplots(1, len(engines), figsize=(6.5 * len(engines), 4.8), sharey=True)
    for ax, found in zip([axes] if len(engines) == 1 else axes, engines.values(), strict=True):
        table = summary(found["latency_ms"])
        height = 0.38
        for k, (size, colour) in enumerate(zip(sizes, ("tab:blue", "tab:orange"), strict=True)):
            ys = [i + (0.5 - k) * height for i in range(len(names))]
            p50 = [table[name][size]["p50"] for name in names]
            p99 = [table[name][size]["p99"] for name in names]
            ax.barh(ys, p50, height=height, color=colour, label=f"{size:,} messages: p50")
            ax.plot(p99, ys, "|", color="black", markersize=9, label="p99" if k else None)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.set(xlabel="ms per request (one at a time)")
        ax.set_title(found["version"])
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
