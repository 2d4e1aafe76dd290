"""What every transport takes from an aiohttp request: the app's shared objects, the
public base URL, and the request's parameters, read strictly.

The REST API (`resources/`), the client SDK's socket (`twilsock/`) and the dashboard
(`ui/`) each read these here and hand them to the operations below them
(`operations/`) explicitly; `app.py` sets the app keys. What only REST reads (the
Basic-authenticated account, Twilio's JSON replies) is `resources/common.py`.
"""

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from chinwag.delivery.sender import Sender
from chinwag.domain.auth_failures import FailedAuthLimit
from chinwag.domain.carrier import Carrier
from chinwag.store.database import Database
from chinwag.twilio.errors import InvalidParameter, TooManyParameters, TwilioError
from chinwag.twilio.forms import MAX_PARAMETERS, Form, parse_urlencoded

DATABASE = web.AppKey("database", Database)
PUBLIC_URL = web.AppKey("public_url", str)
SENDER = web.AppKey("sender", Sender)  # set while the app runs, shared with the worker
DENY_PRIVATE_TARGETS = web.AppKey("deny_private_targets", bool)
CARRIER = web.AppKey("carrier", Carrier)  # the simulated SMS/WhatsApp carrier (--receipt-delay)
# Failed Basic auths and sign-ins by client, one count for both doors (--auth-failure-limit).
AUTH_FAILURES = web.AppKey("auth_failures", FailedAuthLimit)


def database(request: web.Request) -> Database:
    return request.app[DATABASE]


def sender(request: web.Request) -> Sender | None:
    """What pre-event webhooks are asked with; None before the app has started it."""
    return request.app.get(SENDER)


def carrier(request: web.Request) -> Carrier:
    return request.app[CARRIER]


def deny_private_targets(request: web.Request) -> bool:
    return request.app[DENY_PRIVATE_TARGETS]


def base_url(request: web.Request) -> str:
    """`--public-url` if given, else the scheme and host the client used."""
    configured = request.app[PUBLIC_URL]
    return configured or f"{request.scheme}://{request.host}"


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
