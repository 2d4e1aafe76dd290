"""Delivery benchmark: outbox-to-receiver throughput against the raw HTTP ceiling, and latency.

Run from the repository root, with chinwag installed with its bench extra:

    pip install -e '.[bench]' && python bench/delivery.py

One receiver (bench/receiver.py: aiohttp.web, an empty 200 for every delivery, the
arrival time noted) runs in its own process on 127.0.0.1 for all measurements:

- raw: chinwag's HTTP client (delivery/sender.py `http_sender`, as the worker
  makes it, on the worker's event loop) sends every outbox row's signed request
  from this process, with as many in flight as the worker allows toward one host
  (min of its concurrency and `--host-concurrency`); nothing is read from or
  written to a database.
- worker: `chinwag worker --host-concurrency N` on a copy of the same outbox
  delivers the same rows: claims, signs, sends, and records each outcome and
  attempt in SQLite. Timed from the first arrival to when no row is pending.
- latency: `chinwag serve` (in-process worker) on a fresh database, idle; a
  message is created through the API, one at a time with a pause between, and
  the time from just before the POST to the delivery's arrival at the receiver
  is taken (both on time.time_ns(), one clock for all processes on a machine).

The outbox is filled once, through the API of `chinwag serve --no-worker`:
`--conversations` conversations with 5 scoped webhooks each (onMessageAdded),
and deliveries/5 messages spread round-robin over them, so the rows interleave
many webhooks as real traffic does (a webhook's deliveries go one at a time).
Each repetition measures raw and worker back to back; latency runs after.
Results: a Markdown table on stdout, bench/results/delivery.json and a plot.

Scale-out (issue 6): `--engines sqlite,postgresql --workers 1,2,4` fills an
outbox on each engine (PostgreSQL from pgserver, see bench/engines.py) and, in
each repetition after the raw run, delivers a fresh copy of it with 1, 2 and 4
`chinwag worker` processes at once (each with its own --host-concurrency, so N
workers keep up to N times as many requests in flight); every row must end
delivered once, with one attempt. Latency is measured on each engine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp
from api import ACCOUNT_SID, AUTH_TOKEN, auth_header, create_conversations, free_port, wait_ready
from cpu import CpuMeter
from delivery_report import Results, report, save_plot, versions
from engines import Databases, Sql, add_engines_option, databases, integers, sql

from chinwag.cli.common import new_event_loop
from chinwag.delivery.sender import HttpSender, OutboundRequest, http_sender
from chinwag.delivery.worker import Worker
from chinwag.store import full_claim

BENCH = Path(__file__).resolve().parent
HOOKS_PER_CONVERSATION = 5  # chinwag's (and Twilio's) limit of scoped webhooks
_WORKER = inspect.signature(Worker).parameters
WORKER_CONCURRENCY: int = _WORKER["concurrency"].default
HOST_CONCURRENCY: int = _WORKER["host_concurrency"].default
CHINWAG = [sys.executable, "-m", "chinwag"]
CREDENTIALS = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
MESSAGE_HEADERS = {"X-Twilio-Webhook-Enabled": "true"}  # API changes fire webhooks only then


@dataclass(frozen=True)
class Throughput:
    kind: str  # "raw" or "worker"
    deliveries: int
    seconds: float  # first arrival -> last arrival (raw) or no row pending (worker)
    offsets_s: list[float]  # each arrival, seconds after the first (for the plot)
    engine: str = "sqlite"  # the outbox's (raw: the engine whose rows were sent)
    workers: int = 1  # `chinwag worker` processes (raw: the one sending process)
    cpu_s: dict[str, float] = field(default_factory=dict)  # from the first arrival on

    @property
    def per_s(self) -> float:
        return (self.deliveries - 1) / self.seconds


@contextmanager
def process(
    name: str, command: list[str], work: Path, port: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` (logging to work/name.log) until the block ends; SIGTERM, then wait."""
    log_path = work / f"{name}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command, env=os.environ | CREDENTIALS, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        if port is not None:
            wait_ready(name, port, proc)
        yield proc
    except Exception:
        print(f"--- {log_path.name} (tail)\n{log_path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def serve(url: str, *extra: str) -> tuple[list[str], int]:
    port = free_port()
    command = [*CHINWAG, "serve", "--port", str(port), "--database", url, *extra]
    return command, port


async def post(session: aiohttp.ClientSession, url: str, data: Any, **kwargs: Any) -> Any:
    async with session.post(url, data=data, **kwargs) as resp:
        if resp.status != 201:
            raise RuntimeError(f"POST {url}: {resp.status} {await resp.text()}")
        return await resp.json()


async def add_webhooks(api: str, conversations: list[str], receiver: str, per: int) -> None:
    async with aiohttp.ClientSession(headers=auth_header()) as session:
        for sid in conversations:
            for i in range(per):
                data = {
                    "Target": "webhook",
                    "Configuration.Url": f"{receiver}/hook/{sid}/{i}",
                    "Configuration.Method": "POST",
                    "Configuration.Filters": "onMessageAdded",
                }
                await post(session, f"{api}/v1/Conversations/{sid}/Webhooks", data)


async def add_messages(
    api: str, conversations: list[str], count: int, concurrency: int = 8
) -> None:
    """`count` messages, round-robin over `conversations`, a few in flight at once."""
    todo = iter(range(count))

    async def creator(session: aiohttp.ClientSession) -> None:
        for i in todo:
            sid = conversations[i % len(conversations)]
            data = {"Author": "bench", "Body": f"message {i} " + "x" * 100}
            url = f"{api}/v1/Conversations/{sid}/Messages"
            await post(session, url, data, headers=MESSAGE_HEADERS)

    async with aiohttp.ClientSession(headers=auth_header()) as session:
        await asyncio.gather(*(creator(session) for _ in range(concurrency)))


PENDING = "SELECT count(*) FROM deliveries WHERE status = 'pending'"


def fill_outbox(
    work: Path, dbs: Databases, receiver: str, deliveries: int, conversations: int
) -> str:
    """A database whose outbox holds `deliveries` pending rows, made through the API."""
    url = dbs.new("outbox")
    command, port = serve(url, "--no-worker")
    api = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with process(f"fill-{dbs.engine}", command, work, port):
        sids = asyncio.run(create_conversations(api, conversations))
        asyncio.run(add_webhooks(api, sids, receiver, HOOKS_PER_CONVERSATION))
        asyncio.run(add_messages(api, sids, deliveries // HOOKS_PER_CONVERSATION))
    with sql(url) as store:
        pending = store.scalar(PENDING)
    dbs.settle(url)
    elapsed = time.perf_counter() - started
    print(f"outbox ({dbs.engine}): {pending} pending deliveries in {elapsed:.1f} s")
    return url


def outbox_requests(url: str) -> list[OutboundRequest]:
    """Every pending row as the worker would send it (claimed, then rolled back)."""
    with sql(url) as store:
        due = store.rolled_back(
            lambda conn: full_claim.claim_due(conn, datetime.now(UTC), 10**9, timedelta(minutes=5))
        )
    return [
        OutboundRequest(
            url=d.url or "",
            method=d.method,
            params=[*d.params, ("RetryCount", str(d.attempts))],  # as Worker._attempt does
            auth_token=d.auth_token,
            idempotency_token=d.token,
        )
        for d in due
    ]


async def receiver_call(
    receiver: str, method: str, path: str, session: aiohttp.ClientSession | None = None
) -> Any:
    async with contextlib.AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(aiohttp.ClientSession())
        timeout = aiohttp.ClientTimeout(None)
        async with session.request(method, receiver + path, timeout=timeout) as resp:
            return await resp.json() if resp.status == 200 else None


def arrivals(receiver: str) -> list[int]:
    got: list[int] = asyncio.run(receiver_call(receiver, "GET", "/_arrivals"))["arrivals_ns"]
    return got


async def send_raw(requests: list[OutboundRequest], concurrency: int) -> int:
    """Send everything with `concurrency` in flight; returns how many got a 2xx."""
    todo = iter(requests)
    ok = 0

    async def sender_loop(sender: HttpSender) -> None:
        nonlocal ok
        for request in todo:
            result = await sender.send(request)  # awaited first: `ok +=` must not span it
            ok += result.ok

    async with http_sender() as sender:  # as app.run_worker makes it
        await asyncio.gather(*(sender_loop(sender) for _ in range(concurrency)))
    return ok


def measure_raw(
    receiver: str, requests: list[OutboundRequest], concurrency: int, engine: str = "sqlite"
) -> Throughput:
    asyncio.run(receiver_call(receiver, "POST", "/_reset"))
    with asyncio.Runner(loop_factory=new_event_loop) as runner:  # the worker's loop
        ok = runner.run(send_raw(requests, concurrency))
    if ok != len(requests):
        raise RuntimeError(f"raw: {len(requests) - ok} of {len(requests)} requests failed")
    times = arrivals(receiver)
    seconds = (times[-1] - times[0]) / 1e9
    return Throughput("raw", len(times), seconds, offsets(times), engine)


def measure_worker(
    work: Path,
    dbs: Databases,
    receiver: str,
    receiver_pid: int,
    snapshot: str,
    expected: int,
    args: argparse.Namespace,
    workers: int = 1,
) -> Throughput:
    """`workers` `chinwag worker`s on a fresh copy of the outbox, until no row is pending."""
    url = dbs.copy(snapshot, f"run-{workers}")
    asyncio.run(receiver_call(receiver, "POST", "/_reset"))
    command = [*CHINWAG, "worker", "--database", url]
    command += ["--host-concurrency", str(args.host_concurrency)]
    with contextlib.ExitStack() as running, sql(url) as store:
        pids = [
            running.enter_context(process(f"worker-{dbs.engine}-{i}", command, work)).pid
            for i in range(workers)
        ]
        # CPU is counted from the first arrival, as the rate is: not the workers' start-up.
        others: dict[str, Iterable[int]] = {"receiver": [receiver_pid], "bench": [os.getpid()]}
        meter = CpuMeter(pids, dbs.postgres_pid(), others)
        asyncio.run(receiver_call(receiver, "GET", f"/_wait?count=1&timeout={args.bound}"))
        before = meter.read()
        path = f"/_wait?count={expected}&timeout={args.bound}"
        waited = asyncio.run(receiver_call(receiver, "GET", path))
        if waited["nth_ns"] is None:
            raise RuntimeError(f"worker: {waited['count']} of {expected} arrived in {args.bound} s")
        deadline = time.monotonic() + args.bound
        while store.scalar(PENDING) > 0:  # the last outcomes are written after their sends
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker: rows still pending after {args.bound} s")
            time.sleep(0.005)
        done_ns = time.time_ns()
        cpu_s = CpuMeter.used(before, meter.read())
        check_persisted(store, expected)
    dbs.drop(url)
    times = arrivals(receiver)
    if len(times) != expected:
        raise RuntimeError(f"worker: {len(times)} requests arrived for {expected} deliveries")
    seconds = (done_ns - times[0]) / 1e9
    return Throughput("worker", len(times), seconds, offsets(times), dbs.engine, workers, cpu_s)


def check_persisted(store: Sql, expected: int) -> None:
    """Every row delivered with a 200, and one attempt logged for each."""
    delivered = store.scalar(
        "SELECT count(*) FROM deliveries WHERE status = 'delivered' AND response_status = 200"
    )
    attempts = store.scalar("SELECT count(*) FROM delivery_attempts")
    if delivered != expected or attempts != expected:
        raise RuntimeError(f"worker: {delivered} delivered, {attempts} attempts of {expected}")


def offsets(times: list[int]) -> list[float]:
    return [(t - times[0]) / 1e9 for t in times]


async def event_latencies(
    api: str, receiver: str, count: int, pause_s: float
) -> tuple[list[float], list[float]]:
    """Milliseconds from just before each message's POST to its delivery's arrival, and
    to the POST's answer (the API's share)."""
    async with (
        aiohttp.ClientSession(headers=auth_header()) as session,
        aiohttp.ClientSession() as to_receiver,
    ):
        conversation = await post(session, f"{api}/v1/Conversations", {"FriendlyName": "latency"})
        sid = conversation["sid"]
        await add_webhooks(api, [sid], receiver, 1)
        await receiver_call(receiver, "POST", "/_reset")
        url = f"{api}/v1/Conversations/{sid}/Messages"
        latencies, answered = [], []
        for i in range(count):
            await asyncio.sleep(pause_s)  # idle: nothing else in flight
            body = f"latency {i}"
            started_ns = time.time_ns()
            await post(session, url, {"Author": "bench", "Body": body}, headers=MESSAGE_HEADERS)
            answered.append((time.time_ns() - started_ns) / 1e6)
            path = f"/_wait?count={i + 1}&timeout=10"
            waited = await receiver_call(receiver, "GET", path, to_receiver)
            if (
                waited["nth_ns"] is None
                or f"Body={body.replace(' ', '+')}&" not in waited["nth_body"]
            ):
                raise RuntimeError(f"latency: delivery {i + 1} missing or out of order: {waited}")
            latencies.append((waited["nth_ns"] - started_ns) / 1e6)
    return latencies, answered


def measure_latency(
    work: Path, dbs: Databases, receiver: str, run: int, count: int, pause_s: float
) -> tuple[list[float], list[float]]:
    command, port = serve(dbs.new(f"latency-{run}"))
    with process(f"serve-{dbs.engine}-{run}", command, work, port):
        api = f"http://127.0.0.1:{port}"
        asyncio.run(event_latencies(api, receiver, 20, pause_s))  # warm-up, not counted
        return asyncio.run(event_latencies(api, receiver, count, pause_s))


def measure_engine(
    work: Path,
    dbs: Databases,
    receiver: str,
    concurrency: int,
    args: argparse.Namespace,
    results: Results,
    receiver_pid: int,
) -> None:
    """Throughput (raw, then each number of workers) and latency on one engine."""
    snapshot = fill_outbox(work, dbs, receiver, args.deliveries, args.conversations)
    requests = outbox_requests(snapshot)
    for run in range(1, args.runs + 1):
        measured = [measure_raw(receiver, requests, concurrency, dbs.engine)]
        for workers in args.workers:
            measured.append(
                measure_worker(
                    work, dbs, receiver, receiver_pid, snapshot, len(requests), args, workers
                )
            )
        for m in measured:
            results.throughput.append(m)
            who = "raw" if m.kind == "raw" else f"{m.workers} worker(s)"
            print(f"run {run} {dbs.engine} {who}: {m.per_s:,.0f} deliveries/s")
    for run in range(1, args.runs + 1):
        samples, answered = measure_latency(
            work, dbs, receiver, run, args.latency_messages, args.pause
        )
        results.latency_ms.append(samples)
        results.api_ms.append(answered)
        results.latency_engines.append(dbs.engine)
        print(f"run {run} {dbs.engine} latency: p50 {statistics.median(samples):.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delivery benchmark (see module docstring).")
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--conversations", type=int, default=40, help="5 webhooks each")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each measurement")
    parser.add_argument("--latency-messages", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between messages")
    parser.add_argument("--bound", type=float, default=300, help="max seconds per worker run")
    parser.add_argument(
        "--host-concurrency",
        type=int,
        default=HOST_CONCURRENCY,
        help=f"the worker's per-host limit (default {HOST_CONCURRENCY}, the worker's own)",
    )
    add_engines_option(parser, ["sqlite"])
    parser.add_argument(
        "--workers",
        type=integers,
        default=[1],
        help="`chinwag worker` processes at once, comma-separated (default 1)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "delivery.json")
    parser.add_argument("--plot", type=Path, default=BENCH.parent / "docs" / "img" / "delivery.png")
    args = parser.parse_args(argv)

    # All deliveries go to one host, so the worker has at most this many in flight.
    concurrency = min(WORKER_CONCURRENCY, args.host_concurrency)
    asyncpg = metadata.version("asyncpg")
    results = Results(args=vars(args) | {"concurrency": concurrency}, versions=versions())
    with tempfile.TemporaryDirectory(prefix="chinwag-delivery-") as tmp:
        work = Path(tmp)
        port = free_port()
        receiver_command = [sys.executable, str(BENCH / "receiver.py"), "--port", str(port)]
        with process("receiver", receiver_command, work, port) as receiver_process:
            receiver = f"http://127.0.0.1:{port}"
            for engine in args.engines:
                with databases(engine, work) as dbs:
                    if engine == "postgresql":
                        results.versions |= {"postgresql": dbs.version(), "asyncpg": asyncpg}
                    measure_engine(
                        work, dbs, receiver, concurrency, args, results, receiver_process.pid
                    )

    table = report(results)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results.as_json(), indent=2) + "\n")
    save_plot(results, args.plot)
    print(f"\nwrote {args.out} and {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
