"""History benchmark: message create and list latency with 1,000 vs 1,000,000 stored messages.

Run from the repository root, with chinwag installed with its test extra
(pgserver) and matplotlib for the plot:

    python bench/history.py                        # SQLite and PostgreSQL, about 5 minutes

For each engine, one database per size (--sizes, default 1,000 and 1,000,000
messages): `chinwag serve` starts on it and creates, through the API, 1,000
background conversations, one hot conversation and 10 small ones; then the
messages are bulk-loaded into the tables (bench/seed.py: a tenth of them in the
hot conversation, scattered through the table; 10 each in the small ones, the
most recent; the rest round-robin over the background) and the server restarts.

Both sizes' servers then run side by side and are measured interleaved: each
sample sends every operation to each server in turn, one request at a time
(no queueing: latency is the service time plus the HTTP round trip, taken at
the client). The operations: create a message in a background conversation and
in the hot one; list the hot conversation's first page (default PageSize, 50),
its newest first (Order=desc), and a page a quarter of the way in (PageToken,
the keyset cursor chinwag's next_page_url carries); list a small conversation;
list conversations (first page). --rounds rounds of --samples samples; each
round's p50 and p99, and their median over rounds, per size; the ratio
largest/smallest size against the issue's target of 1.5x. The query plans of
the message lists on the largest database are recorded too (EXPLAIN).
Results: a table on stdout, bench/results/history.json and a plot (--plot).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from api import ACCOUNT_SID, auth_header, chinwag_target, create_conversations, running
from engines import ENGINES, add_engines_option, databases, integers
from history_report import explain_lists, report, results_json, save_plot
from seed import HOT_EVERY, SMALL_MESSAGES, Layout, message_id, seed

BENCH = Path(__file__).resolve().parent
BACKGROUND = 1_000
SMALL = 10
WARMUP = 20  # requests per operation and size before the samples count


@dataclass(frozen=True)
class History:
    """One seeded database and the conversations the operations use."""

    size: int
    url: str
    layout: Layout
    page_token: str  # PA<id>: a quarter of the way into the hot conversation
    seed_s: float


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    status: int
    request: Callable[[History, int], tuple[str, dict[str, str]]]  # sample -> path, form/query


def _messages(sid: str) -> str:
    return f"/v1/Conversations/{sid}/Messages"


def _post(sid: str, i: int) -> tuple[str, dict[str, str]]:
    return _messages(sid), {"Author": "bench", "Body": f"measured message {i}"}


OPERATIONS = [
    Operation(
        "create message, background conversation",
        "POST",
        201,
        lambda h, i: _post(h.layout.background[i % len(h.layout.background)], i),
    ),
    Operation("create message, hot conversation", "POST", 201, lambda h, i: _post(h.layout.hot, i)),
    Operation(
        "list messages, hot, first page", "GET", 200, lambda h, i: (_messages(h.layout.hot), {})
    ),
    Operation(
        "list messages, hot, newest first",
        "GET",
        200,
        lambda h, i: (_messages(h.layout.hot), {"Order": "desc"}),
    ),
    Operation(
        "list messages, hot, PageToken a quarter in",
        "GET",
        200,
        lambda h, i: (_messages(h.layout.hot), {"PageToken": h.page_token}),
    ),
    Operation(
        "list messages, small conversation",
        "GET",
        200,
        lambda h, i: (_messages(h.layout.small[i % SMALL]), {}),
    ),
    Operation("list conversations, first page", "GET", 200, lambda h, i: ("/v1/Conversations", {})),
]


async def _service_sid(url: str, conversation_sid: str) -> str:
    async with (
        aiohttp.ClientSession(headers=auth_header()) as session,
        session.get(f"{url}/v1/Conversations/{conversation_sid}") as resp,
    ):
        sid: str = (await resp.json())["chat_service_sid"]
        return sid


def build(engine: str, url: str, size: int, work: Path, pool_size: int) -> History:
    """Conversations through the API, then `size` messages bulk-loaded (server stopped)."""
    target = chinwag_target(engine, url, 1, pool_size)
    target.name = f"history-setup-{engine}-{size}"
    with running(target, work):
        sids = asyncio.run(create_conversations(target.url, 1 + SMALL + BACKGROUND))
        service_sid = asyncio.run(_service_sid(target.url, sids[0]))
    layout = Layout(ACCOUNT_SID, service_sid, sids[0], sids[1 : 1 + SMALL], sids[1 + SMALL :])
    started = time.perf_counter()
    seed(url, layout, size)
    seed_s = time.perf_counter() - started
    hot_messages = -(-(size - SMALL * SMALL_MESSAGES) // HOT_EVERY)
    token = f"PA{message_id(url, layout.hot, hot_messages // 4)}"
    print(f"  {engine}: {size:,} messages loaded in {seed_s:.1f} s", file=sys.stderr)
    return History(size, url, layout, token, seed_s)


async def _send(
    session: aiohttp.ClientSession, base: str, op: Operation, history: History, i: int
) -> float:
    path, values = op.request(history, i)
    started = time.perf_counter()
    if op.method == "POST":
        request = session.post(base + path, data=values)
    else:
        request = session.get(base + path, params=values)
    async with request as resp:
        body = await resp.read()
    elapsed = time.perf_counter() - started
    if resp.status != op.status:
        raise RuntimeError(f"{op.name}: HTTP {resp.status} {body[:300]!r}")
    return elapsed * 1000


async def sample(
    servers: dict[int, str], histories: dict[int, History], samples: int, rounds: int
) -> dict[str, dict[int, list[list[float]]]]:
    """Latencies in ms: operation -> size -> one list per round."""
    found: dict[str, dict[int, list[list[float]]]] = {
        op.name: {size: [[] for _ in range(rounds)] for size in servers} for op in OPERATIONS
    }
    async with aiohttp.ClientSession(headers=auth_header()) as session:
        for i in range(WARMUP):
            for op in OPERATIONS:
                for size, base in servers.items():
                    await _send(session, base, op, histories[size], i)
        for r in range(rounds):
            for i in range(samples):
                for op in OPERATIONS:
                    for size, base in servers.items():
                        ms = await _send(session, base, op, histories[size], WARMUP + i)
                        found[op.name][size][r].append(ms)
            print(f"  round {r + 1} of {rounds} done", file=sys.stderr)
    return found


def run_engine(engine: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    with databases(engine, work) as dbs:
        histories = {
            size: build(engine, dbs.new(f"history-{size}"), size, work, args.pool_size)
            for size in args.sizes
        }
        targets = {
            size: chinwag_target(engine, h.url, 1, args.pool_size) for size, h in histories.items()
        }
        for size, target in targets.items():
            target.name = f"history-{engine}-{size}"
        with running(targets[args.sizes[0]], work), running(targets[args.sizes[-1]], work):
            servers = {size: target.url for size, target in targets.items()}
            latencies = asyncio.run(sample(servers, histories, args.samples, args.rounds))
        largest = histories[max(args.sizes)]
        return {
            "version": dbs.version(),
            "seed_s": {size: h.seed_s for size, h in histories.items()},
            "latency_ms": latencies,
            "plans": explain_lists(largest.url, largest.layout, largest.page_token),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="History benchmark (see module docstring).")
    add_engines_option(parser, list(ENGINES))
    parser.add_argument(
        "--sizes",
        type=integers,
        default=[1_000, 1_000_000],
        help="stored messages, the smaller then the larger (default 1000,1000000)",
    )
    parser.add_argument("--samples", type=int, default=200, help="per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="(default 3)")
    parser.add_argument("--pool-size", type=int, default=10, help="PostgreSQL pool (default 10)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "history.json")
    parser.add_argument("--plot", type=Path, help="save a plot of the latencies here")
    args = parser.parse_args(argv)
    if len(args.sizes) != 2:
        parser.error("--sizes takes two sizes: the smaller and the larger")

    started = time.perf_counter()
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-") as tmp:
        for engine in args.engines:
            engines[engine] = run_engine(engine, Path(tmp), args)
    print(report(engines, args.sizes))
    results = results_json(engines, vars(args), time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)
    if args.plot:
        save_plot(engines, args.sizes, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
