"""bench/api.py's results: the Markdown tables, the JSON file and the scale-out plot.

`python bench/api_report.py RUN.json... [--plot PATH]` prints the scale-out table over
several runs (and plots their medians); `--peers-plot PATH` plots created/s by
connections for chinwag, the ceiling and Prism of each run instead (e.g. a run
before and one after a change).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api import Run, Target

BENCH = Path(__file__).resolve().parent
PRISM_PACKAGE = BENCH / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
BASELINE = "chinwag-sqlite-1"  # the embedded default, the one the peers are compared with


def versions(databases: dict[str, str]) -> dict[str, str]:
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    found = {
        "wrk": wrk,
        "python": platform.python_version(),
        "aiohttp": metadata.version("aiohttp"),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "chinwag": metadata.version("chinwag"),
        "cpus": str(os.cpu_count()),
    }
    if PRISM_PACKAGE.exists():
        found["prism"] = json.loads(PRISM_PACKAGE.read_text())["version"]
    if "postgresql" in databases:
        found["asyncpg"] = metadata.version("asyncpg")
    return found | databases


def report(targets: dict[str, Target]) -> tuple[str, dict[str, bool]]:
    """Every run, then the peers' checks (with --peers) and the scale-out summary."""
    lines = [
        "| target | load | created/s (201) | p50 ms | p99 ms | non-201 or errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for target in targets.values():
        assert target.half_load is not None
        for run in [*target.runs, target.half_load]:
            load = f"{run.connections} conns"
            if run.rate is not None:
                load = f"paced {run.rate:,.0f}/s ({run.connections} conns)"
            lines.append(
                f"| {target.name} | {load} | {run.created_per_s:,.0f} | "
                f"{run.latency_ms['p50']:.2f} | {run.latency_ms['p99']:.2f} | "
                f"{run.failures} |"
            )
    checks: dict[str, bool] = {}
    if {"hello", "prism", BASELINE} <= targets.keys():
        peer_lines, checks = _peer_checks(targets)
        lines += ["", *peer_lines]
    lines += _processes_lines(targets)
    chinwags = [t for t in targets.values() if t.engine is not None and t.processes == 1]
    if len(chinwags) > 1:
        lines += ["", *scaleout_table(chinwags)]
    return "\n".join(lines), checks


def _processes_lines(targets: dict[str, Target]) -> list[str]:
    """chinwag with --processes N against hello-world with as many processes."""
    hellos = {t.processes: t for t in targets.values() if t.name.startswith("hello")}
    lines = []
    for target in targets.values():
        hello = hellos.get(target.processes)
        if target.engine is None or target.processes == 1 or hello is None:
            continue
        ratio = target.peak.created_per_s / hello.peak.created_per_s
        lines.append(
            f"- {target.name} peak / {hello.name} peak: {target.peak.created_per_s:,.0f} / "
            f"{hello.peak.created_per_s:,.0f} = {ratio:.2f}"
        )
    return ["", *lines] if lines else []


def _peer_checks(targets: dict[str, Target]) -> tuple[list[str], dict[str, bool]]:
    chinwag, hello, prism = targets[BASELINE], targets["hello"], targets["prism"]
    assert chinwag.half_load is not None
    peak = chinwag.peak.created_per_s
    ratios = {
        "prism": peak / max(prism.peak.created_per_s, 1e-9),
        "hello": peak / hello.peak.created_per_s,
    }
    p99 = chinwag.half_load.latency_ms["p99"]
    checks = {
        "5x Prism throughput": ratios["prism"] >= 5,
        "0.3 of hello-world ceiling": ratios["hello"] >= 0.3,
        "p99 < 10 ms at half of peak load": p99 < 10,
    }
    lines = [
        f"- chinwag peak / Prism peak: {ratios['prism']:.1f}x (target >= 5x): "
        f"{'met' if checks['5x Prism throughput'] else 'NOT met'}",
        f"- chinwag peak / hello-world peak: {ratios['hello']:.2f} (target >= 0.3): "
        f"{'met' if checks['0.3 of hello-world ceiling'] else 'NOT met'}",
        f"- chinwag p99 at half of peak: {p99:.2f} ms (target < 10 ms): "
        f"{'met' if checks['p99 < 10 ms at half of peak load'] else 'NOT met'}",
        f"- Prism with the exact seed request: HTTP {prism.seed_probe['status']}",
    ]
    return lines, checks


def scaleout_table(chinwags: list[Target]) -> list[str]:
    """Peak creates/s by engine and number of servers, against one server on that engine,
    with the CPU each create cost at the peak (chinwag's servers / PostgreSQL / wrk)."""
    lines = [
        "| engine | servers | peak created/s | at conns | p99 at peak ms "
        "| p50 / p99 at half of peak ms | vs 1 server | CPU ms per create: chinwag / pg / wrk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target in chinwags:
        assert target.half_load is not None
        one = next((t for t in chinwags if t.engine == target.engine and len(t.ports) == 1), None)
        versus = f"{target.peak.created_per_s / one.peak.created_per_s:.2f}x" if one else "-"
        half = target.half_load.latency_ms
        lines.append(
            f"| {target.engine} | {len(target.ports)} | {target.peak.created_per_s:,.0f} | "
            f"{target.peak.connections} | {target.peak.latency_ms['p99']:.1f} | "
            f"{half['p50']:.2f} / {half['p99']:.2f} | {versus} | {cpu_per_create(target.peak)} |"
        )
    return lines


def cpu_per_create(run: Run) -> str:
    created = max(run.statuses.get("201", 0), 1)
    parts = [run.cpu_s.get(name) for name in ("chinwag", "postgres", "children")]
    return " / ".join("-" if part is None else f"{1000 * part / created:.2f}" for part in parts)


def results_json(
    targets: dict[str, Target], args: dict[str, Any], databases: dict[str, str]
) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(databases),
        "duration_s": args["duration"],
        "levels": args["levels"],
        "pool_size": args["pool_size"],
        "targets": {
            name: {
                "measured": t.measured,
                "engine": t.engine,
                "servers": len(t.ports),
                "body": t.body,
                "seed_probe": t.seed_probe,
                "runs": [asdict(run) | {"created_per_s": run.created_per_s} for run in t.runs],
                "half_load": asdict(t.half_load) if t.half_load else None,
            }
            for name, t in targets.items()
        },
    }


def save_plot(runs: list[dict[str, Any]], path: Path) -> None:
    """Creates/s by connections for each engine and server count, the median over
    `runs` (each a results file's "targets"); needs matplotlib."""
    try:
        import matplotlib
        import matplotlib.ticker

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    chinwags = {name: t for name, t in runs[0].items() if t["engine"] is not None}
    engines = list(dict.fromkeys(t["engine"] for t in chinwags.values()))
    fig, axes = plt.subplots(1, len(engines), figsize=(5.5 * len(engines), 4.2), sharey=True)
    levels: set[int] = set()
    for ax, engine in zip([axes] if len(engines) == 1 else axes, engines, strict=True):
        for name, target in chinwags.items():
            if target["engine"] != engine:
                continue
            xs = [run["connections"] for run in target["runs"]]
            ys = [
                statistics.median(r[name]["runs"][i]["created_per_s"] for r in runs)
                for i in range(len(xs))
            ]
            levels |= set(xs)
            ax.plot(xs, ys, marker="o", label=f"{target['servers']} server(s)")
        ax.set_xscale("log", base=2)
        ax.set(xlabel="wrk connections (closed loop)", ylabel="webhooks created/s (201)")
        ax.set_title(
            f"API creates, {engine}, 2 cores"
            + (f" (median of {len(runs)})" if len(runs) > 1 else "")
        )
        ax.legend(loc="lower right")
    for ax in [axes] if len(engines) == 1 else axes:
        ax.set_xticks(sorted(levels))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_ylim(bottom=0)  # once every line is drawn: the axes share their y limits
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def save_peers_plot(files: dict[str, Path], path: Path) -> None:
    """Created/s by connections for every target (chinwag, the hello ceiling, Prism) of
    each labelled results file, e.g. {"before": ..., "after": ...}; needs matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = ["--", "-", ":", "-."]  # one per run; one colour per target
    colours = {"chinwag": "tab:blue", "hello": "tab:gray", "prism": "tab:orange"}
    for style, (label, file) in zip(styles, files.items(), strict=False):
        for name, target in json.loads(file.read_text())["targets"].items():
            closed = [run for run in target["runs"] if run["rate"] is None]
            xs = [run["connections"] for run in closed]
            ys = [run["created_per_s"] for run in closed]
            colour = colours.get(name.split("-")[0])
            marker = "s" if name.endswith("-p2") else "o"  # `--processes 2`
            named = name if len(files) == 1 else f"{name} ({label})"
            ax.plot(xs, ys, style, color=colour, marker=marker, label=named)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("connections (wrk, closed loop)")
    ax.set_ylabel("created/s (201 only)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def summarize(files: list[Path]) -> str:
    """The scale-out table over several runs' JSON files: each run's peak, the median."""
    runs = [json.loads(path.read_text())["targets"] for path in files]
    header = " | ".join(f"run {i}" for i in range(1, len(runs) + 1))
    lines = [
        f"| engine | servers | peak created/s: {header} | median | vs 1 server "
        "| p99 ms at half of peak (median) | CPU ms per create: chinwag / pg / wrk (median) |",
        "|---|---:|" + "---:|" * (len(runs) + 4),
    ]
    medians: dict[tuple[str, int], float] = {}
    for name, first in runs[0].items():
        if first["engine"] is None:
            continue
        peaks = [max(t[name]["runs"], key=lambda run: run["created_per_s"]) for t in runs]
        rates = [peak["created_per_s"] for peak in peaks]
        key = (first["engine"], first["servers"])
        medians[key] = statistics.median(rates)
        one = medians.get((first["engine"], 1))
        versus = f"{medians[key] / one:.2f}x" if one else "-"
        half_p99 = statistics.median(t[name]["half_load"]["latency_ms"]["p99"] for t in runs)
        cpu = []
        for group in ("chinwag", "postgres", "children"):
            values = [
                1000 * p["cpu_s"][group] / max(p["statuses"].get("201", 0), 1)
                for p in peaks
                if group in p["cpu_s"]
            ]
            cpu.append(f"{statistics.median(values):.2f}" if values else "-")
        cells = " | ".join(f"{rate:,.0f}" for rate in rates)
        lines.append(
            f"| {key[0]} | {key[1]} | {cells} | {medians[key]:,.0f} | {versus} "
            f"| {half_p99:.1f} | {' / '.join(cpu)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="The scale-out table over several runs.")
    parser.add_argument("runs", type=Path, nargs="+", help="bench/api.py results files")
    parser.add_argument("--plot", type=Path, help="also save the plot of the runs' medians")
    parser.add_argument(
        "--peers-plot",
        type=Path,
        help="instead, plot created/s by connections for each target of each run "
        "(bench/api.py's default run: chinwag, hello, Prism), runs labelled by file name",
    )
    args = parser.parse_args()
    if args.peers_plot:
        save_peers_plot({path.stem: path for path in args.runs}, args.peers_plot)
        raise SystemExit(0)
    print(summarize(args.runs))
    if args.plot:
        save_plot([json.loads(path.read_text())["targets"] for path in args.runs], args.plot)
