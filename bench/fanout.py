"""Socket fan-out benchmark: what the client SDK sockets' change feed costs the server.

Run from the repository root, with chinwag installed with its test extra (pgserver,
psutil); the tree measured is the one Python imports `chinwag` from, so a commit is
measured from a worktree of it (its bench/ need not have this file):

    python bench/fanout.py                 # about 70 s, SQLite and PostgreSQL
    git worktree add /tmp/before db33c1d
    PYTHONPATH=/tmp/before/src python bench/fanout.py --label before --out /tmp/before.json
    python bench/fanout_report.py /tmp/before.json bench/results/fanout.json \
        --plot docs/img/fanout.png     # needs matplotlib

The scenario (a security review's): one `chinwag serve` on a fresh database (a SQLite
file in a temporary directory, or a PostgreSQL database of pgserver's, see
bench/engines.py) holding one conversation with --history messages (2,000; bulk-loaded
by bench/seed.py, the server stopped) and --clients participants `user0`, `user1`, ...
Each user opens a socket (`/v3/wsconnect`) with a token from `POST /chinwag/v1/Tokens`,
sends `init`, fetches the conversation's `CH….messages` list, `CH….roster` map and
`CH….channel` document through the tunnel (their last_event_id, as the SDK does) and
subscribes to the three (`POST /v4/Subscriptions`), then keeps reading notifications,
replying to each as the SDK does. Once every socket is established and the server has
been idle for a while (its CPU over --idle seconds is recorded too), the measured phase:
--posts messages through REST (`POST /v1/Conversations/{Sid}/Messages`), one at a
time, until every socket has received a `list_item_added` for each of them (at most
--timeout seconds). Measured over that phase: the server process's CPU seconds
(user+system; and PostgreSQL's, its postmaster and backends, bench/cpu.py), the wall
time, and the latency of `GET /chinwag/health` polled every 100 ms by a side task
(polled the same way during the idle window too, for the machine's baseline).
Every run starts from a copy of the same seeded database and a new server; --runs runs
per engine, reported by their median.

Results: a table on stdout (Markdown) and bench/results/fanout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from api import ACCOUNT_SID, auth_header, chinwag_target, running
from cpu import CpuMeter
from engines import ENGINES, Databases, add_engines_option, databases
from fanout_report import report, results_json
from provenance import measured_tree
from seed import Layout, seed

from chinwag.twilsock import framing

BENCH = Path(__file__).resolve().parent
OK = {"code": 200, "status": "OK"}
CORRELATION = 7  # of the one subscription request each socket makes
HEALTH_EVERY_S = 0.1
SETTLE_S = 2.0  # after the last subscription, before the idle measurement
CONNECTING = 6  # sockets set up at a time (each subscription reads the whole history)


class Socket:
    """A raw twilsock client: one reader task, answers matched to requests by id, every
    notification replied to and counted; the `list_item_added` of the messages list
    at indexes from `first_new` on are the ones the measured phase waits for (`added`:
    each index with the perf_counter() time its event was read, for bench/clients.py)."""

    def __init__(
        self, identity: str, ws: aiohttp.ClientWebSocketResponse, messages_sid: str, first_new: int
    ) -> None:
        self.identity = identity
        self.ws = ws
        self.messages_sid = messages_sid
        self.first_new = first_new
        self.count = 0
        self.waiting: dict[str, asyncio.Future[framing.Frame]] = {}
        self.events: Counter[str] = Counter()
        self.established = 0
        self.ready = asyncio.Event()
        self.added: dict[int, float] = {}
        self.wanted = 0
        self.done_at: float | None = None
        self.on_done: Any = None
        self.closed: dict[str, Any] | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                break
            frame = framing.parse(message.data)
            if frame.method == "reply":
                future = self.waiting.pop(frame.id, None)
                if future is not None and not future.done():
                    future.set_result(frame)
            elif frame.method == "notification":
                self._heard(frame.json() or {})
                reply = {"id": frame.id, "method": "reply", "status": OK}
                await self.ws.send_bytes(framing.encode(reply))
            elif frame.method == "close":
                self.closed = frame.header.get("status")

    def _heard(self, payload: dict[str, Any]) -> None:
        kind = str(payload.get("event_type"))
        self.events[kind] += 1
        if kind == "subscription_established" and payload.get("correlation_id") == CORRELATION:
            self.established += 1
            if self.established == 3:
                self.ready.set()
        elif kind == "subscription_failed":
            raise RuntimeError(f"{self.identity}: subscription failed: {payload}")
        elif kind == "list_item_added":
            event = payload.get("event") or {}
            index = event.get("item_index")
            mine = event.get("list_sid") == self.messages_sid
            if mine and isinstance(index, int) and index >= self.first_new:
                self.added.setdefault(index, time.perf_counter())
                if self.done_at is None and self.wanted and len(self.added) >= self.wanted:
                    self.done_at = time.perf_counter()
                    if self.on_done is not None:
                        self.on_done()

    async def frame(self, header: dict[str, Any], payload: Any = None) -> framing.Frame:
        self.count += 1
        header = {"id": f"TM{self.identity}-{self.count}", **header}
        future: asyncio.Future[framing.Frame] = asyncio.get_running_loop().create_future()
        self.waiting[header["id"]] = future
        await self.ws.send_bytes(framing.encode(header, payload))
        return await asyncio.wait_for(future, 60)

    async def ask(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        http = {"host": "x", "path": path, "method": method, "params": {}, "headers": headers}
        header = {"method": "message", "active_grant": "ip_messaging", "http_request": http}
        answer = await self.frame(header, body)
        return int(answer.header["http_status"]["code"]), answer.json()

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def open_socket(
    session: aiohttp.ClientSession,
    url: str,
    identity: str,
    token: str,
    conversation_sid: str,
    first_new: int,
) -> Socket:
    """init, fetch the three objects, subscribe to them from what was fetched."""
    ws = await session.ws_connect(url.replace("http", "ws", 1) + "/v3/wsconnect")
    socket = Socket(identity, ws, f"{conversation_sid}.messages", first_new)
    answer = await socket.frame({"method": "init", "token": token, "capabilities": []})
    if answer.header.get("status", {}).get("code") != 200:
        raise RuntimeError(f"{identity}: init refused: {answer.header}")
    requests = []
    for suffix, path, kind in (
        ("messages", "Lists", "list"),
        ("roster", "Maps", "map"),
        ("channel", "Documents", "document"),
    ):
        sid = f"{conversation_sid}.{suffix}"
        status, found = await socket.ask("GET", f"/v3/{path}/{sid}")
        if status != 200:
            raise RuntimeError(f"{identity}: GET {sid}: {status} {found}")
        requests.append(
            {"object_sid": sid, "object_type": kind, "last_event_id": found["last_event_id"]}
        )
    body = {
        "event_protocol_version": 4,
        "action": "establish",
        "correlation_id": CORRELATION,
        "requests": requests,
    }
    status, found = await socket.ask("POST", "/v4/Subscriptions", body)
    if status != 200:
        raise RuntimeError(f"{identity}: subscribe: {status} {found}")
    await asyncio.wait_for(socket.ready.wait(), 120)
    return socket


class HealthPoller:
    """`GET /chinwag/health` every HEALTH_EVERY_S, one at a time, on its own connection
    (a late answer makes the next request go at once, not pile up)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[float, float, int]] = []  # (start s, latency ms, status)
        self.task: asyncio.Task[None] | None = None

    def start(self, t0: float) -> None:
        self.task = asyncio.create_task(self._poll(t0))

    async def _poll(self, t0: float) -> None:
        async with aiohttp.ClientSession() as session:
            due = time.perf_counter()
            while True:
                started = time.perf_counter()
                async with session.get(f"{self.url}/chinwag/health") as resp:
                    await resp.read()
                ms = (time.perf_counter() - started) * 1000
                self.samples.append((round(started - t0, 4), round(ms, 3), resp.status))
                due += HEALTH_EVERY_S
                await asyncio.sleep(max(0.0, due - time.perf_counter()))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def _busy_s() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0))


