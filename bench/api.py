"""API benchmark: the seed's create call against chinwag, Prism and a hello-world ceiling.

Run from the repository root, with chinwag installed (`pip install -e .`):

    bench/setup.sh && python bench/api.py

Three servers run side by side on 127.0.0.1 and are loaded one after the other
by the same load generator (wrk, one thread, bench/create.lua):

- chinwag: `chinwag serve` on a fresh SQLite file, the seed's request
  (POST /v1/Conversations/{Sid}/Webhooks, two repeated Configuration.Filters);
  each conversation takes at most 5 creates (Twilio's limit), so the script
  creates conversations ahead of each run and rotates the path over them.
- hello: bench/hello.py, the smallest aiohttp.web endpoint: the ceiling.
- prism: `prism mock` of the same OpenAPI document, the stateless peer. Prism
  answers the seed request with 422 (it does not read repeated form keys as an
  array), so it is probed once with the seed and measured with the seed minus
  Configuration.Filters, for which it returns its static example with 201.

For each target: a warm-up, then closed-loop runs at each concurrency level, then
a run paced at half of that target's peak rate (wrk's delay() hook in
create.lua) for the latency at half load. Only 201s count as successes.
Results: a table on stdout (Markdown) and bench/results/api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
SPEC = BENCH.parent / "src" / "chinwag" / "spec" / "twilio_conversations_v1.json"
PRISM = BENCH / "node_modules" / ".bin" / "prism"
LUA = BENCH / "create.lua"

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token"
WEBHOOKS_PATH = "/v1/Conversations/%s/Webhooks"
SEED_BODY = (
    "Target=webhook&Configuration.Url=https%3A%2F%2Fexample.com&Configuration.Method=get"
    "&Configuration.Filters=onMessageSent&Configuration.Filters=onConversationDestroyed"
    "&Configuration.ReplayAfter=7"
)
PRISM_BODY = (
    "Target=webhook&Configuration.Url=https%3A%2F%2Fexample.com&Configuration.Method=get"
    "&Configuration.ReplayAfter=7"
)
PER_CONVERSATION = 5  # scoped webhooks a conversation may hold (chinwag error 50361 after)
WINDOW = 64  # must match WINDOW in create.lua
WARMUP_S = 2


@dataclass(frozen=True)
class Run:
    """One wrk run: closed loop at `connections`, or paced at `rate` requests/s."""

    connections: int
    rate: float | None
    duration_s: float
    requests: int
    issued: int
    statuses: dict[str, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def created_per_s(self) -> float:
        return self.statuses.get("201", 0) / self.duration_s

    @property
    def failures(self) -> int:
        """Responses other than 201, plus socket errors and time-outs."""
        return self.requests - self.statuses.get("201", 0) + sum(self.errors.values())


@dataclass
class Pool:
    """ConversationSids for create.lua; a real pool is used up 5 creates per conversation."""

    file: Path
    sids: list[str]
    real: bool
    first: int = 0

    def limit(self, connections: int) -> int | None:
        """Requests a run may issue before create.lua stops it (None: no limit)."""
        if not self.real:
            return None
        windows = (len(self.sids) - self.first) // WINDOW
        return max(windows * WINDOW * PER_CONVERSATION - connections, 1)

    def use(self, issued: int) -> None:
        if self.real:
            self.first += WINDOW * math.ceil(issued / (WINDOW * PER_CONVERSATION))

    def save(self) -> None:
        self.file.write_text("\n".join(self.sids) + "\n")


@dataclass
class Target:
    name: str
    measured: str
    body: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    half_load: Run | None = None
    seed_probe: dict[str, object] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def peak(self) -> Run:
        return max(self.runs, key=lambda run: run.created_per_s)


def auth_header() -> dict[str, str]:
    token = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_wrk(
    target: Target, pool: Pool, connections: int, duration_s: int, rate: float | None = None
) -> Run:
    limit = pool.limit(connections)
    env = os.environ | {
        "BENCH_SIDS": str(pool.file),
        "BENCH_FIRST": str(pool.first),
        "BENCH_LIMIT": str(limit or 0),
        "BENCH_PATH": WEBHOOKS_PATH,
        "BENCH_BODY": target.body,
        "BENCH_PER_CONVERSATION": str(PER_CONVERSATION),
        "BENCH_RATE": str(rate or 0),
    }
    authorization = auth_header()["Authorization"]
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--timeout",
        "2s",
        "-s",
        str(LUA),
        "-H",
        f"Authorization: {authorization}",
        target.url,
    ]
    out = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=duration_s + 60
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    pool.use(data["issued"])
    return Run(
        connections=connections,
        rate=rate,
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        issued=data["issued"],
        statuses=data["statuses"],
        errors=data["errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
    )


async def create_conversations(url: str, count: int, concurrency: int = 32) -> list[str]:
    """POST /v1/Conversations `count` times; returns the new ConversationSids."""
    sids: list[str] = []
    todo = iter(range(count))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in todo:
            data = {"FriendlyName": f"bench {i}"}
            async with session.post(f"{url}/v1/Conversations", data=data) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"create conversation: {resp.status} {await resp.text()}")
                sids.append((await resp.json())["sid"])

    async with aiohttp.ClientSession(headers=auth_header()) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return sids


def top_up(target: Target, pool: Pool, requests: float) -> None:
    """Make sure the pool has fresh conversations for `requests` more creates."""
    needed = pool.first + math.ceil(requests / PER_CONVERSATION / WINDOW + 1) * WINDOW
    if not pool.real or len(pool.sids) >= needed:
        return
    count = needed - len(pool.sids)
    started = time.perf_counter()
    pool.sids += asyncio.run(create_conversations(target.url, count))
    pool.save()
    print(
        f"  created {count} conversations in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )


def probe(target: Target, body: str) -> dict[str, object]:
    """Send one create with `body` to a made-up conversation; returns status and body."""

    async def send() -> dict[str, object]:
        headers = auth_header() | {"Content-Type": "application/x-www-form-urlencoded"}
        async with aiohttp.ClientSession(headers=headers) as session:
            path = WEBHOOKS_PATH % ("CH" + "0" * 32)
            async with session.post(target.url + path, data=body, headers=headers) as resp:
                return {"status": resp.status, "body": (await resp.text())[:600]}

    return asyncio.run(send())


def wait_ready(
    name: str, port: int, process: subprocess.Popen[bytes], timeout_s: float = 90
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not listen on port {port} in {timeout_s} s")


def measure(target: Target, pool: Pool, levels: list[int], duration_s: int) -> None:
    """Warm up, run each level, then pace at half of the peak. Conversations for
    chinwag are created between runs, 1.5 times what the fastest run so far used."""
    top_up(target, pool, 4000 * WARMUP_S)
    warmup = run_wrk(target, pool, 8, WARMUP_S)
    expected_rps = 1.5 * warmup.requests / warmup.duration_s
    for connections in levels:
        top_up(target, pool, expected_rps * duration_s)
        run = run_wrk(target, pool, connections, duration_s)
        expected_rps = max(expected_rps, 1.5 * run.requests / run.duration_s)
        target.runs.append(run)
        log_run(target, run, duration_s)
    peak = target.peak
    top_up(target, pool, peak.created_per_s * duration_s)
    target.half_load = run_wrk(
        target, pool, peak.connections, duration_s, rate=peak.created_per_s / 2
    )
    log_run(target, target.half_load, duration_s)


def log_run(target: Target, run: Run, duration_s: int) -> None:
    load = f"c={run.connections}" if run.rate is None else f"paced {run.rate:,.0f}/s"
    short = ""
    if run.duration_s < 0.9 * duration_s:
        short = f" (pool used up after {run.duration_s:.1f} s)"
    print(
        f"  {target.name} {load}: {run.created_per_s:,.0f} created/s, p99 "
        f"{run.latency_ms['p99']:.1f} ms, {run.failures} failed{short}",
        file=sys.stderr,
    )


def make_targets(db: Path) -> list[Target]:
    chinwag = shutil.which("chinwag")
    if chinwag is None:
        raise SystemExit("chinwag is not installed: pip install -e .")
    hello = Target(
        "hello",
        "any POST -> fixed 201 (aiohttp.web, no parsing or storage)",
        SEED_BODY,
        [sys.executable, str(BENCH / "hello.py")],
        free_port(),
    )
    hello.command += ["--port", str(hello.port)]
    server = Target(
        "chinwag",
        "seed create: 2 repeated Filters, SQLite insert, 201 JSON",
        SEED_BODY,
        [chinwag, "serve", "--host", "127.0.0.1"],
        free_port(),
        env={"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
    )
    server.command += ["--port", str(server.port), "--database", f"sqlite:///{db}"]
    prism = Target(
        "prism",
        "seed minus Configuration.Filters -> static example 201",
        PRISM_BODY,
        [str(PRISM), "mock", str(SPEC), "-v", "silent"],
        free_port(),
    )
    prism.command += ["-p", str(prism.port)]
    return [hello, server, prism]


def versions() -> dict[str, str]:
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    prism = json.loads((BENCH / "node_modules/@stoplight/prism-cli/package.json").read_text())
    return {
        "wrk": wrk,
        "prism": prism["version"],
        "python": platform.python_version(),
        "aiohttp": metadata.version("aiohttp"),
        "chinwag": metadata.version("chinwag"),
        "cpus": str(os.cpu_count()),
    }


def report(targets: dict[str, Target]) -> tuple[str, dict[str, bool]]:
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
    chinwag, hello, prism = targets["chinwag"], targets["hello"], targets["prism"]
    assert chinwag.half_load is not None
    peak = chinwag.peak.created_per_s
    ratios = {
        "prism": peak / max(prism.peak.created_per_s, 1e-9),
        "hello": peak / hello.peak.created_per_s,
    }
    p99 = chinwag.half_load.latency_ms["p99"]
    checks = {
        "10x Prism throughput": ratios["prism"] >= 10,
        "half of hello-world ceiling": ratios["hello"] >= 0.5,
        "p99 < 10 ms at half of peak load": p99 < 10,
    }
    lines += [
        "",
        f"- chinwag peak / Prism peak: {ratios['prism']:.1f}x (target >= 10x): "
        f"{'met' if checks['10x Prism throughput'] else 'NOT met'}",
        f"- chinwag peak / hello-world peak: {ratios['hello']:.2f} (target >= 0.5): "
        f"{'met' if checks['half of hello-world ceiling'] else 'NOT met'}",
        f"- chinwag p99 at half of peak: {p99:.2f} ms (target < 10 ms): "
        f"{'met' if checks['p99 < 10 ms at half of peak load'] else 'NOT met'}",
        f"- Prism with the exact seed request: HTTP {prism.seed_probe['status']}",
    ]
    return "\n".join(lines), checks


@contextmanager
def running(targets: dict[str, Target], work: Path) -> Iterator[None]:
    """Start every target's server and wait until it listens; stop them all on exit.

    On a failure, the tail of each server's log is printed."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for target in targets.values():
            with (work / f"{target.name}.log").open("wb") as log:
                process = subprocess.Popen(
                    target.command,
                    env=os.environ | target.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            processes.append(process)
            wait_ready(target.name, target.port, process)
        yield
    except Exception:
        for log_file in sorted(work.glob("*.log")):
            print(f"--- {log_file.name} (tail)", file=sys.stderr)
            print(log_file.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def results_json(targets: dict[str, Target], args: argparse.Namespace) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "duration_s": args.duration,
        "levels": args.levels,
        "targets": {
            name: {
                "measured": t.measured,
                "body": t.body,
                "seed_probe": t.seed_probe,
                "runs": [asdict(run) | {"created_per_s": run.created_per_s} for run in t.runs],
                "half_load": asdict(t.half_load) if t.half_load else None,
            }
            for name, t in targets.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="API benchmark (see module docstring).")
    parser.add_argument(
        "--levels",
        type=lambda text: [int(level) for level in text.split(",")],
        default=[1, 8, 32, 64],
        help="wrk connection counts, comma-separated (default 1,8,32,64)",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "api.json")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="chinwag-bench-") as tmp:
        work = Path(tmp)
        targets = {t.name: t for t in make_targets(work / "bench.db")}
        fake = [f"CH{i:032x}" for i in range(4096)]  # hello and Prism keep no state
        with running(targets, work):
            for target in targets.values():
                print(f"{target.name}: {target.measured}", file=sys.stderr)
                if target.body != SEED_BODY:  # record why the seed itself is not measured
                    target.seed_probe = probe(target, SEED_BODY)
                real = target.name == "chinwag"
                pool = Pool(work / f"{target.name}.sids", [] if real else fake, real)
                pool.save()
                measure(target, pool, args.levels, args.duration)

    table, checks = report(targets)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = results_json(targets, args) | {"checks": checks}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
