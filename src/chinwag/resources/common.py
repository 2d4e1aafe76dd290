"""What every handler needs: the caller's account, the service in scope, forms, JSON replies."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy import Connection

from chinwag.delivery.sender import Sender
from chinwag.delivery.target_guard import DeniedTarget, check_url
from chinwag.domain.conversations import find_conversation
from chinwag.domain.events import Origin
from chinwag.domain.services import default_service, find_service
from chinwag.store.accounts import Account
from chinwag.store.conversations import Conversation
from chinwag.store.database import Database
from chinwag.store.services import Service
from chinwag.twilio.errors import ConversationNotFound, InvalidParameter, TwilioError
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest, build_meta

T = TypeVar("T")

DATABASE = web.AppKey("database", Database)
PUBLIC_URL = web.AppKey("public_url", str)
SENDER = web.AppKey("sender", Sender)  # set while the app runs, shared with the worker
DENY_PRIVATE_TARGETS = web.AppKey("deny_private_targets", bool)


@dataclass(frozen=True)
class InService:
    """A resolved request scope: the service, and the absolute URL its resources hang under.

    `root` is `<base>/v1/Services/IS…` on the service path family and `<base>/v1` on the
    default-service family, so `url` and `links` echo the family the caller used.
    """

    service: Service
    root: str
    explicit: bool  # True on /v1/Services/{ChatServiceSid}/...


@dataclass(frozen=True)
class RequestScope:
    account: Account
    base_url: str
    service_sid: str | None
    path: str

    def resolve(self, conn: Connection) -> InService:
        if self.service_sid is None:
            return InService(default_service(conn, self.account.sid), f"{self.base_url}/v1", False)
        service = find_service(conn, self.account.sid, self.service_sid, self.path)
        return InService(service, f"{self.base_url}/v1/Services/{service.sid}", True)


def database(request: web.Request) -> Database:
    return request.app[DATABASE]


async def write_in_conversation(request: web.Request, work: Callable[[Connection], T]) -> T:
    """A write under one conversation; `work` finds it with `in_conversation(...,
    for_update=True)`, so writers to one conversation take turns on its row
    (Database.write_locking) instead of conflicting."""
    return await database(request).write_locking(work)


def account(request: web.Request) -> Account:
    found: Account = request["account"]
    return found


def base_url(request: web.Request) -> str:
    """`--public-url` if given, else the scheme and host the client used."""
    configured = request.app[PUBLIC_URL]
    return configured or f"{request.scheme}://{request.host}"


def scope(request: web.Request) -> RequestScope:
    return RequestScope(
        account=account(request),
        base_url=base_url(request),
        service_sid=request.match_info.get("ChatServiceSid"),
        path=request.path,
    )


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
    filters: dict[str, str] | None = None,
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


def in_conversation(
    conn: Connection, where_to: RequestScope, ref: str, for_update: bool = False
) -> tuple[Conversation, InService]:
    """The conversation a sub-resource path names (SID or UniqueName); else 404 50350.

    `for_update` (in `write_in_conversation`) locks its row for the transaction.
    """
    where = where_to.resolve(conn)
    missing = ConversationNotFound(f"Conversation '{ref}' was not found.")
    return find_conversation(conn, where.service.sid, ref, missing, for_update), where


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )
