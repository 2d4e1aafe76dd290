"""Start-up benchmark: `LiveServer` start to healthy on a fresh SQLite file.

Run from the repository root, with chinwag installed (`pip install -e '.[bench]'`):

    python bench/startup.py            # about 15 s

Each of `--runs` (default 10) starts is `chinwag.testing.LiveServer(...).start()`
on a new, empty SQLite file in a temporary directory: the server process (forked
from the launcher's fork server, `chinwag.launcher`; the first start also starts
that), creating the schema, opening the database and the first 200 from
`/chinwag/health`. The server is stopped after each start (not timed). Prints each
start, the median and the spread, and the CPU time the server process had used when
it answered (less disturbed by a busy machine than the wall time); `--json` writes
them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from chinwag.testing import LiveServer


def one_start(directory: Path, index: int) -> tuple[float, float]:
    """Wall seconds from start to healthy, and the server's CPU seconds by then."""
    server = LiveServer(directory / f"startup-{index}.db")
    began = time.perf_counter()
    server.start()
    elapsed = time.perf_counter() - began
    assert server.process is not None
    times = psutil.Process(server.process.pid).cpu_times()
    server.stop()
    return elapsed, times.user + times.system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start-up benchmark (see module docstring).")
    parser.add_argument("--runs", type=int, default=10, help="starts to time (default 10)")
    parser.add_argument("--json", type=Path, help="write the timings here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chinwag-startup-") as work:
        runs = [one_start(Path(work), i) for i in range(args.runs)]
    times, cpus = [run[0] for run in runs], [run[1] for run in runs]
    for i, (seconds, cpu) in enumerate(runs, 1):
        print(f"start {i}: {seconds:.3f} s (server CPU {cpu:.3f} s)", file=sys.stderr)
    median = statistics.median(times)
    print(
        f"LiveServer start to healthy, fresh SQLite file: median {median:.3f} s "
        f"({min(times):.3f}-{max(times):.3f}) over {len(times)} starts; "
        f"server CPU by then: median {statistics.median(cpus):.3f} s; "
        f"the first start (with the fork server's): {times[0]:.3f} s"
    )
    if args.json:
        summary = {"seconds": times, "median": median, "cpu_seconds": cpus}
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
