"""chinwag's own `GET /chinwag/v1/Outbound`: what SMS and WhatsApp customers received.

One item per (message, recipient), newest first, each with its receipt's status now;
filters `To`, `ConversationSid` and `Status`. Written by domain/carrier.py.
"""

from typing import Any

from aiohttp import web

from chinwag.domain.receipts import DeliveryStatus
from chinwag.request_context import base_url, database, read_query
from chinwag.resources.common import account, list_response
from chinwag.store import outbound as store
from chinwag.store.outbound import OutboundFilter, OutboundWithStatus
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 100
FILTERS = ("To", "ConversationSid", "Status")


def outbound_json(row: OutboundWithStatus) -> dict[str, Any]:
    sent = row.message
    return {
        "sid": sent.sid,
        "account_sid": sent.account_sid,
        "chat_service_sid": sent.service_sid,
        "conversation_sid": sent.conversation_sid,
        "message_sid": sent.message_sid,
        "participant_sid": sent.participant_sid,
        "delivery_receipt_sid": sent.receipt_sid,
        "from": sent.from_address,
        "to": sent.to_address,
        "body": sent.body,
        "status": row.status,
        "error_code": row.error_code,
        "date_created": to_json(sent.date_created),
    }


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    status = query.choice("Status", DeliveryStatus, ignore_case=True)
    where = OutboundFilter(
        account_sid=account(request).sid,
        to_address=query.text("To"),
        conversation_sid=query.text("ConversationSid"),
        status=status.value if status else None,
    )
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    page = await database(request).read(store.list_outbound, where, page_request)
    filters = {name: value for name in FILTERS if (value := query.text(name)) is not None}
    return list_response(
        "messages",
        [outbound_json(row) for row in page.rows],
        f"{base_url(request)}/chinwag/v1/Outbound",
        page_request,
        page,
        filters,
    )
