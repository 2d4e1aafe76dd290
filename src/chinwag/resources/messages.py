"""Conversation Message resource: .../Conversations/{ConversationSid}/Messages."""

from dataclasses import asdict, replace
from enum import StrEnum
from functools import partial
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import messages as domain
from chinwag.domain.messages import MessageFields
from chinwag.domain.pre_event_answers import MESSAGE_FIELDS, message_with_changes
from chinwag.domain.receipts import DeliverySummary, delivery_of
from chinwag.operations.addressing import ServiceRoot
from chinwag.operations.message_prehooks import describe_new, describe_stored
from chinwag.request_context import carrier, read_form, read_query
from chinwag.resources.addressing import conversation_ref, in_conversation, list_in_conversation
from chinwag.resources.common import json_response, origin
from chinwag.resources.prehooks import pre_event
from chinwag.store import messages as store
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.twilio.dates import to_json
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 100  # spec: "The default is 50, and the maximum is 100."
# A message with its aggregated delivery receipts (None: it has none).
WithDelivery = tuple[Message, DeliverySummary | None]


class Order(StrEnum):
    """The spec's examples send `DeSc` and `AsC`: the value is case-insensitive."""

    ASC = "asc"
    DESC = "desc"


def message_json(
    message: Message, root: ServiceRoot, delivery: DeliverySummary | None = None
) -> dict[str, Any]:
    url = f"{root.url}/Conversations/{message.conversation_sid}/Messages/{message.sid}"
    body: dict[str, Any] = {
        "account_sid": message.account_sid,
        "chat_service_sid": message.service_sid,
        "conversation_sid": message.conversation_sid,
        "sid": message.sid,
        "index": message.index,
        "author": message.author,
        "body": message.body,
        "media": message.media,
        "attributes": message.attributes,
        "participant_sid": message.participant_sid,
        "date_created": to_json(message.date_created),
        "date_updated": to_json(message.date_updated),
        "url": url,
        # The aggregated delivery receipts; null while the message has none.
        "delivery": asdict(delivery) if delivery else None,
        "links": {
            "delivery_receipts": f"{url}/Receipts",
            "channel_metadata": f"{url}/ChannelMetadata",
        },
        "content_sid": message.content_sid,
    }
    if not root.explicit:  # the default-service schema has no chat_service_sid
        del body["chat_service_sid"]
    return body


def _fields(form: Form, *, on_create: bool) -> MessageFields:
    """`Subject` is accepted and not stored; `ContentVariables` are checked, not stored
    (docs/compatibility.md)."""
    return MessageFields(
        author=form.text("Author"),
        body=form.text("Body"),
        attributes=form.text("Attributes"),
        date_created=form.date("DateCreated"),
        date_updated=form.date("DateUpdated"),
        media_sids=form.values("MediaSid") if on_create else None,
        content_sid=form.text("ContentSid") if on_create else None,
        content_variables=form.text("ContentVariables") if on_create else None,
    )


async def _ask(request: web.Request, event_type: str, fields: MessageFields) -> MessageFields:
    sid = request.match_info.get("Sid")
    described = describe_new(fields) if sid is None else describe_stored(sid, fields, request.path)
    changes = await pre_event(
        request, conversation_ref(request), event_type, described, MESSAGE_FIELDS
    )
    return message_with_changes(fields, changes)


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=True)
    fields = await _ask(request, "onMessageAdd", fields)
    message, root = await in_conversation(
        request, domain.create_message, fields, origin(request), carrier(request), write=True
    )
    return json_response(message_json(message, root), 201)


def _with_delivery(conn: Connection, message: Message) -> WithDelivery:
    return message, delivery_of(conn, [message.sid]).get(message.sid)


async def fetch(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]

    def work(conn: Connection, conversation: Conversation) -> WithDelivery:
        return _with_delivery(conn, domain.find_message(conn, conversation, sid, request.path))

    (message, delivery), root = await in_conversation(request, work)
    return json_response(message_json(message, root, delivery))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=False)
    sid, changed_by = request.match_info["Sid"], origin(request)
    fields = await _ask(request, "onMessageUpdate", fields)

    def work(conn: Connection, conversation: Conversation) -> WithDelivery:
        message = domain.find_message(conn, conversation, sid, request.path)
        changed = domain.update_message(conn, conversation, message, fields, changed_by)
        return _with_delivery(conn, changed)

    (message, delivery), root = await in_conversation(request, work, write=True)
    return json_response(message_json(message, root, delivery))


async def delete(request: web.Request) -> web.Response:
    sid, changed_by = request.match_info["Sid"], origin(request)
    await _ask(request, "onMessageRemove", MessageFields())

    def work(conn: Connection, conversation: Conversation) -> None:
        message = domain.find_message(conn, conversation, sid, request.path)
        domain.delete_message(conn, conversation, message, changed_by)

    await in_conversation(request, work, write=True)
    return web.Response(status=204)


def _page_with_delivery(
    conn: Connection, conversation_sid: str, request: PageRequest, *, descending: bool
) -> Page:
    """A page of (message, its delivery summary): one query for the whole page's receipts."""
    page = store.list_messages(conn, conversation_sid, request, descending=descending)
    summaries = delivery_of(conn, [message.sid for message in page.rows])
    return replace(page, rows=[(message, summaries.get(message.sid)) for message in page.rows])


def _listed_json(row: WithDelivery, root: ServiceRoot) -> dict[str, Any]:
    message, delivery = row
    return message_json(message, root, delivery)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    order = query.choice("Order", Order, ignore_case=True) or Order.ASC
    echoed = {"Order": order.value} if query.text("Order") is not None else {}
    fetch_page = partial(_page_with_delivery, descending=order == Order.DESC)
    return await list_in_conversation(
        request, "messages", page_request, fetch_page, _listed_json, echoed
    )
