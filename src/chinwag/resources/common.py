"""What every handler needs: the app's shared objects, the caller's account, forms, JSON replies.

What the path addresses (service, conversation) is `addressing.py`.
"""

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from chinwag.delivery.sender import Sender
from chinwag.delivery.target_guard import DeniedTarget, check_url
from chinwag.domain.events import Origin
from chinwag.store.accounts import Account
from chinwag.store.database import Database
from chinwag.twilio.errors import InvalidParameter, TwilioError
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Filters, Page, PageRequest, build_meta

DATABASE = web.AppKey("database", Database)
PUBLIC_URL = web.AppKey("public_url", str)
SENDER = web.AppKey("sender", Sender)  # set while the app runs, shared with the worker
DENY_PRIVATE_TARGETS = web.AppKey("deny_private_targets", bool)


def database(request: web.Request) -> Database:
    return request.app[DATABASE]


def account(request: web.Request) -> Account:
    found: Account = request["account"]
    return found


def base_url(request: web.Request) -> str:
    """`--public-url` if given, else the scheme and host the client used."""
    configured = request.app[PUBLIC_URL]
    return configured or f"{request.scheme}://{request.host}"


def origin(request: web.Request) -> Origin:
    """REST changes fire webhooks only with `X-Twilio-Webhook-Enabled: true` (domain/events.py)."""
    enabled = request.headers.get("X-Twilio-Webhook-Enabled", "").strip().lower() == "true"
    return Origin(source="API", webhooks_enabled=enabled)


async def read_form(request: web.Request) -> Form:
    try:
        body = await request.post()
    except (UnicodeDecodeError, ValueError):
        raise InvalidParameter(
            "The request body is not UTF-8 form data (application/x-www-form-urlencoded)."
        ) from None
    return Form([(name, value) for name, value in body.items() if isinstance(value, str)])


def read_query(request: web.Request) -> Form:
    return Form(list(request.query.items()))


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

    Done before the write: resolving a name must not hold the database.
    """
    if not url or not request.app[DENY_PRIVATE_TARGETS]:
        return
    try:
        await check_url(url)
    except DeniedTarget as denied:
        raise refuse(f"{name} '{url}' is refused by --deny-private-targets: {denied}.") from None


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )
