"""The dashboard's pages (GET): each reads through the store in one transaction and renders.

Every lookup is scoped to the signed-in account; another account's conversation or
delivery is simply not found (404), as in the REST API.
"""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain.push_payloads import shown_text
from chinwag.operations import media_urls
from chinwag.request_context import database, read_query
from chinwag.store import address_configurations as address_store
from chinwag.store import conversations as conversation_store
from chinwag.store import global_webhooks, service_webhooks
from chinwag.store import media as media_store
from chinwag.store import messages as message_store
from chinwag.store import participants as participant_store
from chinwag.store import pushes as push_store
from chinwag.store import roles as role_store
from chinwag.store import services as service_store
from chinwag.store import webhooks as webhook_store
from chinwag.store.address_configurations import AddressConfiguration
from chinwag.store.conversations import Conversation
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord
from chinwag.store.global_webhooks import GlobalWebhookConfig
from chinwag.store.media import Medium
from chinwag.store.messages import Message
from chinwag.store.outbox import DeliveryStatus
from chinwag.store.participants import Participant
from chinwag.store.pushes import PushFilter
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.store.services import Service
from chinwag.store.webhooks import ScopedWebhook
from chinwag.twilio.dates import utc_now
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest
from chinwag.ui import changes
from chinwag.ui.inputs import whole_number
from chinwag.ui.sessions import Session, page, see_other

PAGE_SIZE = 50
SHOWN_MESSAGES = 50  # the newest; older ones are a REST call away
EVERYTHING = PageRequest(500, 0)  # participants, services, address configurations
STATES = ("active", "inactive", "closed")
DELIVERY_FILTERS = ("webhook", "conversation", "event", "status")  # query parameters


def render(
    request: web.Request, session: Session, template: str, status: int = 200, **context: Any
) -> web.Response:
    context.update(session=session, notice=read_query(request).text("notice"))
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def not_found(request: web.Request, session: Session, what: str) -> web.Response:
    return render(request, session, "not_found.html", status=404, what=what)


def _cursor(query: Form, name: str) -> int | None:
    """A row id to page from; anything but one (`²`, 5,000 digits) is no cursor."""
    return whole_number(query.text(name))


@dataclass(frozen=True)
class ConversationList:
    services: list[Service]
    service: Service | None
    page: Page


def _conversation_list(
    conn: Connection,
    account_sid: str,
    service_sid: str,
    text: str,
    state: str | None,
    at: PageRequest,
) -> ConversationList:
    services = list(service_store.list_services(conn, account_sid, EVERYTHING).rows)
    chosen = next((s for s in services if s.sid == service_sid), None)
    chosen = chosen or next((s for s in services if s.is_default), None)
    if chosen is None:
        return ConversationList(services, None, Page([], None, None, False, False))
    found = conversation_store.search_conversations(conn, chosen.sid, text, state, at)
    return ConversationList(services, chosen, found)


@page
async def conversations(request: web.Request, session: Session) -> web.Response:
    query = read_query(request)  # UTF-8 without NUL, else 400
    text = (query.text("q") or "").strip()
    state = query.text("state") if query.text("state") in STATES else None
    at = PageRequest(PAGE_SIZE, 0, _cursor(query, "after"), _cursor(query, "before"))
    listed = await database(request).read(
        _conversation_list, session.account.sid, query.text("service") or "", text, state, at
    )
    return render(
        request, session, "conversations.html", listed=listed, q=text, state=state, states=STATES
    )


@dataclass
class ConversationView:
    conversation: Conversation
    participants: list[Participant] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    webhooks: list[ScopedWebhook] = field(default_factory=list)
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    role_names: dict[str, str] = field(default_factory=dict)  # the service's, by SID


def find_conversation(conn: Connection, account_sid: str, sid: str) -> Conversation | None:
    """The account's conversation by SID, whatever its service; None for anyone else's."""
    found = conversation_store.get_conversation(conn, sid)
    return found if found is not None and found.account_sid == account_sid else None


def conversation_deliveries(account_sid: str, conversation_sid: str) -> DeliveryFilter:
    return DeliveryFilter(account_sid=account_sid, conversation_sids=(conversation_sid,))


def _conversation_view(conn: Connection, account_sid: str, sid: str) -> ConversationView | None:
    conversation = find_conversation(conn, account_sid, sid)
    if conversation is None:
        return None
    newest = message_store.list_messages(
        conn, sid, PageRequest(SHOWN_MESSAGES, 0), descending=True
    ).rows
    return ConversationView(
        conversation,
        participants=list(participant_store.list_participants(conn, sid, EVERYTHING).rows),
        messages=list(reversed(newest)),
        webhooks=webhook_store.list_for_conversation(conn, sid),
        deliveries=changes.recent_deliveries(conn, conversation_deliveries(account_sid, sid)),
        role_names={
            role.sid: role.friendly_name
            for role in role_store.list_roles(conn, conversation.service_sid, EVERYTHING).rows
        },
    )


