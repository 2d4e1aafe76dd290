"""What REST handlers need beyond the shared request context (chinwag/request_context.py):
the caller's account and actor, the webhook URL guard, Twilio's JSON replies.

What the path addresses (service, conversation) is `addressing.py`.
"""

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from chinwag.domain.actors import Actor
from chinwag.domain.events import Origin
from chinwag.operations.targets import refuse_private_target
from chinwag.request_context import deny_private_targets
from chinwag.store.accounts import Account
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.pagination import Filters, Page, PageRequest, build_meta

_ACTOR = "actor"  # the request's Actor, built on first use


def account(request: web.Request) -> Account:
    """The account HTTP Basic proved (app.py's middleware)."""
    found: Account = request["account"]
    return found


def actor(request: web.Request) -> Actor:
    """Who makes the request, built once: its account, and webhooks only with
    `X-Twilio-Webhook-Enabled: true` (domain/actors.Actor.rest)."""
    if _ACTOR not in request:
        header = request.headers.get("X-Twilio-Webhook-Enabled", "")
        enabled = header.strip().lower() == "true"
        request[_ACTOR] = Actor.rest(account(request), webhooks_enabled=enabled)
    found: Actor = request[_ACTOR]
    return found


def act_as(request: web.Request, sdk_user: Actor) -> None:
    """The request acts as an SDK user its Access Token proved (app.py's front door, on
    the media routes the SDK's media client calls)."""
    request["account"] = sdk_user.account
    request[_ACTOR] = sdk_user


def origin(request: web.Request) -> Origin:
    """How the request's changes are published (domain/events.py)."""
    return actor(request).origin


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
    private address, or does not resolve; `refuse` makes the error (each resource's code)."""
    if deny_private_targets(request):
        await refuse_private_target(name, url, refuse)


# One encoder for every response: `json.dumps` with `separators` builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def json_response(body: dict[str, Any] | list[Any], status: int = 200) -> web.Response:
    return web.Response(
        text=_ENCODER.encode(body),
        status=status,
        content_type="application/json",
    )
