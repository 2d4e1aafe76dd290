"""Where a benchmark's results came from, and the command line its report shares.

Every results file starts with `provenance(...)`, so a figure in docs/benchmarks.md can
be traced to the commit it was measured at and whether src/ had uncommitted changes.
`compare` is each `*_report.py`'s `main`: read results files, print the table, plot.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


def measured_tree() -> str:
    """The tree whose `chinwag` this Python imports (a checkout's root), said on stderr."""
    import chinwag

    source = str(Path(chinwag.__file__).resolve().parent.parent)
    print(f"chinwag from {source}", file=sys.stderr)
    return source


def git_state(source: str) -> dict[str, Any]:
    """The commit the measured tree is at, and whether its src/ differs from it
    (read-only git commands; None outside a checkout)."""
    try:
        commit = subprocess.run(
            ["git", "-C", source, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", source, "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "uncommitted_files_in_src": None}
    return {"commit": commit, "uncommitted_files_in_src": len(dirty)}


def provenance(label: str, source: str, args: dict[str, Any], elapsed_s: float) -> dict[str, Any]:
    """The head of a results file: label, date, tree, versions, arguments, duration."""
    return {
        "label": label,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "git": git_state(source),
        "versions": {
            "python": platform.python_version(),
            "aiohttp": metadata.version("aiohttp"),
            "sqlalchemy": metadata.version("sqlalchemy"),
            "asyncpg": metadata.version("asyncpg"),
            "cpus": str(os.cpu_count()),
        },
        "args": {k: os.path.relpath(v) if isinstance(v, Path) else v for k, v in args.items()},
        "elapsed_s": round(elapsed_s, 1),
    }


Labelled = dict[str, dict[str, Any]]


def compare(
    argv: list[str] | None,
    description: str,
    files_help: str,
    plot_help: str,
    report: Callable[[Labelled], str],
    save_plot: Callable[[Labelled, Path], None],
    merge: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> int:
    """Print `report` of the results files given, keyed by label, and plot them on
    --plot; a second file of a label is `merge`d into the first (else it replaces it)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("files", type=Path, nargs="+", help=files_help)
    parser.add_argument("--plot", type=Path, help=plot_help)
    args = parser.parse_args(argv)
    labelled: Labelled = {}
    for file in args.files:
        results = json.loads(file.read_text())
        known = labelled.get(results["label"])
        if known is not None and merge is not None:
            merge(known, results)
        else:
            labelled[results["label"]] = results
    print(report(labelled))
    if args.plot:
        save_plot(labelled, args.plot)
        print(f"\nwrote {args.plot}")
    return 0
