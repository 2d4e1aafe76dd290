"""Builds the aiohttp app: routes, one middleware (auth, errors, CORS, metrics), lifespan."""

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from aiohttp import web

from chinwag.config import Settings
from chinwag.delivery.sender import HttpSender, http_sender
from chinwag.delivery.worker import Worker
from chinwag.domain.accounts import Authenticator
from chinwag.domain.auth_failures import FailedAuthLimit
from chinwag.domain.carrier import Carrier
from chinwag.metrics import CONTENT_TYPE, Metrics
from chinwag.operations import media_urls
from chinwag.request_context import (
    AUTH_FAILURES,
    CARRIER,
    DATABASE,
    DENY_PRIVATE_TARGETS,
    PUBLIC_URL,
    SENDER,
)
from chinwag.resources import media
from chinwag.resources.common import act_as, json_response
from chinwag.resources.routes import ACCESS_TOKEN_ROUTES, SIGNED_ROUTES, Handler, add_routes
from chinwag.store.accounts import Account
from chinwag.store.database import Database
from chinwag.timers import timer_runner
from chinwag.twilio import cors
from chinwag.twilio.auth import WWW_AUTHENTICATE, parse_basic
from chinwag.twilio.errors import (
    InternalError,
    InvalidParameter,
    MethodNotAllowed,
    ResourceNotFound,
    TooManyRequests,
    TwilioError,
    Unauthenticated,
)
from chinwag.twilio.forms import NUL, NUL_MESSAGE
from chinwag.twilsock import connection as twilsock
from chinwag.ui.routes import add_ui, is_ui_path

logger = logging.getLogger("chinwag.app")

# Aggregates only, no account data: scrapers and probes need no credentials.
PUBLIC_PATHS = frozenset({"/chinwag/health", "/chinwag/metrics"})
MAX_REQUEST_LINE = 64 * 1024
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
METRICS = web.AppKey("metrics", Metrics)


