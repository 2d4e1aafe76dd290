"""bench/clients.py's results: the Markdown table, the targets and the plot.

Tabulate one or more results files of bench/clients.py (engines, labels) and plot them:

    python bench/clients_report.py bench/results/clients-main.json \
        bench/results/clients-main-pg.json --plot docs/img/clients.png   # needs matplotlib

Issue 31's targets: a message reaches every client with p99 < 100 ms up to 200 clients,
and the server's CPU per change per client is the same within 20% at 1,000 and 100,000
messages of history.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from provenance import compare

P99_TARGET_MS = 100.0
CPU_SPREAD = 0.20

# (column title, how to read it from a run, format)
COLUMNS: list[tuple[str, Any, str]] = [
    ("p50 ms", lambda r: r["latency_ms"]["pairs"]["p50"], "{:.1f}"),
    ("p99 ms", lambda r: r["latency_ms"]["pairs"]["p99"], "{:.1f}"),
    ("max ms", lambda r: r["latency_ms"]["pairs"]["max"], "{:.1f}"),
    ("last client p50 ms", lambda r: r["latency_ms"]["last"]["p50"], "{:.1f}"),
    ("POST p50 ms", lambda r: r["post_ms"]["p50"], "{:.1f}"),
    ("CPU ms/change/client", lambda r: r["cpu_ms_per_change_per_client"]["chinwag"], "{:.3f}"),
    (
        "net of idle",
        lambda r: r["cpu_ms_per_change_per_client_net_of_idle"]["chinwag"],
        "{:.3f}",
    ),
    (
        "PostgreSQL ms/change/client",
        lambda r: r["cpu_ms_per_change_per_client"].get("postgres"),
        "{:.3f}",
    ),
    ("client CPU ms/change/client", lambda r: r["cpu_ms_per_change_per_client"]["bench"], "{:.3f}"),
    ("RSS subscribed MB", lambda r: r["rss_mb"]["subscribed"], "{:.0f}"),
    ("RSS end MB", lambda r: r["rss_mb"]["end"], "{:.0f}"),
    ("subscribe all s", lambda r: r["subscribe"]["wall_s"], "{:.2f}"),
    ("per socket p50 ms", lambda r: r["subscribe"]["each_ms"]["p50"], "{:.0f}"),
    ("load", lambda r: r["machine"]["loadavg_before"][0], "{:.2f}"),
    ("others' CPU s/s", lambda r: r["machine"].get("others_cpu_s_per_s"), "{:.2f}"),
]


def rows(labelled: dict[str, dict[str, Any]]) -> list[tuple[str, str, int, int, dict[str, Any]]]:
    """(label, engine, H, N, the median of each column over runs) in order."""
    found = []
    for label, results in labelled.items():
        for engine, per_engine in results["engines"].items():
            name = per_engine["version"]
            for history, per_history in per_engine["histories"].items():
                by_clients: dict[int, list[dict[str, Any]]] = {}
                for run in per_history["runs"]:
                    by_clients.setdefault(run["clients"], []).append(run)
                for clients, runs in sorted(by_clients.items()):
                    cells: dict[str, Any] = {}
                    for title, read, _ in COLUMNS:
                        values = [v for run in runs if (v := read(run)) is not None]
                        cells[title] = statistics.median(values) if values else None
                    cells["each cpu"] = [COLUMNS[5][1](run) for run in runs]
                    cells["missing"] = sum(run["missing"] for run in runs)
                    cells["runs"] = len(runs)
                    found.append((label, f"{engine} ({name})", int(history), clients, cells))
    return found


def targets(labelled: dict[str, dict[str, Any]]) -> list[str]:
    """Whether each target is met, per label and engine."""
    lines = []
    table = rows(labelled)
    for label, engine in dict.fromkeys((r[0], r[1]) for r in table):
        mine = [r for r in table if r[0] == label and r[1] == engine]
        worst = max(mine, key=lambda r: r[4]["p99 ms"] or float("inf"))
        p99 = worst[4]["p99 ms"]
        met = p99 is not None and p99 < P99_TARGET_MS and all(r[4]["missing"] == 0 for r in mine)
        under = [
            r[3]
            for r in mine
            if all(
                o[4]["p99 ms"] is not None
                and o[4]["p99 ms"] < P99_TARGET_MS
                and not o[4]["missing"]
                for o in mine
                if o[3] == r[3]
            )
        ]
        each = ", ".join(f"H={r[2]:,} N={r[3]}: {r[4]['p99 ms']:.0f}" for r in mine)
        lines.append(
            f"- {label}, {engine}: p99 < {P99_TARGET_MS:.0f} ms to {max(r[3] for r in mine)} "
            f"clients: {'met' if met else 'NOT met'}; met up to N="
            f"{max(under) if under else 'none'} (p99 ms: {each})"
        )
        histories = sorted({r[2] for r in mine})
        if len(histories) < 2:
            continue
        low, high = histories[0], histories[-1]
        for clients in sorted({r[3] for r in mine}):
            for key in ("CPU ms/change/client",):
                at = {r[2]: r[4][key] for r in mine if r[3] == clients}
                if low not in at or high not in at:
                    continue
                change = at[high] / at[low] - 1
                verdict = "met" if abs(change) <= CPU_SPREAD else "NOT met"
                lines.append(
                    f"- {label}, {engine}, N={clients}: {key} at H={high:,} vs H={low:,}: "
                    f"{at[high]:.3f} vs {at[low]:.3f} ms ({change:+.0%}): within "
                    f"{CPU_SPREAD:.0%} {verdict}"
                )
    return lines


def report(labelled: dict[str, dict[str, Any]]) -> str:
    head = ["label", "engine", "H", "N", *(title for title, _, _ in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, engine, history, clients, cells in rows(labelled):
        shown = [
            "-" if cells[title] is None else fmt.format(cells[title]) for title, _, fmt in COLUMNS
        ]
        if cells["missing"]:
            shown[0] += f" ({cells['missing']} missing)"
        lines.append(
            "| " + " | ".join([label, engine, f"{history:,}", str(clients), *shown]) + " |"
        )
    return "\n".join([*lines, "", *targets(labelled)])


def _short(engine: str, label: str, several: bool) -> str:
    """An engine's name for a legend, with the label when it says more than the engine."""
    name = engine.split(" (")[0]
    return f"{name} [{label}]" if several and label != name else name


