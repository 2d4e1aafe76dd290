"""chinwag's own `POST /chinwag/v1/Inbound`: a customer writes from SMS or WhatsApp.

Routing and auto-creation are domain/inbound.py. The pre-event webhook is asked as
Twilio would for a channel message (onMessageAdd into an existing conversation,
onConversationAdd before auto-creating one), whatever the request's headers.
"""

from aiohttp import web

from chinwag.domain import inbound as domain
from chinwag.domain.inbound import InboundFields, Received, Route
from chinwag.resources.addressing import ConversationRef, ServiceRef
from chinwag.resources.common import (
    account,
    base_url,
    carrier,
    database,
    json_response,
    read_form,
)
from chinwag.resources.prehooks import pre_event
from chinwag.twilio.errors import ResourceNotFound

# What a pre-event webhook's JSON answer may change (conversations-webhooks doc).
MESSAGE_CHANGES = frozenset({"body"})
CONVERSATION_CHANGES = frozenset({"friendly_name"})


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    fields = InboundFields(
        from_address=form.text("From"),
        to_address=form.text("To"),
        body=form.text("Body"),
        media_urls=tuple(form.values("MediaUrl") or ()),
    )
    fields, friendly_name = await _ask(request, fields)
    account_sid = account(request).sid
    received = await database(request).write_locking(
        domain.receive, account_sid, fields, carrier(request), friendly_name
    )
    return json_response(_received_json(received), 201)


async def _ask(request: web.Request, fields: InboundFields) -> tuple[InboundFields, str | None]:
    """The pre-event webhook's say: it may reject the message (403) or change it."""
    from_, to, origin = domain.check(fields)
    route: Route = await database(request).read(domain.find_route, account(request).sid, from_, to)
    service = ServiceRef(account(request), base_url(request), route.service_sid, request.path)
    if route.conversation_sid is None:
        params = [("Attributes", "{}"), ("State", "active")]
        changes = await pre_event(
            request, service, "onConversationAdd", params, CONVERSATION_CHANGES, asked_by=origin
        )
        return fields, changes.get("friendly_name")
    missing = ResourceNotFound.for_path(request.path)
    conversation = ConversationRef(service, route.conversation_sid, missing)
    params = [("Author", from_), ("Body", fields.body or ""), ("Attributes", "{}")]
    params.append(("ParticipantSid", route.participant_sid or ""))
    changes = await pre_event(
        request, conversation, "onMessageAdd", params, MESSAGE_CHANGES, asked_by=origin
    )
    return InboundFields(from_, to, changes.get("body", fields.body)), None


def _received_json(received: Received) -> dict[str, object]:
    return {
        "conversation_sid": received.conversation.sid,
        "participant_sid": received.participant_sid,
        "message_sid": received.message.sid,
        "created_conversation": received.created_conversation,
        "chat_service_sid": received.conversation.service_sid,
        "account_sid": received.conversation.account_sid,
    }