@dataclass
class Scenario:
    conversation_sid: str
    clients: int
    history: int
    posts: int
    idle_s: float
    timeout_s: float


async def _tokens(rest: aiohttp.ClientSession, url: str, identities: list[str]) -> dict[str, str]:
    tokens = {}
    for identity in identities:
        async with rest.post(f"{url}/chinwag/v1/Tokens", data={"Identity": identity}) as resp:
            if resp.status != 201:
                raise RuntimeError(f"token for {identity}: {resp.status} {await resp.text()}")
            tokens[identity] = (await resp.json())["token"]
    return tokens


async def _post(rest: aiohttp.ClientSession, url: str, sid: str, posts: int) -> list[float]:
    """`posts` messages through REST, one at a time; their latencies in ms."""
    post_ms = []
    for i in range(posts):
        started = time.perf_counter()
        form = {"Author": "bench", "Body": f"fan-out message {i}"}
        async with rest.post(f"{url}/v1/Conversations/{sid}/Messages", data=form) as resp:
            if resp.status != 201:
                raise RuntimeError(f"post {i}: {resp.status} {await resp.text()}")
            await resp.read()
        post_ms.append((time.perf_counter() - started) * 1000)
    return post_ms


def _all_heard(sockets: list[Socket], posts: int) -> asyncio.Event:
    """Set once every socket has heard of `posts` new messages."""
    everyone = asyncio.Event()
    left = [len(sockets)]

    def one_done() -> None:
        left[0] -= 1
        if left[0] == 0:
            everyone.set()

    for socket in sockets:
        socket.events.clear()
        socket.wanted = posts
        socket.on_done = one_done
    return everyone


