"""Conversation resource: /v1/Conversations and /v1/Services/{ChatServiceSid}/Conversations."""

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import conversations as domain
from chinwag.domain.conversations import ConversationFields, State
from chinwag.domain.events import Origin
from chinwag.domain.pre_event_answers import CONVERSATION_FIELDS, conversation_with_changes
from chinwag.operations.addressing import ConversationRef, ServiceRoot
from chinwag.operations.prehooks import Describe, Params, overlay
from chinwag.request_context import database, read_form, read_query
from chinwag.resources.addressing import in_service, list_in_service, service_ref
from chinwag.resources.common import json_response, origin
from chinwag.resources.prehooks import pre_event
from chinwag.store import conversations as store
from chinwag.store.conversations import Conversation, ConversationFilter
from chinwag.store.services import Service
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import InvalidConversationState
from chinwag.twilio.forms import Form, shown
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 100
LIST_STATES = ("active", "inactive", "closed", "initializing")


def timers_json(
    date_inactive: datetime | None, date_closed: datetime | None
) -> dict[str, str | None]:
    """When the state timers fire; only the ones that are set."""
    timers: dict[str, str | None] = {}
    if date_inactive is not None:
        timers["date_inactive"] = to_json(date_inactive)
    if date_closed is not None:
        timers["date_closed"] = to_json(date_closed)
    return timers


def conversation_json(conversation: Conversation, root: ServiceRoot) -> dict[str, Any]:
    url = f"{root.url}/Conversations/{conversation.sid}"
    timers = timers_json(conversation.date_inactive, conversation.date_closed)
    bindings: dict[str, Any] = {}
    if conversation.email_address is not None or conversation.email_name is not None:
        bindings["email"] = {
            "projected_address": conversation.email_address,
            "name": conversation.email_name,
        }
    return {
        "sid": conversation.sid,
        "account_sid": conversation.account_sid,
        "chat_service_sid": conversation.service_sid,
        "messaging_service_sid": conversation.messaging_service_sid,
        "friendly_name": conversation.friendly_name,
        "unique_name": conversation.unique_name,
        "attributes": conversation.attributes,
        "date_created": to_json(conversation.date_created),
        "date_updated": to_json(conversation.date_updated),
        "state": conversation.state,
        "timers": timers,
        "bindings": bindings,
        "url": url,
        "links": {
            name: f"{url}/{name.capitalize()}"
            for name in ("participants", "messages", "webhooks", "export")
        },
    }


def conversation_fields(form: Form) -> ConversationFields:
    return ConversationFields(
        friendly_name=form.text("FriendlyName"),
        unique_name=form.text("UniqueName"),
        attributes=form.text("Attributes"),
        messaging_service_sid=form.text("MessagingServiceSid"),
        state=form.choice("State", State, invalid=InvalidConversationState),
        timer_inactive=form.text("Timers.Inactive"),
        timer_closed=form.text("Timers.Closed"),
        email_address=form.text("Bindings.Email.Address"),
        email_name=form.text("Bindings.Email.Name"),
        date_created=form.date("DateCreated"),
        date_updated=form.date("DateUpdated"),
    )


def _given(fields: ConversationFields) -> Params:
    given = [
        ("FriendlyName", fields.friendly_name),
        ("UniqueName", fields.unique_name),
        ("Attributes", fields.attributes),
        ("MessagingServiceSid", fields.messaging_service_sid),
        ("State", fields.state),
    ]
    return [(name, value) for name, value in given if value is not None]


def _describe_stored(fields: ConversationFields) -> Describe:
    """onConversationUpdate/Remove: the stored conversation with the request's new values."""

    def describe(conn: Connection, conversation: Conversation) -> Params:
        return overlay(domain.conversation_params(conversation), _given(fields))

    return describe


def _conversation(request: web.Request) -> ConversationRef:
    """The conversation `{Sid}` names; 20404 if there is none, as on any resource's own path."""
    return ConversationRef(
        service_ref(request), request.match_info["Sid"], domain.not_found(request.path)
    )


def _create(
    conn: Connection, service: Service, fields: ConversationFields, created_by: Origin
) -> Conversation:
    return domain.create_conversation(conn, service.account_sid, service.sid, fields, created_by)


async def ask_pre_add(request: web.Request, fields: ConversationFields) -> ConversationFields:
    """Ask the onConversationAdd pre-event webhook; the fields with its changes."""

    def as_added(conn: Connection, service: Service) -> Params:
        return domain.conversation_add_params(conn, service.account_sid, fields)

    changes = await pre_event(
        request, service_ref(request), "onConversationAdd", as_added, CONVERSATION_FIELDS
    )
    return conversation_with_changes(fields, changes)


async def create(request: web.Request) -> web.Response:
    fields = conversation_fields(await read_form(request))
    created_by = origin(request)
    fields = await ask_pre_add(request, fields)
    conversation, root = await in_service(request, _create, fields, created_by, write=True)
    return json_response(conversation_json(conversation, root), 201)


async def fetch(request: web.Request) -> web.Response:
    conversation, root = await database(request).read(_conversation(request).resolve)
    return json_response(conversation_json(conversation, root))


async def update(request: web.Request) -> web.Response:
    fields = conversation_fields(await read_form(request))
    addressed, changed_by = _conversation(request), origin(request)
    changes = await pre_event(
        request, addressed, "onConversationUpdate", _describe_stored(fields), CONVERSATION_FIELDS
    )
    fields = conversation_with_changes(fields, changes)

    def work(conn: Connection) -> tuple[Conversation, ServiceRoot]:
        conversation, root = addressed.resolve(conn)
        return domain.update_conversation(conn, conversation, fields, changed_by), root

    conversation, root = await database(request).write(work)
    return json_response(conversation_json(conversation, root))


async def delete(request: web.Request) -> web.Response:
    addressed, changed_by = _conversation(request), origin(request)
    described = _describe_stored(ConversationFields())
    await pre_event(request, addressed, "onConversationRemove", described, frozenset())

    def work(conn: Connection) -> None:
        conversation, _ = addressed.resolve(conn)
        domain.delete_conversation(conn, conversation, changed_by)

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    state = query.text("State")
    if state is not None and state not in LIST_STATES:
        raise InvalidConversationState(
            f"State '{shown(state)}' is not one of: {', '.join(LIST_STATES)}."
        )
    filters = ConversationFilter(
        start=query.date("StartDate"), end=query.date("EndDate"), state=state
    )
    echoed = {
        name: value for name in ("StartDate", "EndDate", "State") if (value := query.text(name))
    }

    def fetch_page(conn: Connection, service_sid: str, wanted: PageRequest) -> Page:
        return store.list_conversations(conn, service_sid, filters, wanted)

    return await list_in_service(
        request, "conversations", page_request, fetch_page, conversation_json, echoed
    )
