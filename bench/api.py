"""API benchmark: the seed's create call against chinwag, Prism and a hello-world ceiling.

Run from the repository root, with chinwag installed (`pip install -e '.[bench]'`: psutil
for bench/cpu.py):

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

Every core (issue 31): with `--processes 1,2`, each chinwag server also runs as
`chinwag serve --processes 2` and hello-world as 2 processes on one socket alike; the
report sets each chinwag-…-pN against hello-pN. CPU is counted for every process of a
target.

Scale-out (issue 6): `--engines sqlite,postgresql --servers 1,2,4 --no-peers`
measures chinwag alone on each engine with 1, 2 and 4 `chinwag serve` processes
sharing one fresh database (PostgreSQL from pgserver, see bench/engines.py). wrk
then runs one thread per server, each thread bound to one server's port with its
share of the connections and its own slice of the conversation pool; latencies
are merged over all threads. Results: `--out` (bench/results/api.json by default) and a plot
(--plot).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
from api_report import report, results_json, save_plot
from cpu import CpuMeter
from engines import add_engines_option, databases, integers

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
    """One wrk run: closed loop at `connections`, or paced at `rate` requests/s.

    `threads`: wrk threads, one per server; `stopped`: threads that used up their
    slice of the conversation pool before the run's end; `cpu_s`: CPU seconds used
    during the run by chinwag's servers, PostgreSQL and wrk (see bench/cpu.py)."""

    connections: int
    rate: float | None
    duration_s: float
    requests: int
    issued: int
    statuses: dict[str, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]
    threads: int = 1
    stopped: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def created_per_s(self) -> float:
        return self.statuses.get("201", 0) / self.duration_s

    @property
    def failures(self) -> int:
        """Responses other than 201, plus socket errors and time-outs."""
        return self.requests - self.statuses.get("201", 0) + sum(self.errors.values())


