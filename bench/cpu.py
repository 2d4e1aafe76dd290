"""Where the CPU went during a measurement: chinwag's processes, PostgreSQL, the load generator.

On a 2-core machine the processes of a run compete for the same cores, so CPU
seconds per request, by process group, say what limits throughput better than
the rate alone.
"""

from __future__ import annotations

import resource
from collections.abc import Iterable

import psutil  # a dependency of pgserver, installed with chinwag's test extra


def _seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


class CpuMeter:
    """Reads the CPU seconds used so far by each group of processes.

    `chinwag`: the given server or worker processes. `postgres`: the postmaster and
    its children (backends, background writers), when a PostgreSQL pid is given.
    `children`: this process's waited-for children (wrk, run with subprocess.run).
    `others`: more named groups (a webhook receiver, the benchmark itself).
    """

    def __init__(
        self,
        chinwag: Iterable[int],
        postgres: int | None = None,
        others: dict[str, Iterable[int]] | None = None,
    ) -> None:
        self._chinwag = [psutil.Process(pid) for pid in chinwag]
        self._postgres = psutil.Process(postgres) if postgres is not None else None
        self._others = {
            name: [psutil.Process(pid) for pid in pids] for name, pids in (others or {}).items()
        }

    def read(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        found = {
            "chinwag": sum(_seconds(p) for p in self._chinwag),
            "children": usage.ru_utime + usage.ru_stime,
        } | {name: sum(_seconds(p) for p in group) for name, group in self._others.items()}
        if self._postgres is not None:
            # Backends that exited were reaped by the postmaster: their CPU is in its
            # children_* times (a pool closes its overflow connections now and then).
            times = self._postgres.cpu_times()
            found["postgres"] = (
                _seconds(self._postgres)
                + times.children_user
                + times.children_system
                + sum(_seconds(child) for child in self._postgres.children())
            )
        return found

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: after[name] - before[name] for name in before}
