"""Soak: mixed API traffic and faulty webhook receivers for minutes, a SIGKILL in the middle.

Run from the repository root, with chinwag installed with its bench extra:

    pip install -e '.[bench]' && python bench/soak.py --minutes 10

Everything runs on 127.0.0.1. `chinwag serve` runs on a fresh SQLite file (or
`--database postgresql` for a pgserver PostgreSQL, or any fresh database URL)
with a short `--retry-schedule` and `--delivery-lease` (see SERVE_OPTIONS).
Five receivers, one per behaviour on a port of its own, run in a child process:
`ok` answers 200, `error` 500, `throttle` 429 with Retry-After, `hang` answers
only after the 5 s send timeout, `reset` resets the connection. Each has one
conversation with one conversation-scoped webhook (onMessageAdded) to it.

Each second, open loop: `--rounds` rounds of churn (create a conversation, add
two chat participants, post two messages, update the conversation and a message,
list conversations, messages and participants, delete every other conversation),
`--ok-messages` messages to the `ok` conversation and one to each failing one
(the `hang` one only every HANG_EVERY_S seconds: its one webhook sends one
attempt per 5 s timeout). Messages go with X-Twilio-Webhook-Enabled: true.
Halfway, the server is killed with SIGKILL and started again on the same
database and port; the traffic carries on (requests during the gap fail and are
counted).

Every `--sample` seconds it records the server's RSS and open file descriptors
(/proc), the due and pending queue (/chinwag/metrics), the delivery latency p50
and p99 of the `ok` receiver's first arrivals in the window (arrival time minus
the time just before the message's POST, on one clock), and the API p99 of the
requests answered in the window. Then traffic stops, the queue drains (bounded
by `--drain`) and the run is checked through the API:

- every message the API acknowledged is stored, and every stored message of a
  receiver's conversation has its delivery (nothing lost, kill included);
- every delivery ended `delivered` (ok) or dead-lettered as `failed` (the rest)
  after 1 + len(schedule) attempts, with every attempt in its log
  (/chinwag/v1/Deliveries/{Sid}); every logged attempt arrived at its receiver
  (more arrivals than attempts: attempts the kill cut off, sent again);
- the throttled receiver's retries never came sooner than its Retry-After;
- no request of the traffic (all valid) was answered 4xx or 5xx.

Results: bench/results/soak-<engine>.json (samples and summary), a summary on
stdout and docs/img/soak-<engine>.png. The run exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from api import ACCOUNT_SID, AUTH_TOKEN, auth_header, free_port
from engines import databases

BENCH = Path(__file__).resolve().parent
MAX_MINUTES = 60
BEHAVIOURS = ("ok", "error", "throttle", "hang", "reset")
EXPECTED_STATUS = {b: "delivered" if b == "ok" else "failed" for b in BEHAVIOURS}
RETRY_AFTER_S = 2  # the throttle receiver's Retry-After, longer than the 1st scheduled wait
HANG_S = 30  # the hang receiver's answer time, far past the 5 s send timeout
# Short waits so that every retry, and so every delivery's end, falls within the run:
# the default schedule (5 s to 10 h) would leave failing deliveries pending for a day.
RETRY_SCHEDULE = (1.0, 2.0, 4.0)
# A dead server's claimed deliveries come back when their lease lapses: 20 s instead
# of the default 300 s, so the restart's redeliveries fall within the run too.
LEASE_S = 20
SERVE_OPTIONS = [
    "--retry-schedule",
    ",".join(f"{w:g}" for w in RETRY_SCHEDULE),
    "--delivery-lease",
    str(LEASE_S),
    "--log-level",
    "warning",
]
# A hang delivery takes 1 + 3 attempts at 5 s (+ 7 s of waits): one message per
# 30 s keeps its webhook's queue from growing without end.
HANG_EVERY_S = 30
CREDENTIALS = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
WEBHOOK_ON = {"X-Twilio-Webhook-Enabled": "true"}
BEHAVIOUR = web.AppKey("behaviour", str)
ARRIVALS = web.AppKey("arrivals", list[dict[str, Any]])


# ---- receivers (a child process) ---------------------------------------------------------


async def receive(request: web.Request) -> web.StreamResponse:
    """Note the arrival, then behave as this port's receiver does."""
    behaviour = request.app[BEHAVIOUR]
    form = await request.post()
    request.app[ARRIVALS].append(
        {
            "behaviour": behaviour,
            "ns": time.time_ns(),
            "token": request.headers.get("I-Twilio-Idempotency-Token"),
            "message_sid": form.get("MessageSid"),
            "retry_count": form.get("RetryCount"),
        }
    )
    if behaviour == "error":
        return web.Response(status=500, text="soak: failing on purpose")
    if behaviour == "throttle":
        return web.Response(status=429, headers={"Retry-After": str(RETRY_AFTER_S)})
    if behaviour == "hang":
        await asyncio.sleep(HANG_S)
    if behaviour == "reset":  # SO_LINGER 0: close() sends RST instead of FIN
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if request.transport is not None:
            request.transport.abort()
    return web.Response(status=200)


