"""bench/media_memory.py's results: the JSON file, the Markdown table and the plot.

Compare labelled runs (each a results file of bench/media_memory.py) and plot them:

    python bench/media_memory_report.py /tmp/media-before.json \
        bench/results/media-memory.json --plot docs/img/media-memory.png
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from provenance import compare, provenance

STEPS = ("upload", "download")


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per step: the median peak RSS rise (MiB, from VmHWM and from the 20 ms samples),
    time (s) and the server's CPU seconds; and how many downloads round-tripped."""
    found: dict[str, Any] = {}
    for step in STEPS:
        each = [run[step] for run in runs]
        found[step] = {
            "peak_rise_mib": round(statistics.median(s["peak_rise_mib"] for s in each), 1),
            "sampled_peak_rise_mib": round(
                statistics.median(s["sampled_peak_rise_mib"] for s in each), 1
            ),
            "time_s": round(statistics.median(s["time_s"] for s in each), 2),
            "chinwag_cpu_s": round(statistics.median(s["cpu_s"]["chinwag"] for s in each), 2),
        }
    found["round_tripped"] = sum(1 for run in runs if run["download"]["round_tripped"])
    return found


def results_json(
    label: str, source: str, engines: dict[str, Any], args: dict[str, Any], elapsed_s: float
) -> dict[str, Any]:
    out: dict[str, Any] = {**provenance(label, source, args, elapsed_s), "engines": {}}
    for engine, found in engines.items():
        out["engines"][engine] = {
            "version": found["version"],
            "contents": {
                content: {"medians": medians(runs), "runs": runs}
                for content, runs in found["contents"].items()
            },
        }
    return out


def _loads(results: dict[str, Any]) -> list[float]:
    """The 1-minute load averages read before each measured step."""
    return [
        run[step]["loadavg_before"][0]
        for found in results["engines"].values()
        for content in found["contents"].values()
        for run in content["runs"]
        for step in STEPS
    ]


def report(labelled: dict[str, dict[str, Any]]) -> str:
    """One row per engine, content and label: the medians over runs, then every run's
    peak rises; under the table, the load average during each label's steps."""
    head = [
        "engine",
        "content",
        "tree",
        "upload: peak RSS rise MiB",
        "upload s",
        "download: peak RSS rise MiB",
        "download s",
        "bytes round-tripped",
        "runs: upload / download rise MiB",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---|" + "---:|" * 5 + "---|"]
    engines = list(dict.fromkeys(e for results in labelled.values() for e in results["engines"]))
    for engine in engines:
        contents = list(
            dict.fromkeys(
                c
                for results in labelled.values()
                for c in results["engines"].get(engine, {}).get("contents", {})
            )
        )
        for content in contents:
            for label, results in labelled.items():
                found = results["engines"].get(engine, {}).get("contents", {}).get(content)
                if found is None:
                    continue
                middle, runs = found["medians"], found["runs"]
                each = ", ".join(
                    f"{run['upload']['peak_rise_mib']:.1f} / {run['download']['peak_rise_mib']:.1f}"
                    for run in runs
                )
                cells = [
                    results["engines"][engine]["version"],
                    content,
                    label,
                    f"{middle['upload']['peak_rise_mib']:.1f}",
                    f"{middle['upload']['time_s']:.2f}",
                    f"{middle['download']['peak_rise_mib']:.1f}",
                    f"{middle['download']['time_s']:.2f}",
                    f"{middle['round_tripped']} of {len(runs)}",
                    each,
                ]
                lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for label, results in labelled.items():
        loads = _loads(results)
        mib = results["args"]["mib"]
        lines.append(
            f"{label}: {mib} MiB media; 1-minute load average before the steps "
            f"{min(loads):.2f}-{max(loads):.2f} (median {statistics.median(loads):.2f}) "
            f"on {results['versions']['cpus']} CPUs"
        )
    return "\n".join(lines)


def save_plot(labelled: dict[str, dict[str, Any]], path: Path) -> None:
    """The median peak RSS rise (and each run's) per engine and content, one panel per
    step, one bar per label."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    labels = list(labelled)
    groups = list(
        dict.fromkeys(
            (engine, content)
            for results in labelled.values()
            for engine, found in results["engines"].items()
            for content in found["contents"]
        )
    )
    versions = {
        engine: found["version"].split()[0]
        for results in labelled.values()
        for engine, found in results["engines"].items()
    }
    mib = next(iter(labelled.values()))["args"]["mib"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    width = 0.8 / len(labels)
    colours = ("tab:orange", "tab:blue", "tab:green", "tab:red")
    for ax, step in zip(axes, STEPS, strict=True):
        for k, label in enumerate(labels):
            xs, heights, each_x, each_y = [], [], [], []
            for i, (engine, content) in enumerate(groups):
                found = labelled[label]["engines"].get(engine, {}).get("contents", {}).get(content)
                if found is None:
                    continue
                x = i + (k - (len(labels) - 1) / 2) * width
                xs.append(x)
                heights.append(found["medians"][step]["peak_rise_mib"])
                runs = [run[step]["peak_rise_mib"] for run in found["runs"]]
                each_x += [x] * len(runs)
                each_y += runs
                ax.annotate(
                    f"{heights[-1]:.0f}",
                    (x, max([*runs, heights[-1]])),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
            ax.bar(xs, heights, width=width, color=colours[k % 4], label=f"{label} (median)")
            ax.plot(
                each_x, each_y, "_", color="black", markersize=10, label="each run" if k else None
            )
        ax.set_xticks(range(len(groups)), [f"{versions[e]}\n{c}" for e, c in groups], fontsize=9)
        ax.set_title(f"{step} of {mib} MiB", fontsize=10)
        ax.margins(y=0.12)
    axes[0].set(ylabel="chinwag server: peak RSS rise, MiB")
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    return compare(
        argv,
        "Compare bench/media_memory.py results.",
        "media-memory-<label>.json files",
        "save a bar chart of the peak rises here",
        report,
        save_plot,
    )


if __name__ == "__main__":
    raise SystemExit(main())
