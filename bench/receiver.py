"""The webhook receiver for bench/delivery.py: answers every delivery 200 and notes when.

A separate process, so it does not share an event loop (or a core's worth of
Python) with the sender it measures. Any request outside /_ is a delivery: the
body is read, the arrival time (time.time_ns(), comparable across processes on
one machine) recorded, and an empty 200 returned. Control endpoints:

- GET /_wait?count=N&timeout=S: waits until N deliveries have arrived (or S
  seconds pass), then answers {"count", "nth_ns", "nth_body"} for the N-th one.
- GET /_arrivals: every arrival time so far, {"arrivals_ns": [...]}.
- POST /_reset: forget all arrivals.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from aiohttp import web
from hello import serve

ARRIVALS = web.AppKey("arrivals", list[int])
BODIES = web.AppKey("bodies", dict[int, bytes])
# Futures to resolve when the count reaches a number: a waiter costs nothing per arrival.
WAITERS = web.AppKey("waiters", dict[int, list[asyncio.Future[None]]])
KEEP_BODIES = 2000  # enough for the latency run; throughput runs keep only the first ones


async def deliver(request: web.Request) -> web.Response:
    body = await request.read()
    arrivals = request.app[ARRIVALS]
    arrivals.append(time.time_ns())
    if len(arrivals) <= KEEP_BODIES:
        request.app[BODIES][len(arrivals)] = body
    for waiter in request.app[WAITERS].pop(len(arrivals), []):
        if not waiter.done():
            waiter.set_result(None)
    return web.Response(status=200)


async def wait(request: web.Request) -> web.Response:
    count = int(request.query["count"])
    timeout = float(request.query.get("timeout", "30"))
    arrivals = request.app[ARRIVALS]
    if len(arrivals) < count:
        waiter = asyncio.get_running_loop().create_future()
        request.app[WAITERS].setdefault(count, []).append(waiter)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, timeout)
    done = len(arrivals) >= count
    body = request.app[BODIES].get(count, b"") if done else b""
    return web.json_response(
        {
            "count": len(arrivals),
            "nth_ns": arrivals[count - 1] if done else None,
            "nth_body": body.decode("utf-8", "replace"),
        }
    )


async def all_arrivals(request: web.Request) -> web.Response:
    return web.json_response({"arrivals_ns": request.app[ARRIVALS]})


async def reset(request: web.Request) -> web.Response:
    request.app[ARRIVALS].clear()
    request.app[BODIES].clear()
    request.app[WAITERS].clear()
    return web.Response(status=204)


def make_app() -> web.Application:
    app = web.Application()
    app[ARRIVALS] = []
    app[BODIES] = {}
    app[WAITERS] = {}
    app.router.add_get("/_wait", wait)
    app.router.add_get("/_arrivals", all_arrivals)
    app.router.add_post("/_reset", reset)
    app.router.add_route("*", "/{tail:.*}", deliver)
    return app


def main(argv: list[str] | None = None) -> None:
    serve(make_app(), __doc__, argv)


if __name__ == "__main__":
    main()