@web.middleware
async def front_door(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request's one middleware: the caller's account, Twilio's error envelope, CORS
    headers on every response but the dashboard's (ui/headers.py sets its own), and the
    request's count and time by route template.

    One coroutine rather than one middleware per concern: each layer costs aiohttp an
    awaited wrapper per request (docs/benchmarks.md, "API", and its git history).
    """
    started = time.monotonic()
    if request.method == "OPTIONS":  # CORS preflight: no credentials are sent with it
        response: web.StreamResponse = web.Response(status=204)
    else:
        try:
            if NUL in request.path:  # e.g. a UniqueName in the path
                raise InvalidParameter(f"The request path {NUL_MESSAGE}")
            if _needs_account(request.path):
                await _authenticate(request)
            response = await handler(request)
        except TwilioError as error:
            response = _error_response(error)
        except web.HTTPNotFound:
            response = _error_response(ResourceNotFound.for_path(request.path))
        except web.HTTPMethodNotAllowed:
            not_allowed = MethodNotAllowed(
                f"Method {request.method} is not allowed on {request.path}."
            )
            response = _error_response(not_allowed)
        except web.HTTPRequestEntityTooLarge:
            response = _error_response(TwilioError("The request body is too large."))
        except Exception:
            logger.exception(
                "unhandled error", extra={"method": request.method, "path": request.path}
            )
            response = _error_response(InternalError("Internal Server Error"))
    # Not on a websocket (its headers are sent) nor the dashboard (ui/headers.py).
    if not response.prepared and not is_ui_path(request.path):
        response.headers.update(cors.HEADERS)
    # By route template, not path: bounded labels.
    route = request.match_info.route.resource
    template = route.canonical if route is not None else "unmatched"
    request.app[METRICS].observe_request(
        request.method, template, response.status, time.monotonic() - started
    )
    return response


def _error_response(error: TwilioError) -> web.Response:
    response = json_response(error.envelope(), error.status)
    response.content_type = error.content_type  # RFC 9457's for the Webhooks configuration API
    if isinstance(error, Unauthenticated):
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    elif isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _needs_account(path: str) -> bool:
    """Aggregates (health, metrics) need no credentials; the dashboard has sessions; the
    client SDK's socket gets its token in `init`."""
    return path not in PUBLIC_PATHS and not is_ui_path(path) and path != twilsock.PATH


async def _authenticate(request: web.Request) -> None:
    """Who the request acts for: HTTP Basic, or where the route takes them (routes.py) the
    client SDK's Access Token in `X-Twilio-Token`, or a temporary URL's signature."""
    route = request.match_info.route.resource
    template = route.canonical if route is not None else ""
    if template in SIGNED_ROUTES and media_urls.SIGNATURE in request.query:
        request["account"] = await media.signed_account(request)
    elif template in ACCESS_TOKEN_ROUTES and media.ACCESS_TOKEN in request.headers:
        act_as(request, await media.sdk_user(request))
    else:
        request["account"] = await _account(request)


async def _account(request: web.Request) -> Account:
    """HTTP Basic with AccountSid:AuthToken or SK…:secret: the account they prove.

    A client past its failed-authentication limit is refused before its credentials are
    checked (domain/auth_failures.py); no credentials at all is no failed attempt."""
    credentials = parse_basic(request.headers.get("Authorization"))
    if credentials is None:
        raise Unauthenticated()
    failures, client = request.app[AUTH_FAILURES], request.remote or ""
    wait = failures.retry_after(client)
    if wait is not None:
        raise TooManyRequests(wait)
    account = await request.app[AUTHENTICATOR].authenticate(request.app[DATABASE], credentials)
    if account is None:
        failures.record_failure(client)
        raise Unauthenticated("Authentication Error - invalid username or password")
    return account


async def metrics(request: web.Request) -> web.Response:
    body = await request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def health(request: web.Request) -> web.Response:
    reachable = await request.app[DATABASE].ping()
    return json_response(
        {"status": "ok" if reachable else "database unreachable"}, 200 if reachable else 503
    )


def build_worker(
    settings: Settings,
    database: Database,
    sender: HttpSender,
    on_attempt: Callable[[str, float], None] | None = None,
) -> Worker:
    return Worker(
        database,
        sender,
        studio_url=settings.studio_url,
        policy=settings.retry_policy(),
        lease=settings.delivery_lease,
        retention=settings.retention(),
        on_attempt=on_attempt,
        host_concurrency=settings.host_concurrency,
        # Between claims while busy (retries and lapsed leases come due unannounced);
        # PostgreSQL wakes workers with NOTIFY, so they need look less often.
        poll_interval=1.0 if database.is_postgresql else 0.2,
        shutdown_grace=settings.shutdown_grace,
    )


async def run_worker(settings: Settings, database: Database) -> None:
    """`chinwag worker`: deliver until SIGTERM or SIGINT, then finish the batch in flight."""
    async with http_sender(settings.deny_private_targets) as sender:
        worker = build_worker(settings, database, sender)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        await worker.run()


def build_app(settings: Settings, database: Database) -> web.Application:
    app = web.Application(
        middlewares=[front_door],
        # Long query strings still reach the app and get Twilio's error envelope;
        # only past these limits does aiohttp's parser answer a bare 400 itself.
        handler_args={"max_line_size": MAX_REQUEST_LINE, "max_field_size": MAX_REQUEST_LINE},
    )
    app[DATABASE] = database
    app[AUTHENTICATOR] = Authenticator()
    app[AUTH_FAILURES] = FailedAuthLimit(settings.auth_failure_limit)
    app[METRICS] = Metrics(database)
    app[PUBLIC_URL] = (settings.public_url or "").rstrip("/")
    app[DENY_PRIVATE_TARGETS] = settings.deny_private_targets
    app[CARRIER] = Carrier(receipt_delay=timedelta(seconds=max(settings.receipt_delay, 0.0)))
    add_routes(app)
    add_ui(app)
    twilsock.add_socket(app)  # the client SDKs' socket, /v3/wsconnect
    app.router.add_get("/chinwag/health", health)
    app.router.add_get("/chinwag/metrics", metrics)

    async def close_database(app: web.Application) -> AsyncIterator[None]:
        yield
        await database.close()

    async def run_background(app: web.Application) -> AsyncIterator[None]:
        async with http_sender(settings.deny_private_targets) as sender:
            app[SENDER] = sender  # pre-event webhooks are asked from the request path
            timers = timer_runner(database)
            tasks = [asyncio.create_task(timers.run())]
            worker = None
            if settings.run_worker:  # it hears this process's commits on the database's doorbell
                worker = build_worker(settings, database, sender, app[METRICS].observe_attempt)
                tasks.append(asyncio.create_task(worker.run()))
            yield
            timers.stop()
            if worker is not None:
                worker.stop()
            await asyncio.gather(*tasks)

    app.cleanup_ctx.append(close_database)
    app.cleanup_ctx.append(run_background)
    return app
