"""chinwag's own `GET /chinwag/v1/Services/{ChatServiceSid}/Pushes`: the push notifications
Twilio would have sent, recorded instead (domain/pushes.py).

One item per (event, binding), newest first, with the FCM or APNs payload; filters
`Identity`, `ConversationSid` and `MessageType` (`new_message`, `added_to_conversation`,
`removed_from_conversation`); paged as Twilio's lists. Another account's service is 404.
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain.push_payloads import PushKind
from chinwag.request_context import base_url, read_query
from chinwag.resources.addressing import in_service
from chinwag.resources.common import list_response
from chinwag.store import pushes as store
from chinwag.store.pushes import Push, PushFilter
from chinwag.store.services import Service
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import Page, parse_page_request

MAX_PAGE_SIZE = 100
FILTERS = ("Identity", "ConversationSid", "MessageType")


def push_json(push: Push) -> dict[str, Any]:
    return {
        "sid": push.sid,
        "account_sid": push.account_sid,
        "chat_service_sid": push.service_sid,
        "conversation_sid": push.conversation_sid,
        "message_sid": push.message_sid,
        "message_type": push.message_type,
        "identity": push.identity,
        "binding_sid": push.binding_sid,
        "binding_type": push.binding_type,
        "address": push.address,
        "credential_sid": push.credential_sid,
        "payload": push.payload,
        "date_created": to_json(push.date_created),
    }


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    kind = query.choice("MessageType", PushKind)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)

    def fetch(conn: Connection, service: Service) -> Page:
        where = PushFilter(
            account_sid=service.account_sid,
            service_sid=service.sid,
            identity=query.text("Identity"),
            conversation_sid=query.text("ConversationSid"),
            message_type=kind.value if kind else None,
        )
        return store.list_pushes(conn, where, page_request)

    page, root = await in_service(request, fetch)
    base = base_url(request)
    filters = {name: value for name in FILTERS if (value := query.text(name)) is not None}
    return list_response(
        "pushes",
        [push_json(push) for push in page.rows],
        f"{base}/chinwag/v1/Services/{root.service.sid}/Pushes",
        page_request,
        page,
        filters,
    )