@page
async def conversation(request: web.Request, session: Session) -> web.Response:
    sid = request.match_info["ConversationSid"]
    view = await database(request).read(_conversation_view, session.account.sid, sid)
    if view is None:
        return not_found(request, session, f"Conversation {sid}")
    last_index = view.messages[-1].index if view.messages else -1
    return render(request, session, "conversation.html", view=view, last_index=last_index)


def _message_medium(
    conn: Connection, account_sid: str, conversation_sid: str, sid: str
) -> Medium | None:
    """A medium of a message of the account's conversation; None for anything else."""
    conversation = find_conversation(conn, account_sid, conversation_sid)
    if conversation is None:
        return None
    found = media_store.get_medium(conn, conversation.service_sid, sid)
    return found if found is not None and found.conversation_sid == conversation.sid else None


@page
async def medium(request: web.Request, session: Session) -> web.StreamResponse:
    """A message's medium: a redirect to its content at a temporary URL signed now, so a
    page left open still shows it; a path, so on the dashboard's own origin (its CSP's
    `img-src 'self'`) whatever the public URL. The content keeps its own safe headers."""
    conversation, sid = request.match_info["ConversationSid"], request.match_info["MediaSid"]
    found = await database(request).read(_message_medium, session.account.sid, conversation, sid)
    if found is None:
        return not_found(request, session, f"Media {sid}")
    token = session.account.auth_token
    return see_other(
        media_urls.temporary_content_url("", token, found.service_sid, found.sid, utc_now())
    )


def delivery_filter(query: Form, account_sid: str) -> DeliveryFilter:
    """The deliveries page's filters, from its query string (unknown values are ignored)."""
    webhook, conversation, event, status = (
        (query.text(name) or "").strip() for name in DELIVERY_FILTERS
    )
    return DeliveryFilter(
        account_sid=account_sid,
        webhook_sids=(webhook,) if webhook else (),
        conversation_sids=(conversation,) if conversation else (),
        event_type=event or None,
        status=DeliveryStatus(status) if status in set(DeliveryStatus) else None,
    )


def _filter_query(query: Form) -> str:
    """The filters again as a query string, for the page's stream and its next page."""
    given = [(name, query.text(name)) for name in DELIVERY_FILTERS]
    return urlencode([(name, value) for name, value in given if value])


@page
async def deliveries(request: web.Request, session: Session) -> web.Response:
    query = read_query(request)
    where = delivery_filter(query, session.account.sid)
    rows = await database(request).read(changes.recent_deliveries, where, _cursor(query, "after"))
    return render(
        request,
        session,
        "deliveries.html",
        rows=rows,
        where=where,
        statuses=list(DeliveryStatus),
        query_string=_filter_query(query),
        older=rows[-1].id if len(rows) == changes.RECENT_DELIVERIES else None,
    )


@page
async def delivery(request: web.Request, session: Session) -> web.Response:
    token = request.match_info["Token"]
    found = await database(request).read(changes.delivery_with_attempts, session.account.sid, token)
    if found is None:
        return not_found(request, session, f"Delivery {token}")
    return render(request, session, "delivery.html", found=found)


@dataclass(frozen=True)
class Configuration:
    services: list[tuple[Service, ServiceWebhookConfig | None]]
    global_webhooks: GlobalWebhookConfig | None
    addresses: list[AddressConfiguration]


def _configuration(conn: Connection, account_sid: str) -> Configuration:
    services = service_store.list_services(conn, account_sid, EVERYTHING).rows
    return Configuration(
        services=[(s, service_webhooks.get_config(conn, s.sid)) for s in services],
        global_webhooks=global_webhooks.get_config(conn, account_sid),
        addresses=list(address_store.list_configurations(conn, account_sid, None, EVERYTHING).rows),
    )


@page
async def configuration(request: web.Request, session: Session) -> web.Response:
    found = await database(request).read(_configuration, session.account.sid)
    return render(request, session, "configuration.html", configuration=found)


@dataclass(frozen=True)
class PushList:
    services: list[Service]
    service: Service | None
    page: Page


def _push_list(conn: Connection, account_sid: str, service_sid: str, at: PageRequest) -> PushList:
    services = list(service_store.list_services(conn, account_sid, EVERYTHING).rows)
    chosen = next((s for s in services if s.sid == service_sid), None)
    chosen = chosen or next((s for s in services if s.is_default), None)
    if chosen is None:
        return PushList(services, None, Page([], None, None, False, False))
    where = PushFilter(account_sid=account_sid, service_sid=chosen.sid)
    return PushList(services, chosen, push_store.list_pushes(conn, where, at))


@page
async def pushes(request: web.Request, session: Session) -> web.Response:
    """The push notifications recorded where Twilio would have pushed, newest first."""
    query = read_query(request)
    at = PageRequest(PAGE_SIZE, 0, _cursor(query, "after"), _cursor(query, "before"))
    listed = await database(request).read(
        _push_list, session.account.sid, query.text("service") or "", at
    )
    return render(request, session, "pushes.html", listed=listed, shown_text=shown_text)