async def arrivals_since(request: web.Request) -> web.Response:
    arrivals = request.app[ARRIVALS]
    return web.json_response(arrivals[int(request.query.get("since", "0")) :])


async def run_receivers(ports: dict[str, int]) -> None:
    arrivals: list[dict[str, Any]] = []  # shared by the five apps, read at /_arrivals
    for behaviour, port in ports.items():
        app = web.Application()
        app[BEHAVIOUR], app[ARRIVALS] = behaviour, arrivals
        app.router.add_get("/_arrivals", arrivals_since)
        app.router.add_post("/{tail:.*}", receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


def receivers_main(ports: dict[str, int]) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_receivers(ports))


# ---- the server under test ----------------------------------------------------------------


class Server:
    """`chinwag serve` on one port and database, killed and restarted in place."""

    def __init__(self, database: str, work: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._command = [sys.executable, "-m", "chinwag", "serve", "--port", str(self.port)]
        self._command += ["--database", database, *SERVE_OPTIONS]
        self._log = work / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> float:
        """Start and wait until it answers /chinwag/health; returns the seconds it took."""
        started = time.monotonic()
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                self._command, env=os.environ | CREDENTIALS, stdout=log, stderr=subprocess.STDOUT
            )
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < 60:
                if self.process.poll() is not None:
                    raise RuntimeError(f"serve exited:\n{self._log.read_text()[-3000:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/chinwag/health") as resp:
                        if resp.status == 200:
                            return time.monotonic() - started
                await asyncio.sleep(0.1)
        raise RuntimeError("serve did not answer /chinwag/health in 60 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


def rss_and_fds(pid: int) -> tuple[float | None, int | None]:
    """Resident memory (MiB) and open file descriptors of `pid`, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmRSS:")
        return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return None, None


# ---- traffic ------------------------------------------------------------------------------


@dataclass
class Record:
    """What the traffic did: each request's end and latency, each message's POST time."""

    started: float = field(default_factory=time.time)
    requests: list[tuple[float, float, int]] = field(default_factory=list)  # end, ms, status
    posted_ns: dict[str, int] = field(default_factory=dict)  # MessageSid -> just before POST
    acknowledged: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    skipped: int = 0  # not started: too many in flight


class Api:
    """chinwag's API over one session; every request timed into the Record (0: no answer)."""

    def __init__(self, session: aiohttp.ClientSession, base: str, record: Record) -> None:
        self.session, self.base, self.record = session, base, record

    async def call(self, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        started = time.monotonic()
        status, body = 0, None
        try:
            async with self.session.request(method, self.base + path, data=data, **kwargs) as r:
                status = r.status
                body = await r.json() if r.content_type == "application/json" else None
        except (TimeoutError, aiohttp.ClientError):
            pass  # the server is down (the kill) or overloaded: counted as status 0
        self.record.requests.append((time.time(), (time.monotonic() - started) * 1000, status))
        return body if 200 <= status < 300 else None

    async def post_message(self, conversation: str, body: str, behaviour: str = "") -> Any:
        before = time.time_ns()
        path = f"/v1/Conversations/{conversation}/Messages"
        message = await self.call(
            "POST", path, {"Author": "soak", "Body": body}, headers=WEBHOOK_ON
        )
        if message is not None:
            self.record.posted_ns[message["sid"]] = before
            if behaviour:
                self.record.acknowledged[behaviour].add(message["sid"])
        return message


async def churn_round(api: Api, n: int) -> None:
    """The mixed traffic of one round: creates, updates, lists and a delete."""
    conversation = await api.call("POST", "/v1/Conversations", {"FriendlyName": f"churn {n}"})
    if conversation is None:
        return
    path = f"/v1/Conversations/{conversation['sid']}"
    for who in ("a", "b"):
        await api.call("POST", f"{path}/Participants", {"Identity": f"soak-{n}-{who}"})
    message = await api.post_message(conversation["sid"], f"churn {n} first")
    await api.post_message(conversation["sid"], f"churn {n} second")
    await api.call("POST", path, {"FriendlyName": f"churn {n} renamed", "Attributes": '{"n":1}'})
    if message is not None:
        await api.call("POST", f"{path}/Messages/{message['sid']}", {"Body": "edited"})
    await api.call("GET", "/v1/Conversations?PageSize=20")
    await api.call("GET", f"{path}/Messages?PageSize=20")
    await api.call("GET", f"{path}/Participants")
    if n % 2:
        await api.call("DELETE", path)


async def set_up_receivers(api: Api, ports: dict[str, int]) -> dict[str, str]:
    """One conversation per behaviour with one onMessageAdded webhook to its receiver."""
    conversations = {}
    for behaviour, port in ports.items():
        made = await api.call("POST", "/v1/Conversations", {"FriendlyName": f"soak {behaviour}"})
        hook = {
            "Target": "webhook",
            "Configuration.Url": f"http://127.0.0.1:{port}/{behaviour}",
            "Configuration.Method": "POST",
            "Configuration.Filters": "onMessageAdded",
        }
        if (
            made is None
            or await api.call("POST", f"/v1/Conversations/{made['sid']}/Webhooks", hook) is None
        ):
            raise RuntimeError(f"could not set up the {behaviour} conversation")
        conversations[behaviour] = made["sid"]
    return conversations


async def traffic(
    api: Api, conversations: dict[str, str], args: argparse.Namespace, stop_at: float
) -> None:
    """Each second, start that second's rounds and messages (open loop, bounded in flight)."""
    running: set[asyncio.Task[Any]] = set()
    begin, second = stop_at - args.minutes * 60, 0
    while begin + second < stop_at:
        todo = [churn_round(api, second * args.rounds + i) for i in range(args.rounds)]
        todo += [
            api.post_message(conversations["ok"], f"ok {second}.{i}", "ok")
            for i in range(args.ok_messages)
        ]
        for behaviour in ("error", "throttle", "reset"):
            todo.append(api.post_message(conversations[behaviour], f"{second}", behaviour))
        if second % HANG_EVERY_S == 0:
            todo.append(api.post_message(conversations["hang"], f"{second}", "hang"))
        for i, work in enumerate(todo):  # spread over the second, not in one burst
            await asyncio.sleep(max(0.0, begin + second + i / len(todo) - time.monotonic()))
            if len(running) >= args.max_in_flight:  # the server is down or far behind
                work.close()
                api.record.skipped += 1
                continue
            task = asyncio.create_task(work)
            running.add(task)
            task.add_done_callback(running.discard)
        second += 1
        await asyncio.sleep(max(0.0, begin + second - time.monotonic()))
    await asyncio.gather(*running)


# ---- sampling -----------------------------------------------------------------------------


@dataclass
class Sample:
    t_s: float  # since the traffic began
    rss_mib: float | None
    fds: int | None
    due: float | None
    pending: float | None
    delivery_p50_ms: float | None
    delivery_p99_ms: float | None
    deliveries: int  # first arrivals at `ok` in the window
    api_p99_ms: float | None
    api_requests: int
    api_failed: int  # no answer, or a 5xx


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def pending_count(metrics: str) -> float:
    """Pending deliveries, due now or later (no line when there are none)."""
    return metric(metrics, 'chinwag_deliveries{status="pending"}') or 0.0


class Sampler:
    """Reads the server and the receivers every so often, into Samples."""

    def __init__(self, server: Server, api: Api, receivers: str) -> None:
        self.server, self.api, self.receivers = server, api, receivers
        self.samples: list[Sample] = []
        self.arrivals: list[dict[str, Any]] = []
        self.first_seen: set[str] = set()
        self.latencies: list[float] = []  # ms, of every first arrival at `ok`
        self._requests_seen = 0

    async def new_arrivals(self) -> list[dict[str, Any]]:
        url = f"{self.receivers}/_arrivals?since={len(self.arrivals)}"
        async with self.api.session.get(url) as resp:
            new: list[dict[str, Any]] = await resp.json()
        self.arrivals += new
        return new

    async def sample(self) -> None:
        latencies = []
        for arrival in await self.new_arrivals():
            token, posted = arrival["token"], self.api.record.posted_ns.get(arrival["message_sid"])
            # (a message whose POST got no answer, at the kill, has no POST time)
            if arrival["behaviour"] == "ok" and token not in self.first_seen and posted:
                self.first_seen.add(token)
                latencies.append((arrival["ns"] - posted) / 1e6)
        self.latencies += latencies
        pid = self.server.process.pid if self.server.process else 0
        rss, fds = rss_and_fds(pid)
        metrics = None
        with contextlib.suppress(TimeoutError, aiohttp.ClientError):
            async with self.api.session.get(f"{self.server.url}/chinwag/metrics") as resp:
                metrics = await resp.text() if resp.status == 200 else None
        requests = self.api.record.requests[self._requests_seen :]
        self._requests_seen += len(requests)
        answered = [ms for _, ms, status in requests if status]
        self.samples.append(
            Sample(
                t_s=round(time.time() - self.api.record.started, 1),
                rss_mib=rss,
                fds=fds,
                due=metric(metrics, "chinwag_deliveries_due") if metrics else None,
                pending=pending_count(metrics) if metrics else None,
                delivery_p50_ms=percentile(latencies, 50),
                delivery_p99_ms=percentile(latencies, 99),
                deliveries=len(latencies),
                api_p99_ms=percentile(answered, 99),
                api_requests=len(requests),
                api_failed=sum(1 for _, _, status in requests if status == 0 or status >= 500),
            )
        )

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            await self.sample()


# ---- the end: drain and check -------------------------------------------------------------


async def drain(api: Api, bound_s: float) -> float | None:
    """Wait until no delivery is pending (due now or later); returns the seconds it took,
    or None if some still were after `bound_s` (the check then names them)."""
    started = time.monotonic()
    while time.monotonic() - started < bound_s:
        async with api.session.get(f"{api.base}/chinwag/metrics") as resp:
            if pending_count(await resp.text()) == 0:
                return time.monotonic() - started
        await asyncio.sleep(1)
    return None


async def every_page(api: Api, path: str) -> list[dict[str, Any]]:
    """All items of a list, following meta.next_page_url."""
    items: list[dict[str, Any]] = []
    next_path: str | None = path
    while next_path:
        page = await api.call("GET", next_path)
        if page is None:
            raise RuntimeError(f"GET {next_path} failed")
        items += page[page["meta"]["key"]]
        next_url = page["meta"]["next_page_url"]
        next_path = next_url[next_url.index("/", len("http://")) :] if next_url else None
    return items


async def with_attempts(api: Api, deliveries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each delivery as GET /chinwag/v1/Deliveries/{Sid} shows it, attempt log included."""
    gate = asyncio.Semaphore(8)

    async def one(delivery: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            shown = await api.call("GET", f"/chinwag/v1/Deliveries/{delivery['sid']}")
        if shown is None:
            raise RuntimeError(f"GET delivery {delivery['sid']} failed")
        return {**delivery, "log": shown["attempts"]}

    return list(await asyncio.gather(*(one(d) for d in deliveries)))


def delivery_problems(behaviour: str, delivery: dict[str, Any], arrived: list[int]) -> list[str]:
    """What is wrong with one finished delivery, given its arrival times at the receiver."""
    sid, log, count = delivery["sid"], delivery["log"], delivery["attempts"]
    problems = []
    if delivery["status"] != EXPECTED_STATUS[behaviour]:
        problems.append(
            f"{behaviour} {sid}: {delivery['status']}, not {EXPECTED_STATUS[behaviour]}"
        )
    if [a["attempt"] for a in log] != list(range(1, count + 1)):
        problems.append(f"{behaviour} {sid}: {count} attempts, log {[a['attempt'] for a in log]}")
    if behaviour != "ok" and count != 1 + len(RETRY_SCHEDULE):
        problems.append(f"{behaviour} {sid}: dead after {count} attempts")
    if behaviour == "ok" and log and log[-1]["response_status"] != 200:
        problems.append(f"ok {sid}: last attempt answered {log[-1]['response_status']}")
    if len(arrived) < count:
        problems.append(f"{behaviour} {sid}: {count} attempts logged, {len(arrived)} arrived")
    if behaviour == "throttle":
        gaps = [(b - a) / 1e9 for a, b in itertools.pairwise(arrived)]
        if any(gap < RETRY_AFTER_S - 0.05 for gap in gaps):
            problems.append(f"throttle {sid}: retried after {min(gaps):.2f} s < Retry-After")
    return problems


async def check(
    api: Api, conversations: dict[str, str], arrivals: list[dict[str, Any]], ready_ns: int
) -> tuple[dict[str, Any], list[str]]:
    """Per behaviour: nothing lost, every delivery finished as expected with its full log."""
    arrived: dict[str, list[int]] = defaultdict(list)
    for arrival in arrivals:
        arrived[arrival["token"]].append(arrival["ns"])
    summary: dict[str, Any] = {}
    problems: list[str] = []
    for behaviour, conversation in conversations.items():
        path = f"/v1/Conversations/{conversation}/Messages?PageSize=100"
        stored = {m["sid"] for m in await every_page(api, path)}
        path = f"/chinwag/v1/Deliveries?ConversationSid={conversation}&PageSize=100"
        deliveries = await with_attempts(api, await every_page(api, path))
        for_message = Counter(d["params"].get("MessageSid") for d in deliveries)
        lost = api.record.acknowledged[behaviour] - stored
        problems += [f"{behaviour}: message {sid} acknowledged, not stored" for sid in lost]
        problems += [
            f"{behaviour}: message {s} has no delivery" for s in stored - for_message.keys()
        ]
        problems += [
            f"{behaviour}: message {s} has {n} deliveries" for s, n in for_message.items() if n != 1
        ]
        for delivery in deliveries:
            problems += delivery_problems(behaviour, delivery, sorted(arrived[delivery["sid"]]))
        attempts = sum(d["attempts"] for d in deliveries)
        summary[behaviour] = {
            "messages_acknowledged": len(api.record.acknowledged[behaviour]),
            "messages_stored": len(stored),
            "deliveries": len(deliveries),
            "statuses": dict(Counter(d["status"] for d in deliveries)),
            "attempts_logged": attempts,
            "arrivals": sum(len(arrived[d["sid"]]) for d in deliveries),
            "arrivals_not_logged": sum(len(arrived[d["sid"]]) for d in deliveries) - attempts,
            "resent_after_restart_s": resent_after_restart_s(deliveries, arrived, ready_ns),
        }
    return summary, problems


# ---- report -------------------------------------------------------------------------------


def save_plot(samples: list[dict[str, Any]], kill_s: float, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s["t_s"] / 60 for s in samples]
    panels: list[tuple[str, list[tuple[str, str]], bool]] = [
        ("server RSS (MiB)", [("rss_mib", "RSS")], False),
        ("open file descriptors", [("fds", "fds")], False),
        (
            "deliveries queued",
            [("due", "due now"), ("pending", "pending (due now or later)")],
            False,
        ),
        (
            "delivery latency, ok receiver (ms)",
            [("delivery_p50_ms", "p50"), ("delivery_p99_ms", "p99")],
            True,
        ),
        ("API latency (ms)", [("api_p99_ms", "p99")], True),
    ]
    figure, axes = plt.subplots(len(panels), 1, figsize=(8, 12), sharex=True)
    for ax, (label, series, log) in zip(axes, panels, strict=True):
        for name, legend in series:
            values = [s[name] for s in samples]
            ax.plot(minutes, [float("nan") if v is None else v for v in values], label=legend)
        ax.axvline(kill_s / 60, color="red", linestyle="--", linewidth=1, label="SIGKILL + restart")
        ax.set_ylabel(label, fontsize=8)
        if log and any(s[name] for s in samples for name, _ in series):
            ax.set_yscale("log")
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("minutes")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def resent_after_restart_s(
    deliveries: list[dict[str, Any]], arrived: dict[str, list[int]], ready_ns: int
) -> list[float]:
    """For each attempt the kill cut short (it arrived, but was never logged), how long
    after the restart the delivery arrived again: the killed server's lease lapsing."""
    return [
        round((min(ns for ns in arrived[d["sid"]] if ns > ready_ns) - ready_ns) / 1e9, 1)
        for d in deliveries
        if len(arrived[d["sid"]]) > d["attempts"] and max(arrived[d["sid"]]) > ready_ns
    ]


def summarize(
    record: Record, sampler: Sampler, kill: dict[str, float], drained_s: float | None
) -> dict[str, Any]:
    latencies = sampler.latencies
    answered = [ms for _, ms, status in record.requests if status]
    rss = [s.rss_mib for s in sampler.samples if s.rss_mib is not None]
    fds = [s.fds for s in sampler.samples if s.fds is not None]
    return {
        "api_requests": len(record.requests),
        "api_statuses": dict(Counter(str(status) for _, _, status in record.requests)),
        "api_p50_ms": percentile(answered, 50),
        "api_p99_ms": percentile(answered, 99),
        "skipped_for_in_flight_cap": record.skipped,
        "ok_delivery_p50_ms": percentile(latencies, 50),
        "ok_delivery_p99_ms": percentile(latencies, 99),
        "rss_mib_first_last_max": [rss[0], rss[-1], max(rss)] if rss else None,
        "fds_first_last_max": [fds[0], fds[-1], max(fds)] if fds else None,
        "drain_s": None if drained_s is None else round(drained_s, 1),
        **kill,
    }


# ---- the run ------------------------------------------------------------------------------


async def kill_and_restart(
    server: Server, at: float, kill: dict[str, float], record: Record
) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    kill_ns = time.time_ns()
    server.kill()
    kill["kill_at_s"] = round(kill_ns / 1e9 - record.started, 1)
    kill["restart_s"] = round(await server.start(), 2)
    kill["kill_ns"], kill["ready_ns"] = kill_ns, time.time_ns()
    print(f"SIGKILL at {kill['kill_at_s']} s; serving again {kill['restart_s']} s later")


async def soak(database: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    ports = {behaviour: free_port() for behaviour in BEHAVIOURS}
    receivers = multiprocessing.get_context("spawn").Process(
        target=receivers_main, args=(ports,), daemon=True
    )
    receivers.start()
    server = Server(database, work)
    try:
        await server.start()
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=args.max_in_flight)
        async with aiohttp.ClientSession(
            headers=auth_header(), timeout=timeout, connector=connector
        ) as session:
            record = Record()
            api = Api(session, server.url, record)
            conversations = await set_up_receivers(api, ports)
            record.requests.clear()
            record.started = time.time()
            sampler = Sampler(server, api, f"http://127.0.0.1:{ports['ok']}")
            stop = asyncio.Event()
            sampling = asyncio.create_task(sampler.run(args.sample, stop))
            begin = time.monotonic()
            kill: dict[str, float] = {}
            await asyncio.gather(
                traffic(api, conversations, args, begin + args.minutes * 60),
                kill_and_restart(server, begin + args.minutes * 30, kill, record),
            )
            stop.set()
            await sampling
            print("traffic done; draining the queue")
            drained_s = await drain(api, args.drain)
            summary = summarize(record, sampler, kill, drained_s)
            await sampler.new_arrivals()
            summary["behaviours"], problems = await check(
                api, conversations, sampler.arrivals, int(kill["ready_ns"])
            )
            problems += [
                f"{count} API requests answered {status} during the traffic"
                for status, count in summary["api_statuses"].items()
                if int(status) >= 400  # every request the traffic makes is valid
            ]
            del summary["kill_ns"], summary["ready_ns"]
            return {"summary": summary, "problems": problems, "samples": sampler.samples}
    finally:
        server.stop()
        receivers.terminate()
        receivers.join(10)


def minutes(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_MINUTES:
        raise argparse.ArgumentTypeError(f"--minutes must be more than 0 and at most {MAX_MINUTES}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak (see the module docstring).")
    parser.add_argument(
        "--minutes", type=minutes, default=10, help=f"default 10, at most {MAX_MINUTES}"
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (a fresh file, default), postgresql (a fresh pgserver database) or a URL",
    )
    parser.add_argument("--rounds", type=int, default=2, help="churn rounds started per second")
    parser.add_argument("--ok-messages", type=int, default=4, help="messages to `ok` per second")
    parser.add_argument("--max-in-flight", type=int, default=64, help="rounds and posts at once")
    parser.add_argument("--sample", type=float, default=5, help="seconds between samples")
    parser.add_argument("--drain", type=float, default=180, help="max seconds to drain at the end")
    parser.add_argument("--out", type=Path, help="default bench/results/soak-<engine>.json")
    parser.add_argument("--plot", type=Path, help="default docs/img/soak-<engine>.png")
    args = parser.parse_args(argv)

    engine = "postgresql" if args.database.startswith("postgres") else "sqlite"
    out = args.out or BENCH / "results" / f"soak-{engine}.json"
    plot = args.plot or BENCH.parent / "docs" / "img" / f"soak-{engine}.png"
    with tempfile.TemporaryDirectory(prefix="chinwag-soak-") as tmp:
        work = Path(tmp)
        with databases(engine, work) as dbs:
            url = dbs.new("soak") if args.database in ("sqlite", "postgresql") else args.database
            result = asyncio.run(soak(url, work, args))
    summary, problems = result["summary"], result["problems"]
    result["args"] = vars(args) | {"out": str(out), "plot": str(plot), "engine": engine}
    result["serve_options"] = SERVE_OPTIONS
    result["samples"] = [asdict(s) for s in result["samples"]]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    title = f"chinwag soak, {engine}, {args.minutes:g} min (SIGKILL + restart at the red line)"
    save_plot(result["samples"], summary["kill_at_s"], title, plot)
    print(json.dumps(summary, indent=2))
    print(f"wrote {out} and {plot}")
    for problem in problems[:50]:
        print("PROBLEM:", problem, file=sys.stderr)
    print(f"{len(problems)} problems" if problems else "every check held", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
