"""What a REST path addresses, and running one domain call there.

A path names a service (`{ChatServiceSid}`, or none for the account's default
service) and, under it, maybe a conversation (its SID or UniqueName):
`service_ref` and `conversation_ref` read them as operations/addressing.py's refs,
which are looked up inside the handler's transaction. Also the paged lists of an
account's, a service's and a conversation's resources.
"""

from collections.abc import Callable
from typing import Any, TypeVar, TypeVarTuple

from aiohttp import web
from sqlalchemy import Connection

from chinwag.operations import addressing
from chinwag.operations.addressing import ConversationRef, ServiceRef, ServiceRoot
from chinwag.request_context import base_url, database
from chinwag.resources.common import account, list_response
from chinwag.store.conversations import Conversation
from chinwag.store.services import Service
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.pagination import Filters, Page, PageRequest

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


def service_ref(request: web.Request) -> ServiceRef:
    return ServiceRef(
        account=account(request),
        base_url=base_url(request),
        service_sid=request.match_info.get("ChatServiceSid"),
        path=request.path,
    )


def conversation_ref(request: web.Request) -> ConversationRef:
    """The conversation a sub-resource path (`.../Conversations/{ConversationSid}/...`) names."""
    missing = ResourceNotFound.for_path(request.path)
    return ConversationRef(service_ref(request), request.match_info["ConversationSid"], missing)


async def in_service(
    request: web.Request,
    work: Callable[[Connection, Service, *Ts], T],
    *args: *Ts,
    write: bool = False,
) -> tuple[T, ServiceRoot]:
    """`work(conn, service, *args)` on the service the path names, in one transaction
    (a write transaction with `write`); its result, and the root for the response's URLs."""
    return await addressing.in_service(
        database(request), service_ref(request), work, *args, write=write
    )


async def in_conversation(
    request: web.Request,
    work: Callable[[Connection, Conversation, *Ts], T],
    *args: *Ts,
    write: bool = False,
) -> tuple[T, ServiceRoot]:
    """`work(conn, conversation, *args)` on the conversation a sub-resource path names
    (else 404 20404), its row locked by a write; its result, and the root for the
    response's URLs."""
    return await addressing.in_conversation(
        database(request), conversation_ref(request), work, *args, write=write
    )


# One page of a list: (conn, the SID of the service or conversation it is under, the request).
PageFetch = Callable[[Connection, str, PageRequest], Page]
ItemJson = Callable[[Any, ServiceRoot], dict[str, Any]]


async def list_in_account(
    request: web.Request,
    key: str,
    path: str,
    page_request: PageRequest,
    fetch_page: PageFetch,
    item_json: Callable[[Any, str], dict[str, Any]],
    filters: Filters | None = None,
) -> web.Response:
    """A page of the account's `key` (services, credentials, address configurations),
    shaped as a Twilio list with `meta` at `<base>/v1/<path>`; `item_json` gets the base URL."""
    page = await database(request).read(fetch_page, account(request).sid, page_request)
    base = base_url(request)
    items = [item_json(row, base) for row in page.rows]
    return list_response(key, items, f"{base}/v1/{path}", page_request, page, filters)


async def list_in_service(
    request: web.Request,
    key: str,
    page_request: PageRequest,
    fetch_page: PageFetch,
    item_json: ItemJson,
    filters: Filters | None = None,
    *,
    path: str | None = None,
) -> web.Response:
    """A page of the service's `key`, shaped as a Twilio list with `meta`; its URL is
    `<root>/<path>`, `path` being `<Key>` unless given."""

    def fetch(conn: Connection, service: Service) -> Page:
        return fetch_page(conn, service.sid, page_request)

    page, root = await in_service(request, fetch)
    items = [item_json(row, root) for row in page.rows]
    list_url = f"{root.url}/{path or key.capitalize()}"
    return list_response(key, items, list_url, page_request, page, filters)


async def list_in_conversation(
    request: web.Request,
    key: str,
    page_request: PageRequest,
    fetch_page: PageFetch,
    item_json: ItemJson,
    filters: Filters | None = None,
) -> web.Response:
    """A page of a conversation's `key` (its webhooks, participants or messages), shaped as
    a Twilio list with `meta`; the list URL names the conversation by SID."""

    def fetch(conn: Connection, conversation: Conversation) -> tuple[Page, str]:
        return fetch_page(conn, conversation.sid, page_request), conversation.sid

    (page, conversation_sid), root = await in_conversation(request, fetch)
    items = [item_json(row, root) for row in page.rows]
    list_url = f"{root.url}/Conversations/{conversation_sid}/{key.capitalize()}"
    return list_response(key, items, list_url, page_request, page, filters)
