"""Live clients benchmark (issue 31, item 4): a message's way to every SDK socket, by
the number of sockets and the length of the conversation's history.

Run from the repository root, with chinwag installed with its test extra (pgserver,
psutil); the tree measured is the one Python imports `chinwag` from:

    python bench/clients.py --engines sqlite,postgresql --runs 1     # about 6 min
    python bench/clients_report.py bench/results/clients.json --plot docs/img/clients.png

The report pools the runs of files of one label (a second run written with `--out
/tmp/clients-2.json`, say); files of different `--label`s are compared side by side.

For each engine and each --histories H (1,000 and 100,000): one conversation with
max(--clients) participants `user0`, `user1`, ... made through the API, then H messages
bulk-loaded into it by bench/seed.py with the server stopped (bench/fanout.py's
`build`; the roster each socket reads when it subscribes has max(--clients) members
whatever N). Then --runs rounds, each taking every --clients N (50, 100, 200) with every H
in turn, so that what else the machine does falls on each H alike. A run: a fresh copy
of the database, a new `chinwag serve`, and N sockets of bench/fanout.py's small twilsock
client (`open_socket`: `init`, fetch the `CH….messages` list descriptor, the
`CH….roster` map and the `CH….channel` document, subscribe to the three from their
last_event_id, so nothing of the history is replayed), --connecting of them set up at a
time. Recorded: the wall time until all N are subscribed, each socket's own set-up
time, and the server's CPU over it.

After --settle seconds, the server's idle CPU over --idle seconds, then the measured
phase: --posts messages through REST (`POST /v1/Conversations/{Sid}/Messages`), one at
a time; each is posted once every socket has received the previous one's
`list_item_added` and at least --interval seconds after the previous post started, so
each is measured alone. For each message: the latency from its POST's start to each
socket's reading of its `list_item_added` (the client's clock; the client runs on the
same cores); "last" is the time to the last socket. Over the phase: the server
process's CPU seconds (and PostgreSQL's, bench/cpu.py) per change per client, CPU /
(posts x N), also net of the idle rate; the server's RSS (with its children, psutil)
after start, once every socket is subscribed, and at the end; the benchmark process's
own CPU; the machine's load average, and the CPU the rest of the machine used (other
processes than the server, PostgreSQL and this one: a shared machine's noise).

Results: a table on stdout (Markdown) and bench/results/clients.json.
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
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from api import auth_header, chinwag_target, running
from clients_report import report
from cpu import CpuMeter
from engines import Databases, add_engines_option, databases, integers
from fanout import Socket, _all_heard, _busy_s, _quantile, _tokens, build, open_socket
from provenance import measured_tree, provenance

BENCH = Path(__file__).resolve().parent


def _rss(pid: int) -> int:
    """Resident bytes of a process and its children."""
    process = psutil.Process(pid)
    found = 0
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            found += each.memory_info().rss
    return found


def _stats(ms: list[float]) -> dict[str, Any]:
    if not ms:
        return {"p50": None, "p99": None, "max": None, "samples": 0}
    return {
        "p50": round(statistics.median(ms), 2),
        "p99": round(_quantile(ms, 0.99), 2),
        "max": round(max(ms), 2),
        "samples": len(ms),
    }


async def _subscribe_all(
    url: str, sid: str, tokens: dict[str, str], first_new: int, connecting: int
) -> tuple[list[Socket], aiohttp.ClientSession, list[float]]:
    """N sockets subscribed, `connecting` at a time: them, their session, each one's ms."""
    gate = asyncio.Semaphore(connecting)
    # no connection limit: a websocket holds its connection (aiohttp's default is 100)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    each_ms: list[float] = []

    async def connect(identity: str) -> Socket:
        async with gate:
            started = time.perf_counter()
            socket = await open_socket(session, url, identity, tokens[identity], sid, first_new)
            each_ms.append((time.perf_counter() - started) * 1000)
            return socket

    try:
        sockets = await asyncio.gather(*(connect(identity) for identity in tokens))
    except BaseException:
        await session.close()
        raise
    return list(sockets), session, each_ms


async def _post_one(rest: aiohttp.ClientSession, url: str, sid: str, i: int) -> int:
    form = {"Author": "bench", "Body": f"live clients message {i}"}
    async with rest.post(f"{url}/v1/Conversations/{sid}/Messages", data=form) as resp:
        if resp.status != 201:
            raise RuntimeError(f"post {i}: {resp.status} {await resp.text()}")
        return int((await resp.json())["index"])


