"""Where a benchmark's results came from: the tree measured, the versions, the arguments.

Every results file starts with `provenance(...)`, so a figure in docs/benchmarks.md can
be traced to the commit it was measured at and whether src/ had uncommitted changes.
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


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