async def measure(url: str, meter: CpuMeter, scenario: Scenario) -> dict[str, Any]:
    """Set the sockets up, measure the idle server, then the measured phase."""
    sid = scenario.conversation_sid
    identities = [f"user{i}" for i in range(scenario.clients)]
    async with aiohttp.ClientSession(headers=auth_header()) as rest:
        tokens = await _tokens(rest, url, identities)
        setup_started = time.perf_counter()
        gate = asyncio.Semaphore(CONNECTING)
        ws_session = aiohttp.ClientSession()

        async def connect(identity: str) -> Socket:
            async with gate:
                return await open_socket(
                    ws_session, url, identity, tokens[identity], sid, scenario.history
                )

        sockets = await asyncio.gather(*(connect(identity) for identity in identities))
        setup_s = time.perf_counter() - setup_started
        try:
            await asyncio.sleep(SETTLE_S)
            idle_health = HealthPoller(url)
            before = meter.read()
            idle_health.start(time.perf_counter())
            await asyncio.sleep(scenario.idle_s)
            idle = CpuMeter.used(before, meter.read())
            await idle_health.stop()

            everyone = _all_heard(sockets, scenario.posts)
            health = HealthPoller(url)
            load_before = os.getloadavg()
            busy_before = _busy_s()
            cpu_before = meter.read()
            t0 = time.perf_counter()
            health.start(t0)
            post_ms = await _post(rest, url, sid, scenario.posts)
            posted_s = time.perf_counter() - t0
            timed_out = False
            try:
                await asyncio.wait_for(everyone.wait(), scenario.timeout_s)
            except TimeoutError:
                timed_out = True
            wall_s = time.perf_counter() - t0
            cpu = CpuMeter.used(cpu_before, meter.read())
            busy_s = _busy_s() - busy_before
            load_after = os.getloadavg()
            await health.stop()
        finally:
            for socket in sockets:
                await socket.close()
            await ws_session.close()

    health_ms = [ms for _, ms, _ in health.samples]
    done = sorted(s.done_at - t0 for s in sockets if s.done_at is not None)
    events: Counter[str] = Counter()
    for socket in sockets:
        events.update(socket.events)
    return {
        "timed_out": timed_out,
        "cpu_s": {name: round(seconds, 3) for name, seconds in cpu.items()},
        "wall_s": round(wall_s, 3),
        "posts_s": round(posted_s, 3),
        "post_ms": {
            "median": round(statistics.median(post_ms), 2),
            "max": round(max(post_ms), 2),
        },
        "health_ms": _latencies(health_ms)
        | {"failed": sum(1 for _, _, status in health.samples if status != 200)},
        "sockets_done": len(done),
        "delivered_min": min(len(s.added) for s in sockets),
        "first_socket_done_s": round(done[0], 3) if done else None,
        "last_socket_done_s": round(done[-1], 3) if done else None,
        "events": dict(sorted(events.items())),
        "closed_by_server": sum(1 for s in sockets if s.closed is not None),
        "setup_s": round(setup_s, 2),
        "idle_cpu_s_per_s": {name: round(s / scenario.idle_s, 4) for name, s in idle.items()},
        "idle_health_ms": _latencies([ms for _, ms, _ in idle_health.samples]),
        "machine": {
            "busy_cpu_s": round(busy_s, 3),  # all processes; 2 cores give 2 s per second
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
    }


def _latencies(ms: list[float]) -> dict[str, Any]:
    if not ms:
        return {"median": None, "p90": None, "max": None, "samples": 0}
    return {
        "median": round(statistics.median(ms), 2),
        "p90": round(_quantile(ms, 0.9), 2),
        "max": round(max(ms), 2),
        "samples": len(ms),
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _create(url: str, clients: int) -> tuple[str, str]:
    """The conversation and its participants, through the API: (ConversationSid, service)."""
    async with aiohttp.ClientSession(headers=auth_header()) as rest:
        form = {"FriendlyName": "fan-out"}
        async with rest.post(f"{url}/v1/Conversations", data=form) as resp:
            if resp.status != 201:
                raise RuntimeError(f"create conversation: {resp.status} {await resp.text()}")
            found = await resp.json()
        sid, service_sid = found["sid"], found["chat_service_sid"]
        for i in range(clients):
            path = f"{url}/v1/Conversations/{sid}/Participants"
            async with rest.post(path, data={"Identity": f"user{i}"}) as resp:
                if resp.status != 201:
                    raise RuntimeError(f"participant user{i}: {resp.status} {await resp.text()}")
    return sid, service_sid


def build(dbs: Databases, engine: str, work: Path, args: argparse.Namespace) -> tuple[str, str]:
    """A database with the conversation, its participants and its history: (URL, Sid)."""
    url = dbs.new("fanout")
    target = chinwag_target(engine, url, 1, args.pool_size)
    target.name = f"fanout-setup-{engine}"
    with running(target, work):
        sid, service_sid = asyncio.run(_create(target.url, args.clients))
    # seed.py's layout with the one conversation as both the hot and the only background
    # one: every message goes to it, indexes 0 .. history-1.
    seed(url, Layout(ACCOUNT_SID, service_sid, sid, [], [sid]), args.history)
    dbs.settle(url)
    return url, sid


def run_engine(engine: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    with databases(engine, work) as dbs:
        version = dbs.version()
        started = time.perf_counter()
        url, sid = build(dbs, engine, work, args)
        print(f"  {engine}: built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        scenario = Scenario(sid, args.clients, args.history, args.posts, args.idle, args.timeout)
        for n in range(args.runs):
            copy = dbs.copy(url, f"fanout-run-{n}")
            target = chinwag_target(engine, copy, 1, args.pool_size)
            target.name = f"fanout-{engine}-{n}"
            with running(target, work) as pids:
                children = [c.pid for pid in pids for c in psutil.Process(pid).children(True)]
                meter = CpuMeter([*pids, *children], dbs.postgres_pid(), {"bench": [os.getpid()]})
                print(f"  {engine} run {n + 1}: server pid {pids[0]}", file=sys.stderr)
                found = asyncio.run(measure(target.url, meter, scenario))
            dbs.drop(copy)
            runs.append(found)
            print(
                f"  {engine} run {n + 1}: chinwag {found['cpu_s']['chinwag']:.2f} CPU s, "
                f"{found['wall_s']:.2f} s wall, health median {found['health_ms']['median']} ms"
                f"{' TIMED OUT' if found['timed_out'] else ''} "
                f"(load {found['machine']['loadavg_before'][0]})",
                file=sys.stderr,
            )
    return {"version": version, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Socket fan-out benchmark (module docstring).")
    parser.add_argument(
        "--label", default="latest", help="names the run in reports (default latest)"
    )
    add_engines_option(parser, list(ENGINES))
    parser.add_argument("--runs", type=int, default=3, help="per engine (default 3)")
    parser.add_argument("--clients", type=int, default=30, help="sockets (default 30)")
    parser.add_argument("--history", type=int, default=2000, help="messages (default 2000)")
    parser.add_argument("--posts", type=int, default=20, help="measured messages (default 20)")
    parser.add_argument("--idle", type=float, default=3.0, help="idle CPU seconds (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="phase bound (default 120)")
    parser.add_argument("--pool-size", type=int, default=10, help="PostgreSQL pool (default 10)")
    parser.add_argument("--out", type=Path, help="default bench/results/fanout.json")
    args = parser.parse_args(argv)
    out = args.out or BENCH / "results" / "fanout.json"

    source = measured_tree()
    started = time.perf_counter()
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-") as tmp:
        for engine in args.engines:
            engines[engine] = run_engine(engine, Path(tmp), args)
    results = results_json(args.label, source, engines, vars(args), time.perf_counter() - started)
    print(report({args.label: results}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
