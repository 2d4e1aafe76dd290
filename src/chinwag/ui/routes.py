"""The dashboard's routes, in one place, and what `build_app` calls to mount it.

Served under /chinwag/ui/ by `chinwag serve` itself (`/` redirects there). These
paths are not Twilio's API: they authenticate by the session cookie
(`sessions.py`), not HTTP Basic, are left out of the OpenAPI walk, and carry the
dashboard's own headers (`headers.py`) instead of the API's CORS.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from chinwag.domain.accounts import Authenticator
from chinwag.domain.media import is_inline_image
from chinwag.ui import actions, feeds, headers, pages, sinks
from chinwag.ui.inputs import plain_errors
from chinwag.ui.live import CLOSING, STREAMS, OpenStreams, end_streams
from chinwag.ui.sessions import AUTHENTICATOR, CSRF_FIELD, see_other

PREFIX = "/chinwag/ui"
STATIC = Path(__file__).parent / "static"
STATIC_PREFIX = PREFIX + "/static/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UI_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/sign-in", actions.sign_in_form),
    ("POST", "/sign-in", actions.sign_in_submit),
    ("POST", "/sign-out", actions.sign_out),
    ("GET", "/", pages.conversations),
    ("GET", "/conversations/{ConversationSid}", pages.conversation),
    ("GET", "/conversations/{ConversationSid}/events", feeds.conversation_events),
    ("POST", "/conversations/{ConversationSid}/messages", actions.send_message),
    ("GET", "/conversations/{ConversationSid}/media/{MediaSid}", pages.medium),
    ("POST", "/inbound", actions.write_as_customer),
    ("GET", "/deliveries", pages.deliveries),
    ("GET", "/deliveries/events", feeds.deliveries_events),
    ("POST", "/deliveries/redeliver-failed", actions.redeliver_failed),
    ("GET", "/deliveries/{Token}", pages.delivery),
    ("GET", "/deliveries/{Token}/events", feeds.delivery_events),
    ("POST", "/deliveries/{Token}/redeliver", actions.redeliver),
    ("GET", "/configuration", pages.configuration),
    ("GET", "/sinks", sinks.sinks),
    ("GET", "/pushes", pages.pushes),
]


def is_ui_path(path: str) -> bool:
    """Paths the dashboard answers itself (the session cookie, not HTTP Basic)."""
    return path == "/" or path == PREFIX or path.startswith(PREFIX + "/")


async def to_dashboard(request: web.Request) -> web.StreamResponse:
    return see_other(PREFIX + "/")


async def _with_dashboard_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: every response passes here just before its headers go."""
    if is_ui_path(request.path):
        headers.add_headers(response, static=request.path.startswith(STATIC_PREFIX))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"


def add_ui(app: web.Application) -> None:
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("chinwag.ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )
    environment.filters["when"] = _when
    environment.tests["inline_image"] = is_inline_image  # a message's medium shown in <img>
    environment.globals["csrf_field"] = CSRF_FIELD
    app[AUTHENTICATOR] = Authenticator()
    app[STREAMS] = OpenStreams()
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(end_streams)
    app.on_response_prepare.append(_with_dashboard_headers)
    app.router.add_get("/", to_dashboard)
    app.router.add_get(PREFIX, to_dashboard)
    for method, path, handler in UI_ROUTES:
        app.router.add_route(method, PREFIX + path, plain_errors(handler))
    app.router.add_static(STATIC_PREFIX, STATIC)
