"""What the dashboard reads from a request, parsed strictly: numbers, redirect targets, forms.

Whatever a browser (or anyone else) sends, a bad value is either treated as absent (a
cursor that is not a number) or answered with 400 and a short plain page (a NUL, a body
that is not UTF-8): never a 500, never a broken connection. Query strings and forms
are read by the readers the REST API uses too (`read_query`, `read_form`); their
refusals, and any other Twilio error a dashboard handler lets out, are rendered here
as plain text instead of the API's JSON envelope (`plain_errors`).
"""

import re
from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from chinwag.request_context import read_form
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.forms import MAX_STORED_INTEGER, Form

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Row ids and message indexes are `Integer` columns (32-bit on PostgreSQL): a larger
# number would be refused by the database, so it is no cursor. ASCII digits only:
# str.isdigit() takes "²" (which int() refuses) and Arabic-Indic digits (which it reads).
MAX_NUMBER = MAX_STORED_INTEGER
_NUMBER = re.compile(r"[0-9]{1,10}")
# A path on this site: one "/" (not "//host"), then printable ASCII without space or
# backslash (so no CR or LF to split a header, no "/\host" that browsers read as a host).
_LOCAL_PATH = re.compile(r"/(?!/)[!-\[\]-~]*")
_FORM = "ui_form"  # the request's parsed form, read once


def whole_number(value: str | None) -> int | None:
    """`value` as a number from 0 to `MAX_NUMBER` in ASCII digits, else None (absent)."""
    if value is None or _NUMBER.fullmatch(value) is None:
        return None
    number = int(value)
    return number if number <= MAX_NUMBER else None


def local_path(value: str | None, default: str) -> str:
    """`value` if it is a path on this site (`/chinwag/ui/...`, not `//host/...`), else
    `default`: a redirect never leaves the site nor carries a header of its own."""
    return value if value is not None and _LOCAL_PATH.fullmatch(value) else default


async def form(request: web.Request) -> Form:
    """The POSTed form, URL-encoded or multipart, UTF-8 and without NUL (else 400); read
    once, so that the CSRF check and the handler see the same parameters."""
    if _FORM not in request:
        request[_FORM] = await read_form(request)
    found: Form = request[_FORM]
    return found


def bad_request(status: int, message: str) -> web.Response:
    """A short plain-text answer to a request the dashboard cannot use."""
    return web.Response(status=status, text=message)


def plain_errors(handler: Handler) -> Handler:
    """`handler` with the Twilio errors it lets out (a bad query string or form) answered
    as a plain page with their status, as the rest of the dashboard answers refusals."""

    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except TwilioError as error:
            return bad_request(error.status, error.message)

    return wrapped
