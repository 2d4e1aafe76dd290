"""Server-sent events: a page's live updates, as HTML fragments htmx swaps in.

Each stream looks for news (`changes.py`) at once, then whenever this process's
database doorbell rings (a commit that queued deliveries) and otherwise every
`INTERVAL` seconds, which also catches other servers' commits. Messages carry
their index as the event id, so a reconnecting browser (`Last-Event-ID`) gets
only what it missed. Streams end when the browser goes (noticed within `INTERVAL`) or
the server shuts down. A signed-in session holds at most `MAX_STREAMS_PER_SESSION` at
once on a server (the next is answered 429), so no session, nor a script holding its
cookie, keeps connections and database looks open without bound.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from chinwag.request_context import database
from chinwag.ui.inputs import bad_request, whole_number
from chinwag.ui.sessions import Session, read_session

INTERVAL = 1.0  # seconds between looks when nothing rings
KEEPALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing
# A browser keeps one stream per open page (and at most 6 connections per host over
# HTTP/1.1): 8 leaves room for a few tabs and for a reload before the old one is noticed.
MAX_STREAMS_PER_SESSION = 8


class OpenStreams:
    """The streams this server serves, each woken by its event, by the session that
    opened it: all are ended at shutdown, and each session may hold only so many."""

    def __init__(self, per_session: int = MAX_STREAMS_PER_SESSION) -> None:
        self.per_session = per_session
        self._by_session: dict[str, set[asyncio.Event]] = {}
        self._ended: set[str] = set()  # signed out while streams were open

    def open(self, session: str, wake: asyncio.Event) -> bool:
        """Count `wake` as one of `session`'s streams; False when it has its share open."""
        held = self._by_session.setdefault(session, set())
        if len(held) >= self.per_session:
            return False
        held.add(wake)
        return True

    def close(self, session: str, wake: asyncio.Event) -> None:
        held = self._by_session.get(session, set())
        held.discard(wake)
        if not held:
            self._by_session.pop(session, None)
            self._ended.discard(session)

    def end(self, session: str) -> None:
        """Sign-out: the session's streams here end at once (other servers' streams find
        out at their next keepalive, when each reads its session again)."""
        self._ended.add(session)
        for wake in list(self._by_session.get(session, ())):
            wake.set()

    def ended(self, session: str) -> bool:
        return session in self._ended

    def wake_all(self) -> None:
        for held in list(self._by_session.values()):
            for wake in list(held):
                wake.set()


STREAMS = web.AppKey("ui_streams", OpenStreams)
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


def last_event_id(request: web.Request, fallback: str | None) -> int | None:
    """Where a stream resumes: the browser's Last-Event-ID, else what the page said; None
    when neither is an event id this server sends (a number in ASCII digits)."""
    resume = whole_number(request.headers.get("Last-Event-ID"))
    return resume if resume is not None else whole_number(fallback)


def _gone(request: web.Request) -> bool:
    """Whether the browser has closed the connection (aiohttp does not cancel the handler)."""
    return request.transport is None or request.transport.is_closing()


async def stream(request: web.Request, session: Session, look: Look) -> web.StreamResponse:
    """Send what `look` finds until the browser goes or the server stops."""
    streams, closing = request.app[STREAMS], request.app[CLOSING]
    wake = asyncio.Event()
    if not streams.open(session.csrf, wake):  # the session's random token names it
        limit = streams.per_session
        return bad_request(429, f"This session has {limit} live pages open already.")
    try:
        return await _send(request, session, look, wake, closing)
    finally:
        streams.close(session.csrf, wake)


async def _signed_out(request: web.Request, session: Session) -> bool:
    """Whether the stream's session has ended on any server (the database says so)."""
    current = await read_session(request)
    return current is None or current.csrf != session.csrf


async def _send(
    request: web.Request,
    session: Session,
    look: Look,
    wake: asyncio.Event,
    closing: asyncio.Event,
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # a buffering proxy would hold the events back
        }
    )
    await response.prepare(request)
    unsubscribe = database(request).doorbell.subscribe(wake.set)
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    try:
        streams = request.app[STREAMS]
        while not closing.is_set() and not _gone(request) and not streams.ended(session.csrf):
            wake.clear()
            for event in await look():
                await response.write(event.encode())
                quiet_since = loop.time()
            if loop.time() - quiet_since > KEEPALIVE:
                if await _signed_out(request, session):
                    break
                await response.write(b": keepalive\n\n")
                quiet_since = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), INTERVAL)
    except ConnectionError:  # the browser went away
        pass
    finally:
        unsubscribe()
    return response


async def end_streams(app: web.Application) -> None:
    """On shutdown: every open stream ends, so shutdown need not wait for browsers."""
    app[CLOSING].set()
    app[STREAMS].wake_all()
