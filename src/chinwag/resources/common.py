"""What every handler needs: the app's shared objects, the caller's account, forms, JSON replies.

What the path addresses (service, conversation) is `addressing.py`.
"""

import json
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from chinwag.delivery.sender import Sender
from chinwag.delivery.target_guard import DeniedTarget, check_url
from chinwag.domain.auth_failures import FailedAuthLimit
from chinwag.domain.carrier import Carrier
from chinwag.domain.events import Origin
from chinwag.store.accounts import Account
from chinwag.store.database import Database
from chinwag.twilio.errors import InvalidParameter, TooManyParameters, TwilioError
from chinwag.twilio.forms import MAX_PARAMETERS, Form, parse_urlencoded, shown
from chinwag.twilio.pagination import Filters, Page, PageRequest, build_meta
from chinwag.twilio.urls import is_http_url

DATABASE = web.AppKey("database", Database)
PUBLIC_URL = web.AppKey("public_url", str)
SENDER = web.AppKey("sender", Sender)  # set while the app runs, shared with the worker
DENY_PRIVATE_TARGETS = web.AppKey("deny_private_targets", bool)
CARRIER = web.AppKey("carrier", Carrier)  # the simulated SMS/WhatsApp carrier (--receipt-delay)
# Failed Basic auths and sign-ins by client, one count for both doors (--auth-failure-limit).
AUTH_FAILURES = web.AppKey("auth_failures", FailedAuthLimit)


def database(request: web.Request) -> Database:
    return request.app[DATABASE]


def account(request: web.Request) -> Account:
    found: Account = request["account"]
    return found


def carrier(request: web.Request) -> Carrier:
    return request.app[CARRIER]


def base_url(request: web.Request) -> str:
    """`--public-url` if given, else the scheme and host the client used."""
    configured = request.app[PUBLIC_URL]
    return configured or f"{request.scheme}://{request.host}"


def origin(request: web.Request) -> Origin:
    """REST changes fire webhooks only with `X-Twilio-Webhook-Enabled: true` (domain/events.py)."""
    enabled = request.headers.get("X-Twilio-Webhook-Enabled", "").strip().lower() == "true"
    return Origin(source="API", webhooks_enabled=enabled)


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
# What aiohttp raises on a body it cannot read: a broken chunked or compressed body, a
# malformed multipart part, a charset Python does not know. Each is the client's fault.
UNREADABLE = (HttpProcessingError, RequestPayloadError, ValueError, LookupError, AssertionError)


async def read_form(request: web.Request) -> Form:
    """The body's parameters: URL-encoded as Twilio's SDKs send them, or multipart form data.

    Values must be UTF-8; other content types carry no parameters (aiohttp's rule too).
    """
    charset = (request.charset or "utf-8").lower().replace("_", "-")
    if charset not in ("utf-8", "utf8"):
        raise InvalidParameter(f"The request body's charset '{charset}' is not UTF-8.")
    try:
        if request.content_type == MULTIPART:
            return Form(await _multipart_items(request))
        if request.content_type not in ("", FORM):
            return Form([])
        return Form(parse_urlencoded((await request.read()).rstrip()))
    except TwilioError:
        raise
    except UnicodeDecodeError:
        raise InvalidParameter("A multipart/form-data value is not UTF-8.") from None
    except UNREADABLE:  # aiohttp's own messages name its internals, not the request's fault
        raise InvalidParameter(
            f"The request body is not well-formed {request.content_type or FORM}."
        ) from None


def read_query(request: web.Request) -> Form:
    """The query string's parameters, decoded as strictly as a body's."""
    try:
        raw = request.rel_url.raw_query_string.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise InvalidParameter("The query string is not UTF-8.") from None
    return Form(parse_urlencoded(raw))


async def _multipart_items(request: web.Request) -> list[tuple[str, str]]:
    """Text parts as parameters (UTF-8 unless the part names another charset); file parts
    are not parameters and are skipped. Bounded like a URL-encoded body."""
    items: list[tuple[str, str]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise InvalidParameter("A multipart/form-data body may not nest multipart parts.")
        if len(items) >= MAX_PARAMETERS:
            raise TooManyParameters(
                f"The request has more than {MAX_PARAMETERS} parameters, "
                "more than chinwag accepts in one request."
            )
        raw = bytearray()
        while chunk := await part.read_chunk():
            if request.content.total_bytes > request.client_max_size:
                raise web.HTTPRequestEntityTooLarge(
                    max_size=request.client_max_size, actual_size=request.content.total_bytes
                )
            raw.extend(chunk)
        if part.filename is not None:
            continue
        if part.name is None:
            raise InvalidParameter("A multipart/form-data part has no name.")
        value = bytes(part.decode(bytes(raw)))
        items.append((part.name, value.decode(part.get_charset(default="utf-8"))))
    return items


def list_response(
    key: str,
    items: list[dict[str, Any]],
    list_url: str,
    request: PageRequest,
    page: Page,
    filters: Filters | None = None,
) -> web.Response:
    """A Twilio list page: the items under `key`, and the `meta` object with its links."""
    meta = build_meta(key=key, list_url=list_url, request=request, page=page, filters=filters or {})
    return json_response({key: items, "meta": meta})


async def check_target(
    request: web.Request, name: str, url: str | None, refuse: Callable[[str], TwilioError]
) -> None:
    """With --deny-private-targets, refuse a webhook URL whose host is, or resolves to, a
    private address, or does not resolve; `refuse` makes the error (each resource's code).

    Done before the write: resolving a name must not hold the database. A URL that is
    no http(s) URL is left to the domain's validation, which refuses it unresolved.
    """
    if not url or not request.app[DENY_PRIVATE_TARGETS] or not is_http_url(url):
        return
    try:
        await check_url(url)
    except DeniedTarget as denied:
        raise refuse(
            f"{name} '{shown(url)}' is refused by --deny-private-targets: {denied}."
        ) from None


# One encoder for every response: `json.dumps` with `separators` builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        text=_ENCODER.encode(body),
        status=status,
        content_type="application/json",
    )
