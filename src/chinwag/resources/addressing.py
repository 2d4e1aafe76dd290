"""What a request's path addresses, and running one domain call there.

A path names a service (`{ChatServiceSid}`, or none for the account's default
service) and, under it, maybe a conversation (its SID or UniqueName). `ServiceRef`
and `ConversationRef` are what the path names; they are looked up inside the
handler's transaction, giving the rows and the `ServiceRoot` that the response's
URLs hang under.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain.conversations import find_conversation, find_in_default_service
from chinwag.domain.services import default_service, find_service
from chinwag.resources.common import account, base_url, database, list_response
from chinwag.store.accounts import Account
from chinwag.store.conversations import Conversation
from chinwag.store.services import Service
from chinwag.twilio.errors import ResourceNotFound, TwilioError
from chinwag.twilio.pagination import Filters, Page, PageRequest

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class ServiceRoot:
    """A looked-up service, and the absolute URL its resources hang under.

    `url` is `<base>/v1/Services/IS…` on the service path family and `<base>/v1` on the
    default-service family, so `url` and `links` echo the family the caller used.
    """

    service: Service
    url: str
    explicit: bool  # True on /v1/Services/{ChatServiceSid}/...


@dataclass(frozen=True)
class ServiceRef:
    """The service a path names, not yet looked up; `service_sid` None is the default one."""

    account: Account
    base_url: str
    service_sid: str | None
    path: str

    def resolve(self, conn: Connection) -> ServiceRoot:
        if self.service_sid is None:
            return self.root(default_service(conn, self.account.sid))
        return self.root(find_service(conn, self.account.sid, self.service_sid, self.path))

    def root(self, service: Service) -> ServiceRoot:
        """The root of `service`, found for this reference."""
        if self.service_sid is None:
            return ServiceRoot(service, f"{self.base_url}/v1", False)
        return ServiceRoot(service, f"{self.base_url}/v1/Services/{service.sid}", True)


@dataclass(frozen=True)
class ConversationRef:
    """The conversation a path names (SID or UniqueName) under a service, not yet looked up.

    `missing` is raised when there is none: Twilio's 20404 naming the requested path.
    """

    service: ServiceRef
    sid_or_unique_name: str
    missing: TwilioError

    def resolve(
        self, conn: Connection, for_update: bool = False
    ) -> tuple[Conversation, ServiceRoot]:
        """The conversation and its service's root; `for_update` locks the conversation's row."""
        if self.service.service_sid is None:  # the default service, read with the conversation
            conversation, service = find_in_default_service(
                conn, self.service.account.sid, self.sid_or_unique_name, self.missing, for_update
            )
            return conversation, self.service.root(service)
        root = self.service.resolve(conn)
        conversation = find_conversation(
            conn, root.service.sid, self.sid_or_unique_name, self.missing, for_update
        )
        return conversation, root


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
    addressed = service_ref(request)

    def run(conn: Connection) -> tuple[T, ServiceRoot]:
        root = addressed.resolve(conn)
        return work(conn, root.service, *args), root

    if write:
        return await database(request).write(run)
    return await database(request).read(run)


async def in_conversation(
    request: web.Request,
    work: Callable[[Connection, Conversation, *Ts], T],
    *args: *Ts,
    write: bool = False,
) -> tuple[T, ServiceRoot]:
    """`work(conn, conversation, *args)` on the conversation a sub-resource path names
    (else 404 20404); its result, and the root for the response's URLs.

    A write locks the conversation's row first, in a `Database.write_locking`
    transaction, so writers under one conversation take turns instead of conflicting.
    """
    addressed = conversation_ref(request)

    def run(conn: Connection) -> tuple[T, ServiceRoot]:
        conversation, root = addressed.resolve(conn, for_update=write)
        return work(conn, conversation, *args), root

    if write:
        return await database(request).write_locking(run)
    return await database(request).read(run)


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