async def _phase(
    rest: aiohttp.ClientSession, url: str, sid: str, sockets: list[Socket], args: Any
) -> dict[str, Any]:
    """The posts, one at a time; per message its start, index, POST ms, and when each
    socket read it."""
    messages = []
    next_at = time.perf_counter()
    for i in range(args.posts):
        for socket in sockets:
            socket.done_at = None
        everyone = _all_heard(sockets, i + 1)  # the messages of this phase read by each
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        started = time.perf_counter()
        index = await _post_one(rest, url, sid, i)
        post_ms = (time.perf_counter() - started) * 1000
        timed_out = False
        try:
            await asyncio.wait_for(everyone.wait(), args.timeout)
        except TimeoutError:
            timed_out = True
        got = [s.added.get(index) for s in sockets]
        messages.append(
            {
                "index": index,
                "post_ms": round(post_ms, 2),
                "ms": [None if at is None else round((at - started) * 1000, 2) for at in got],
                "timed_out": timed_out,
            }
        )
        next_at = max(started + args.interval, time.perf_counter() + args.gap)
    await asyncio.sleep(args.gap)
    return {"messages": messages}


async def measure(
    url: str, pid: int, meter: CpuMeter, sid: str, clients: int, history: int, args: Any
) -> dict[str, Any]:
    identities = [f"user{i}" for i in range(clients)]
    rss_started = _rss(pid)
    async with aiohttp.ClientSession(headers=auth_header()) as rest:
        tokens = await _tokens(rest, url, identities)
        load_subscribe = os.getloadavg()
        cpu_before = meter.read()
        started = time.perf_counter()
        sockets, session, each_ms = await _subscribe_all(url, sid, tokens, history, args.connecting)
        subscribe_s = time.perf_counter() - started
        subscribe_cpu = CpuMeter.used(cpu_before, meter.read())
        try:
            await asyncio.sleep(args.settle)
            rss_subscribed = _rss(pid)
            before = meter.read()
            await asyncio.sleep(args.idle)
            idle = CpuMeter.used(before, meter.read())

            load_before = os.getloadavg()
            busy_before = _busy_s()
            steal_before = getattr(psutil.cpu_times(), "steal", 0.0)
            cpu_before = meter.read()
            t0 = time.perf_counter()
            found = await _phase(rest, url, sid, sockets, args)
            wall_s = time.perf_counter() - t0
            cpu = CpuMeter.used(cpu_before, meter.read())
            busy_s = _busy_s() - busy_before
            steal_s = getattr(psutil.cpu_times(), "steal", 0.0) - steal_before
            load_after = os.getloadavg()
            rss_end = _rss(pid)
        finally:
            for socket in sockets:
                await socket.close()
            await session.close()

    messages = found["messages"]
    pairs = [ms for m in messages for ms in m["ms"] if ms is not None]
    last = [max(m["ms"]) for m in messages if None not in m["ms"]]
    changes = len(messages) * clients
    idle_rate = {name: s / args.idle for name, s in idle.items()}
    per_change = {name: 1000 * s / changes for name, s in cpu.items()}
    net = {name: 1000 * (s - idle_rate[name] * wall_s) / changes for name, s in cpu.items()}
    return {
        "clients": clients,
        "history": history,
        "latency_ms": {"pairs": _stats(pairs), "last": _stats(last)},
        "missing": sum(m["ms"].count(None) for m in messages),
        "timed_out": sum(1 for m in messages if m["timed_out"]),
        "post_ms": _stats([m["post_ms"] for m in messages]),
        "cpu_s": {name: round(s, 4) for name, s in cpu.items()},
        "cpu_ms_per_change_per_client": {name: round(v, 4) for name, v in per_change.items()},
        "cpu_ms_per_change_per_client_net_of_idle": {name: round(v, 4) for name, v in net.items()},
        "idle_cpu_s_per_s": {name: round(v, 4) for name, v in idle_rate.items()},
        "wall_s": round(wall_s, 3),
        "rss_mb": {
            "started": round(rss_started / 2**20, 1),
            "subscribed": round(rss_subscribed / 2**20, 1),
            "end": round(rss_end / 2**20, 1),
        },
        "subscribe": {
            "wall_s": round(subscribe_s, 3),
            "each_ms": _stats(each_ms),
            "cpu_s": {name: round(s, 3) for name, s in subscribe_cpu.items()},
            "loadavg_before": [round(x, 2) for x in load_subscribe],
        },
        "closed_by_server": sum(1 for s in sockets if s.closed is not None),
        "machine": {
            "busy_cpu_s": round(busy_s, 3),  # all processes; 2 cores give 2 s per second
            # what the rest of the machine used (not chinwag, PostgreSQL or this process)
            "others_cpu_s_per_s": round(
                max(0.0, busy_s - cpu["chinwag"] - cpu["bench"] - cpu.get("postgres", 0.0))
                / wall_s,
                3,
            ),
            "steal_s": round(steal_s, 3),  # the hypervisor's: time the vCPUs waited
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
        "messages": messages,
    }


def _one_run(
    dbs: Databases,
    engine: str,
    work: Path,
    built: tuple[str, str],
    clients: int,
    history: int,
    n: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """A copy of the built database, a server on it, N sockets, the measured phase."""
    url, sid = built
    copy = dbs.copy(url, f"clients-run-{history}-{clients}-{n}")
    target = chinwag_target(engine, copy, 1, args.pool_size)
    target.name = f"clients-{engine}-{history}-{clients}-{n}"
    with running(target, work) as pids:
        children = [c.pid for pid in pids for c in psutil.Process(pid).children(True)]
        meter = CpuMeter([*pids, *children], dbs.postgres_pid(), {"bench": [os.getpid()]})
        print(f"  {engine} H={history:,} N={clients}: server pid {pids[0]}", file=sys.stderr)
        found = asyncio.run(measure(target.url, pids[0], meter, sid, clients, history, args))
    dbs.drop(copy)
    lat = found["latency_ms"]
    print(
        f"    subscribed in {found['subscribe']['wall_s']:.2f} s; "
        f"p50 {lat['pairs']['p50']} p99 {lat['pairs']['p99']} last max {lat['last']['max']} ms; "
        f"{found['cpu_ms_per_change_per_client']['chinwag']:.3f} CPU ms per change per client; "
        f"RSS {found['rss_mb']['end']} MB (load {found['machine']['loadavg_before'][0]})",
        file=sys.stderr,
    )
    return found


def run_engine(engine: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every history built first; then the runs round by round, each round every N with
    every H in turn, so that what else the machine does falls on each H alike."""
    histories: dict[str, Any] = {}
    built: dict[int, tuple[str, str]] = {}
    with databases(engine, work) as dbs:
        version = dbs.version()
        for history in args.histories:
            started = time.perf_counter()
            spec = argparse.Namespace(
                clients=max(args.clients), history=history, pool_size=args.pool_size
            )
            built[history] = build(dbs, engine, work, spec)
            build_s = time.perf_counter() - started
            print(f"  {engine} H={history:,}: built in {build_s:.1f} s", file=sys.stderr)
            histories[str(history)] = {"build_s": round(build_s, 1), "runs": []}
        for n in range(args.runs):
            for clients in args.clients:
                for history in args.histories:
                    found = _one_run(dbs, engine, work, built[history], clients, history, n, args)
                    histories[str(history)]["runs"].append(found)
        for url, _ in built.values():
            dbs.drop(url)
    return {"version": version, "histories": histories}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Live clients benchmark (module docstring).")
    parser.add_argument(
        "--label", default="latest", help="names the run in reports (default latest)"
    )
    add_engines_option(parser, ["sqlite"])
    parser.add_argument(
        "--clients", type=integers, default=[50, 100, 200], help="sockets (default 50,100,200)"
    )
    parser.add_argument(
        "--histories",
        type=integers,
        default=[1000, 100_000],
        help="messages of history (default 1000,100_000)",
    )
    parser.add_argument("--runs", type=int, default=2, help="per engine, H and N (default 2)")
    parser.add_argument("--posts", type=int, default=40, help="measured messages (default 40)")
    parser.add_argument(
        "--interval", type=float, default=0.1, help="s from a post to the next (default 0.1)"
    )
    parser.add_argument(
        "--gap", type=float, default=0.05, help="s after every socket read one (default 0.05)"
    )
    parser.add_argument(
        "--connecting", type=int, default=10, help="sockets set up at a time (default 10)"
    )
    parser.add_argument("--settle", type=float, default=1.0, help="s after subscribing")
    parser.add_argument("--idle", type=float, default=1.0, help="idle CPU seconds (default 1)")
    parser.add_argument("--timeout", type=float, default=10.0, help="bound per message (s)")
    parser.add_argument("--pool-size", type=int, default=10, help="PostgreSQL pool (default 10)")
    parser.add_argument("--out", type=Path, help="default bench/results/clients.json")
    args = parser.parse_args(argv)
    out = args.out or BENCH / "results" / "clients.json"

    source = measured_tree()
    started = time.perf_counter()
    load_started = os.getloadavg()
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-") as tmp:
        for engine in args.engines:
            engines[engine] = run_engine(engine, Path(tmp), args)
    results = provenance(args.label, source, vars(args), time.perf_counter() - started)
    results["loadavg"] = {"started": load_started, "ended": os.getloadavg()}
    results["engines"] = engines
    print(report({args.label: results}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