def save_plot(labelled: dict[str, dict[str, Any]], path: Path) -> None:
    """Left: latency p50 and p99 over (message, client) pairs against N, a line per
    engine and H. Right: server CPU ms per change per client against H, a line per
    engine and N."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    table = rows(labelled)
    several = len(labelled) > 1
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    colours = iter(["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"])
    series = dict.fromkeys((r[0], r[1], r[2]) for r in table)
    for label, engine, history in series:
        mine = sorted((r for r in table if r[:3] == (label, engine, history)), key=lambda r: r[3])
        colour = next(colours)
        name = f"{_short(engine, label, several)}, H={history:,}"
        xs = [r[3] for r in mine]
        left.plot(xs, [r[4]["p50 ms"] for r in mine], "o--", color=colour, label=f"{name} p50")
        left.plot(xs, [r[4]["p99 ms"] for r in mine], "s-", color=colour, label=f"{name} p99")
    left.axhline(P99_TARGET_MS, color="grey", linestyle=":", label="target p99")
    left.set(xlabel="sockets (N)", ylabel="POST start to socket's list_item_added, ms")
    left.set_xticks(sorted({r[3] for r in table}))
    left.set_yscale("log")
    bottom, top = left.get_ylim()
    left.set_ylim(bottom, top * 10)  # room for the legend above the lines
    left.set_title("message-to-client latency over (message, client) pairs (log)", fontsize=10)
    left.legend(fontsize=7, loc="upper left", ncol=2)

    markers = iter("os^vD*")
    lines = dict.fromkeys((r[0], r[1], r[3]) for r in table)
    for label, engine, clients in lines:
        mine = sorted(
            (r for r in table if (r[0], r[1], r[3]) == (label, engine, clients)), key=lambda r: r[2]
        )
        name = f"{_short(engine, label, several)}, N={clients}"
        (line,) = right.plot(
            [r[2] for r in mine],
            [r[4]["CPU ms/change/client"] for r in mine],
            marker=next(markers, "o"),
            label=f"{name} (median)",
        )
        each = [(r[2], v) for r in mine for v in r[4]["each cpu"]]
        right.plot(*zip(*each, strict=True), "_", color=line.get_color(), markersize=10)
    right.set_xscale("log")
    right.set_xticks(
        sorted({r[2] for r in table}), [f"{h:,}" for h in sorted({r[2] for r in table})]
    )
    right.set(xlabel="messages of history (H)", ylabel="server CPU ms per change per client")
    right.set_ylim(bottom=0)
    right.set_title("chinwag CPU / (posts x N); dashes: each run", fontsize=10)
    right.legend(fontsize=7)
    first = next(iter(labelled.values()))["args"]
    fig.suptitle(
        f"{first['posts']} messages posted one at a time to N subscribed SDK sockets",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def _pool(known: dict[str, Any], results: dict[str, Any]) -> None:
    """Files of one label (say one per H) merged; more runs of the same H pooled."""
    for engine, found in results["engines"].items():
        mine = known["engines"].setdefault(engine, found)
        if mine is found:
            continue
        for history, runs in found["histories"].items():
            held = mine["histories"].setdefault(history, runs)
            if held is not runs:
                held["runs"] = held["runs"] + runs["runs"]


def main(argv: list[str] | None = None) -> int:
    return compare(
        argv,
        "Tabulate bench/clients.py results.",
        "clients-<label>.json files",
        "save the latency and CPU plot here",
        report,
        save_plot,
        merge=_pool,
    )


if __name__ == "__main__":
    raise SystemExit(main())
