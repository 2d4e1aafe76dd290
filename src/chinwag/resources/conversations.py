"""Conversation resource: /v1/Conversations and /v1/Services/{ChatServiceSid}/Conversations."""

from dataclasses import replace
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import conversations as domain
from chinwag.domain.conversations import ConversationFields, State
from chinwag.resources.common import (
    InService,
    RequestScope,
    database,
    json_response,
    list_response,
    origin,
    read_form,
    read_query,
    scope,
)
from chinwag.resources.prehooks import pre_event
from chinwag.store import conversations as store
from chinwag.store.conversations import Conversation, ConversationFilter
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import InvalidParameter
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 100
LIST_STATES = ("active", "inactive", "closed", "initializing")


def conversation_json(conversation: Conversation, where: InService) -> dict[str, Any]:
    url = f"{where.root}/Conversations/{conversation.sid}"
    timers: dict[str, str | None] = {}
    if conversation.date_inactive is not None:
        timers["date_inactive"] = to_json(conversation.date_inactive)
    if conversation.date_closed is not None:
        timers["date_closed"] = to_json(conversation.date_closed)
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
        state=form.choice("State", State),
        timer_inactive=form.text("Timers.Inactive"),
        timer_closed=form.text("Timers.Closed"),
        email_address=form.text("Bindings.Email.Address"),
        email_name=form.text("Bindings.Email.Name"),
        date_created=form.date("DateCreated"),
        date_updated=form.date("DateUpdated"),
    )


# What a pre-event webhook's JSON answer may change (conversations-webhooks doc).
PRE_EVENT_FIELDS = frozenset({"friendly_name"})


def _pre_params(fields: ConversationFields) -> list[tuple[str, str]]:
    given = [
        ("FriendlyName", fields.friendly_name),
        ("UniqueName", fields.unique_name),
        ("Attributes", fields.attributes),
        ("MessagingServiceSid", fields.messaging_service_sid),
        ("State", fields.state),
    ]
    return [(name, value) for name, value in given if value is not None]


def _with_changes(fields: ConversationFields, changes: dict[str, str]) -> ConversationFields:
    """The pre-event webhook's changes, validated later exactly like the request's own values."""
    if "friendly_name" in changes:
        return replace(fields, friendly_name=changes["friendly_name"])
    return fields


async def ask_pre_add(
    request: web.Request, where_to: RequestScope, fields: ConversationFields
) -> ConversationFields:
    """Ask the onConversationAdd pre-event webhook; the fields with its changes."""
    changes = await pre_event(
        request, where_to, "onConversationAdd", _pre_params(fields), PRE_EVENT_FIELDS
    )
    return _with_changes(fields, changes)


async def create(request: web.Request) -> web.Response:
    fields = conversation_fields(await read_form(request))
    where_to, created_by = scope(request), origin(request)
    fields = await ask_pre_add(request, where_to, fields)

    def work(conn: Connection) -> tuple[Conversation, InService]:
        where = where_to.resolve(conn)
        service = where.service
        conversation = domain.create_conversation(
            conn, service.account_sid, service.sid, fields, created_by
        )
        return conversation, where

    conversation, where = await database(request).write(work)
    return json_response(conversation_json(conversation, where), 201)


async def fetch(request: web.Request) -> web.Response:
    where_to, ref = scope(request), request.match_info["Sid"]

    def work(conn: Connection) -> tuple[Conversation, InService]:
        where = where_to.resolve(conn)
        return domain.find_conversation(
            conn, where.service.sid, ref, domain.not_found(where_to.path)
        ), where

    conversation, where = await database(request).read(work)
    return json_response(conversation_json(conversation, where))


async def update(request: web.Request) -> web.Response:
    fields = conversation_fields(await read_form(request))
    changed_by = origin(request)
    where_to, ref = scope(request), request.match_info["Sid"]
    changes = await pre_event(
        request, where_to, "onConversationUpdate", _pre_params(fields), PRE_EVENT_FIELDS, ref
    )
    fields = _with_changes(fields, changes)

    def work(conn: Connection) -> tuple[Conversation, InService]:
        where = where_to.resolve(conn)
        conversation = domain.find_conversation(
            conn, where.service.sid, ref, domain.not_found(where_to.path)
        )
        return domain.update_conversation(conn, conversation, fields, changed_by), where

    conversation, where = await database(request).write(work)
    return json_response(conversation_json(conversation, where))


async def delete(request: web.Request) -> web.Response:
    where_to, ref, changed_by = scope(request), request.match_info["Sid"], origin(request)
    await pre_event(request, where_to, "onConversationRemove", [], frozenset(), ref)

    def work(conn: Connection) -> None:
        where = where_to.resolve(conn)
        missing = domain.not_found(where_to.path)
        conversation = domain.find_conversation(conn, where.service.sid, ref, missing)
        domain.delete_conversation(conn, conversation, changed_by)

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    state = query.text("State")
    if state is not None and state not in LIST_STATES:
        raise InvalidParameter(f"State '{state}' is not one of: {', '.join(LIST_STATES)}.")
    filters = ConversationFilter(
        start=query.date("StartDate"), end=query.date("EndDate"), state=state
    )
    echoed = {
        name: value for name in ("StartDate", "EndDate", "State") if (value := query.text(name))
    }
    where_to = scope(request)

    def work(conn: Connection) -> tuple[Any, InService]:
        where = where_to.resolve(conn)
        return store.list_conversations(conn, where.service.sid, filters, page_request), where

    page, where = await database(request).read(work)
    return list_response(
        "conversations",
        [conversation_json(c, where) for c in page.rows],
        f"{where.root}/Conversations",
        page_request,
        page,
        echoed,
    )
