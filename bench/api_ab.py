"""CPU per create of two chinwag source trees, side by side, on a loaded machine.

Run from the repository root, with chinwag installed (`pip install -e '.[bench]'`):

    git archive BASE src | tar -x -C /tmp/base
    python bench/api_ab.py --base /tmp/base/src --branch src

On a shared machine the load moves by a factor of two within a minute, and the
CPU a request costs moves with it (bench/api.py's runs minutes apart disagree by
30%). Here both servers run at once (`chinwag serve` with PYTHONPATH set to each
tree, each on its own fresh database of `--engine`, SQLite by default, with
`--processes` processes) and bench/api.py's wrk runs alternate between them, base
first then branch first, `--rounds` times per level, so each pair of runs sees the
same load. Levels: the closed-loop connection counts, then both paced at half of
base's fastest closed-loop rate. Reported per level: the median CPU milliseconds per
create of each tree (the server processes' user and system time over its 201s,
bench/cpu.py), their ratio, the median created/s and p99, and the load average.
Results: a table on stdout and `--out` (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import api
from cpu import CpuMeter
from engines import databases, integers

TREES = ("base", "branch")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A/B CPU per create (see module docstring).")
    parser.add_argument("--base", type=Path, required=True, help="the base tree's src directory")
    parser.add_argument("--branch", type=Path, required=True, help="the branch's src directory")
    parser.add_argument("--levels", type=integers, default=[1, 8, 32, 64])
    parser.add_argument("--rounds", type=int, default=6, help="run pairs per level (default 6)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per run (default 3)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="`chinwag serve --processes`")
    parser.add_argument("--out", type=Path, default=api.BENCH / "results" / "api-ab.json")
    args = parser.parse_args(argv)
    sources = {"base": args.base.resolve(), "branch": args.branch.resolve()}

    runs: list[dict[str, object]] = []
    table: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="chinwag-ab-") as tmp, ExitStack() as stack:
        dbs = stack.enter_context(databases(args.engine, Path(tmp)))
        targets: dict[str, tuple[api.Target, api.Pool]] = {}
        for tree in TREES:
            work = Path(tmp) / tree
            work.mkdir()
            url = dbs.new(f"ab-{tree}")
            target = api.chinwag_target(args.engine, url, 1, 10, args.processes)
            target.env |= {"PYTHONPATH": str(sources[tree])}
            target.meter = CpuMeter(stack.enter_context(api.running(target, work)))
            pool = api.Pool(work / "sids", [], True)
            pool.save()
            api.top_up(target, pool, 4000 * api.WARMUP_S)
            api.run_wrk(target, pool, 8, api.WARMUP_S)
            targets[tree] = (target, pool)

        fastest = 0.0
        levels: list[tuple[int, float | None]] = [(c, None) for c in args.levels]
        for connections, rate in [*levels, (max(args.levels), -1.0)]:
            if rate is not None:  # the paced level: half of base's fastest run so far
                rate = fastest / 2
            level = f"{connections} conns" if rate is None else f"paced {rate:,.0f}/s"
            found: dict[str, list[dict[str, float]]] = {tree: [] for tree in TREES}
            for i in range(args.rounds):
                for tree in TREES if i % 2 == 0 else TREES[::-1]:
                    target, pool = targets[tree]
                    api.top_up(target, pool, (rate or 2 * max(fastest, 800)) * args.duration)
                    load = os.getloadavg()[0]
                    run = api.run_wrk(target, pool, connections, args.duration, rate=rate)
                    created = run.statuses.get("201", 0)
                    if tree == "base" and rate is None:
                        fastest = max(fastest, run.created_per_s)
                    one = {
                        "cpu_ms": 1000 * run.cpu_s["chinwag"] / max(created, 1),
                        "created_per_s": run.created_per_s,
                        "p99_ms": run.latency_ms["p99"],
                        "load": load,
                    }
                    found[tree].append(one)
                    runs.append({"tree": tree, "level": level, "failures": run.failures, **one})
            row = {
                f"{tree}_{key}": statistics.median(r[key] for r in found[tree])
                for tree in TREES
                for key in ("cpu_ms", "created_per_s", "p99_ms", "load")
            }
            row["ratio"] = row["branch_cpu_ms"] / row["base_cpu_ms"]
            table.append((level, row))
            print(level, json.dumps(row), file=sys.stderr)

    print(
        "| level | load | base: CPU ms/create | created/s | p99 ms "
        "| branch: CPU ms/create | created/s | p99 ms | branch/base |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level, row in table:
        print(
            f"| {level} | {row['base_load']:.1f} | {row['base_cpu_ms']:.3f} "
            f"| {row['base_created_per_s']:,.0f} | {row['base_p99_ms']:.1f} "
            f"| {row['branch_cpu_ms']:.3f} | {row['branch_created_per_s']:,.0f} "
            f"| {row['branch_p99_ms']:.1f} | {row['ratio']:.2f} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"levels": dict(table), "runs": runs}, indent=1) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
