"""chinwag's own `POST /chinwag/v1/Inbound`: a customer writes from SMS or WhatsApp.

The whole path (media fetched, pre-event webhooks asked, routed, written) is
operations/inbound.py, which the dashboard's "write as a customer" runs too.
"""

from aiohttp import web

from chinwag.domain.inbound import Received
from chinwag.operations import inbound
from chinwag.request_context import (
    base_url,
    carrier,
    database,
    deny_private_targets,
    read_form,
    sender,
)
from chinwag.resources.common import actor, json_response


async def create(request: web.Request) -> web.Response:
    received = await inbound.receive(
        await read_form(request),
        actor(request),
        database=database(request),
        sender=sender(request),
        carrier=carrier(request),
        base_url=base_url(request),
        path=request.path,
        deny_private_targets=deny_private_targets(request),
    )
    return json_response(_received_json(received), 201)


def _received_json(received: Received) -> dict[str, object]:
    return {
        "conversation_sid": received.conversation.sid,
        "participant_sid": received.participant_sid,
        "message_sid": received.message.sid,
        "created_conversation": received.created_conversation,
        "chat_service_sid": received.conversation.service_sid,
        "account_sid": received.conversation.account_sid,
    }
