"""bench/fanout.py's results: the JSON file, the Markdown table and the plot.

Compare labelled runs (each a results file of bench/fanout.py) and plot them:

    python bench/fanout_report.py /tmp/before.json bench/results/fanout.json \
        --plot docs/img/fanout.png
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from provenance import compare, provenance

# (key in a run's summary, column title, format)
COLUMNS = [
    ("chinwag_cpu_s", "chinwag CPU s", "{:.2f}"),
    ("postgres_cpu_s", "PostgreSQL CPU s", "{:.2f}"),
    ("wall_s", "wall s", "{:.2f}"),
    ("health_median_ms", "health median ms", "{:.1f}"),
    ("health_max_ms", "health max ms", "{:.0f}"),
    ("idle_health_median_ms", "idle health median ms", "{:.1f}"),
    ("post_median_ms", "POST median ms", "{:.1f}"),
    ("idle_cpu_per_s", "idle CPU s/s", "{:.3f}"),
]


def summary(run: dict[str, Any]) -> dict[str, float | None]:
    return {
        "chinwag_cpu_s": run["cpu_s"]["chinwag"],
        "postgres_cpu_s": run["cpu_s"].get("postgres"),
        "wall_s": run["wall_s"],
        "health_median_ms": run["health_ms"]["median"],
        "health_max_ms": run["health_ms"]["max"],
        "idle_health_median_ms": (run.get("idle_health_ms") or {}).get("median"),
        "post_median_ms": run["post_ms"]["median"],
        "idle_cpu_per_s": run["idle_cpu_s_per_s"]["chinwag"],
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    rows = [summary(run) for run in runs]
    found: dict[str, float | None] = {}
    for key in rows[0]:
        values = [value for row in rows if (value := row[key]) is not None]
        found[key] = statistics.median(values) if values else None
    return found


def results_json(
    label: str, source: str, engines: dict[str, Any], args: dict[str, Any], elapsed_s: float
) -> dict[str, Any]:
    out: dict[str, Any] = {**provenance(label, source, args, elapsed_s), "engines": {}}
    for engine, found in engines.items():
        out["engines"][engine] = {
            "version": found["version"],
            "medians": medians(found["runs"]),
            "runs": found["runs"],
        }
    return out


def report(labelled: dict[str, dict[str, Any]]) -> str:
    """One row per engine and label: the medians over runs, then every run's CPU and wall."""
    head = ["engine", "tree", *(title for _, title, _ in COLUMNS), "runs: CPU s / wall s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    engines = list(dict.fromkeys(e for results in labelled.values() for e in results["engines"]))
    for engine in engines:
        for label, results in labelled.items():
            found = results["engines"].get(engine)
            if found is None:
                continue
            middle = found["medians"]
            cells = [
                "-" if middle[key] is None else fmt.format(middle[key]) for key, _, fmt in COLUMNS
            ]
            each = ", ".join(
                f"{run['cpu_s']['chinwag']:.2f} / {run['wall_s']:.2f}"
                + (" (timed out)" if run["timed_out"] else "")
                for run in found["runs"]
            )
            lines.append("| " + " | ".join([engine, label, *cells, each]) + " |")
    return "\n".join(lines)


def save_plot(labelled: dict[str, dict[str, Any]], path: Path) -> None:
    """chinwag's CPU seconds (median, and each run) per engine, one bar per label."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    labels = list(labelled)
    engines = list(dict.fromkeys(e for results in labelled.values() for e in results["engines"]))
    first = next(iter(labelled.values()))["args"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    width = 0.8 / len(labels)
    colours = ("tab:orange", "tab:blue", "tab:green", "tab:red")
    for k, label in enumerate(labels):
        xs, heights, each_x, each_y = [], [], [], []
        for i, engine in enumerate(engines):
            found = labelled[label]["engines"].get(engine)
            if found is None:
                continue
            x = i + (k - (len(labels) - 1) / 2) * width
            xs.append(x)
            heights.append(found["medians"]["chinwag_cpu_s"])
            runs = [run["cpu_s"]["chinwag"] for run in found["runs"]]
            each_x += [x] * len(runs)
            each_y += runs
            top = max([*runs, heights[-1]])
            ax.annotate(
                f"{heights[-1]:.2f}",
                (x, top),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
            )
        ax.bar(xs, heights, width=width, color=colours[k % 4], label=f"{label} (median)")
        ax.plot(each_x, each_y, "_", color="black", markersize=14, label="each run" if k else None)
    names = [
        next(r["engines"][e]["version"] for r in labelled.values() if e in r["engines"])
        for e in engines
    ]
    ax.set_xticks(range(len(engines)), names)
    ax.set(ylabel="chinwag server CPU seconds")
    ax.set_title(
        f"{first['posts']} messages fanned out to {first['clients']} sockets "
        f"({first['history']:,} in history)",
        fontsize=10,
    )
    ax.legend(loc="upper right")
    ax.margins(y=0.15)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    return compare(
        argv,
        "Compare bench/fanout.py results.",
        "fanout-<label>.json files",
        "save a bar chart of CPU seconds here",
        report,
        save_plot,
    )


if __name__ == "__main__":
    raise SystemExit(main())
