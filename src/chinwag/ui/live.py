"""Server-sent events: a page's live updates, as HTML fragments htmx swaps in.

Each stream looks for news (`changes.py`) at once, then whenever this process's
database doorbell rings (a commit that queued deliveries) and otherwise every
`INTERVAL` seconds, which also catches other servers' commits. Messages carry
their index as the event id, so a reconnecting browser (`Last-Event-ID`) gets
only what it missed. Streams end when the server shuts down.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from chinwag.resources.common import database

INTERVAL = 1.0  # seconds between looks when nothing rings
KEEPALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing
STREAMS = web.AppKey("ui_streams", set[asyncio.Event])
CLOSING = web.AppKey("ui_closing", asyncio.Event)


@dataclass(frozen=True)
class Event:
    name: str
    html: str
    id: str | None = None

    def encode(self) -> bytes:
        lines = [f"event: {self.name}"]
        if self.id is not None:
            lines.append(f"id: {self.id}")
        lines += [f"data: {line}" for line in self.html.splitlines() or [""]]
        return ("\n".join(lines) + "\n\n").encode()


Look = Callable[[], Awaitable[list[Event]]]


def last_event_id(request: web.Request, fallback: str | None) -> str | None:
    """Where a stream resumes: the browser's Last-Event-ID, else what the page said."""
    return request.headers.get("Last-Event-ID") or fallback


async def stream(request: web.Request, look: Look) -> web.StreamResponse:
    """Send what `look` finds until the browser goes or the server stops."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # a buffering proxy would hold the events back
        }
    )
    await response.prepare(request)
    wake = asyncio.Event()
    streams, closing = request.app[STREAMS], request.app[CLOSING]
    streams.add(wake)
    unsubscribe = database(request).doorbell.subscribe(wake.set)
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    try:
        while not closing.is_set():
            wake.clear()
            for event in await look():
                await response.write(event.encode())
                quiet_since = loop.time()
            if loop.time() - quiet_since > KEEPALIVE:
                await response.write(b": keepalive\n\n")
                quiet_since = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), INTERVAL)
    except ConnectionError:  # the browser went away
        pass
    finally:
        unsubscribe()
        streams.discard(wake)
    return response


async def end_streams(app: web.Application) -> None:
    """On shutdown: every open stream ends, so shutdown need not wait for browsers."""
    app[CLOSING].set()
    streams: set[asyncio.Event] = app[STREAMS]
    for wake in list(streams):
        wake.set()