@dataclass
class Pool:
    """ConversationSids for create.lua; a real pool is used up 5 creates per conversation.

    With several wrk threads, thread t takes every `threads`-th conversation from
    `first + t` on, so no two threads ever share one."""

    file: Path
    sids: list[str]
    real: bool
    threads: int = 1
    first: int = 0

    def limit(self, connections: int) -> int | None:
        """Requests a thread may issue before create.lua stops it (None: no limit)."""
        if not self.real:
            return None
        windows = (len(self.sids) - self.first) // (WINDOW * self.threads)
        return max(windows * WINDOW * PER_CONVERSATION - connections // self.threads, 1)

    def use(self, issued_by_busiest_thread: int) -> None:
        if self.real:
            windows = math.ceil(issued_by_busiest_thread / (WINDOW * PER_CONVERSATION))
            self.first += WINDOW * self.threads * windows

    def needed(self, requests: float) -> int:
        """Conversations the pool must hold for `requests` more creates, a quarter
        more per thread in case the servers take their shares unevenly."""
        per_thread = (1.25 if self.threads > 1 else 1) * requests / self.threads
        return self.first + (math.ceil(per_thread / PER_CONVERSATION / WINDOW) + 1) * (
            WINDOW * self.threads
        )

    def save(self) -> None:
        self.file.write_text("\n".join(self.sids) + "\n")


@dataclass
class Target:
    """Something wrk loads: one server, or (chinwag scale-out) several sharing a database."""

    name: str
    measured: str
    body: str
    commands: list[list[str]]
    ports: list[int]
    env: dict[str, str] = field(default_factory=dict)
    engine: str | None = None  # chinwag's database engine
    processes: int = 1  # of each server (`--processes`)
    runs: list[Run] = field(default_factory=list)
    half_load: Run | None = None
    seed_probe: dict[str, object] = field(default_factory=dict)
    meter: CpuMeter | None = None  # while its servers run

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

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
    """One wrk run; with several ports, one thread per port (see create.lua)."""
    threads = len(target.ports)
    limit = pool.limit(connections)
    env = os.environ | {
        "BENCH_PORTS": ",".join(str(port) for port in target.ports),
        "BENCH_SIDS": str(pool.file),
        "BENCH_FIRST": str(pool.first),
        "BENCH_LIMIT": str(limit or 0),
        "BENCH_PATH": WEBHOOKS_PATH,
        "BENCH_BODY": target.body,
        "BENCH_PER_CONVERSATION": str(PER_CONVERSATION),
        "BENCH_RATE": str((rate or 0) / threads),  # each thread paces its own share
    }
    authorization = auth_header()["Authorization"]
    command = [
        "wrk",
        f"-t{threads}",
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
    before = target.meter.read() if target.meter else {}
    out = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=duration_s + 60
    ).stdout
    cpu_s = CpuMeter.used(before, target.meter.read()) if target.meter else {}
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    pool.use(data["issued_max"])
    return Run(
        connections=connections,
        rate=rate,
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        issued=data["issued"],
        statuses=data["statuses"],
        errors=data["errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
        threads=threads,
        stopped=data["stopped"],
        cpu_s={name: round(seconds, 3) for name, seconds in cpu_s.items()},
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
    needed = pool.needed(requests)
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
    if run.stopped:
        short = f" ({run.stopped} of {run.threads} threads used up their pool)"
    print(
        f"  {target.name} {load}: {run.created_per_s:,.0f} created/s, p99 "
        f"{run.latency_ms['p99']:.1f} ms, {run.failures} failed{short}",
        file=sys.stderr,
    )


def chinwag_target(
    engine: str, database_url: str, servers: int, pool_size: int, processes: int = 1
) -> Target:
    """`servers` chinwag servers on one database, each on its own port, each of
    `processes` processes (`chinwag serve --processes`)."""
    chinwag = shutil.which("chinwag")
    if chinwag is None:
        raise SystemExit("chinwag is not installed: pip install -e .")
    ports = [free_port() for _ in range(servers)]
    commands = [
        [chinwag, "serve", "--host", "127.0.0.1", "--port", str(port), "--database", database_url]
        for port in ports
    ]
    if engine == "postgresql":
        commands = [[*command, "--database-pool-size", str(pool_size)] for command in commands]
    if processes > 1:
        commands = [[*command, "--processes", str(processes)] for command in commands]
    return Target(
        f"chinwag-{engine}-{servers}" + (f"-p{processes}" if processes > 1 else ""),
        f"seed create: 2 repeated Filters, {engine} insert, 201 JSON; {servers} server(s)"
        f" of {processes} process(es)",
        SEED_BODY,
        commands,
        ports,
        env={"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        engine=engine,
        processes=processes,
    )


def hello_target(processes: int = 1) -> Target:
    port = free_port()
    command = [sys.executable, str(BENCH / "hello.py"), "--port", str(port)]
    command += ["--processes", str(processes)]
    measured = (
        f"any POST -> fixed 201 (aiohttp.web, no parsing or storage); {processes} process(es)"
    )
    name = "hello" + (f"-p{processes}" if processes > 1 else "")
    return Target(name, measured, SEED_BODY, [command], [port], processes=processes)


def prism_target() -> Target:
    port = free_port()
    command = [str(PRISM), "mock", str(SPEC), "-v", "silent", "-p", str(port)]
    measured = "seed minus Configuration.Filters -> static example 201"
    return Target("prism", measured, PRISM_BODY, [command], [port])


@contextmanager
def running(target: Target, work: Path) -> Iterator[list[int]]:
    """Start the target's servers and wait until each listens, yielding their pids;
    stop them on exit.

    On a failure, the tail of each server's log is printed."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for i, (command, port) in enumerate(zip(target.commands, target.ports, strict=True)):
            with (work / f"{target.name}-{i}.log").open("wb") as log:
                process = subprocess.Popen(
                    command,
                    env=os.environ | target.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            processes.append(process)
            wait_ready(target.name, port, process)
        # with the processes they forked (`--processes`): CPU is counted for each
        yield [
            found.pid
            for process in processes
            for parent in [psutil.Process(process.pid)]
            for found in [parent, *parent.children(recursive=True)]
        ]
    except Exception:
        for log_file in sorted(work.glob("*.log")):
            print(f"--- {log_file.name} (tail)", file=sys.stderr)
            print(log_file.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def run_target(
    target: Target, work: Path, args: argparse.Namespace, postgres_pid: int | None = None
) -> None:
    """Start the target, measure it at every level, stop it."""
    fake = [f"CH{i:032x}" for i in range(4096)]  # hello and Prism keep no state
    threads = len(target.ports)
    levels = [level for level in args.levels if level >= threads]  # wrk: a connection per thread
    with running(target, work) as pids:
        target.meter = CpuMeter(pids, postgres_pid)
        print(f"{target.name}: {target.measured}", file=sys.stderr)
        if target.body != SEED_BODY:  # record why the seed itself is not measured
            target.seed_probe = probe(target, SEED_BODY)
        real = target.engine is not None
        pool = Pool(work / f"{target.name}.sids", [] if real else fake, real, threads)
        pool.save()
        measure(target, pool, levels, args.duration)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="API benchmark (see module docstring).")
    parser.add_argument(
        "--levels",
        type=integers,
        default=[1, 8, 32, 64],
        help="wrk connection counts, comma-separated (default 1,8,32,64); levels below "
        "the number of servers are skipped",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    add_engines_option(parser, ["sqlite"])
    parser.add_argument(
        "--servers",
        type=integers,
        default=[1],
        help="chinwag serve processes on one database, comma-separated (default 1)",
    )
    parser.add_argument(
        "--processes",
        type=integers,
        default=[1],
        help="processes of each chinwag server and of hello, comma-separated (default 1)",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=10,
        help="--database-pool-size of each server on PostgreSQL (default 10, chinwag's)",
    )
    parser.add_argument(
        "--peers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure hello (the ceiling) and Prism (the peer) (default: yes)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "api.json")
    parser.add_argument("--plot", type=Path, help="save a plot of creates/s by servers here")
    args = parser.parse_args(argv)

    targets: dict[str, Target] = {}
    database_versions: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-") as tmp:
        work = Path(tmp)
        if args.peers:
            for processes in args.processes:
                hello = hello_target(processes)
                targets[hello.name] = hello
                run_target(hello, work, args)
        for engine in args.engines:
            with databases(engine, work) as dbs:
                database_versions[engine] = dbs.version()
                for servers in args.servers:
                    for processes in args.processes:
                        url = dbs.new(f"api-{servers}-{processes}")
                        target = chinwag_target(engine, url, servers, args.pool_size, processes)
                        targets[target.name] = target
                        run_target(target, work, args, dbs.postgres_pid())
        if args.peers:
            targets["prism"] = prism_target()
            run_target(targets["prism"], work, args)

    table, checks = report(targets)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = results_json(targets, vars(args), database_versions) | {"checks": checks}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)
    if args.plot:
        save_plot([results["targets"]], args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
