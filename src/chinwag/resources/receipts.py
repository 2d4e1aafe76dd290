"""Delivery Receipt resource: .../Conversations/{ConversationSid}/Messages/{MessageSid}/Receipts.

Twilio's operations only read receipts; chinwag's own `POST /chinwag/v1/.../Receipts`
records one, standing in for the SMS or WhatsApp channel that reports a status.
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import receipts as domain
from chinwag.domain.carrier import move_receipt
from chinwag.domain.messages import find_message
from chinwag.domain.receipts import ReceiptFields
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.addressing import in_conversation
from chinwag.resources.common import account, json_response, list_response
from chinwag.store import receipts as store
from chinwag.store.conversations import Conversation
from chinwag.store.receipts import Receipt
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import Page, parse_page_request

MAX_PAGE_SIZE = 50  # spec: PageSize "maximum": 50


def receipts_url(root: ServiceRoot, conversation_sid: str, message_sid: str) -> str:
    return f"{root.url}/Conversations/{conversation_sid}/Messages/{message_sid}/Receipts"


def receipt_json(receipt: Receipt, root: ServiceRoot) -> dict[str, Any]:
    return _receipt_body(receipt, root.url, with_service=root.explicit)


def _receipt_body(receipt: Receipt, root_url: str, *, with_service: bool) -> dict[str, Any]:
    url = f"{root_url}/Conversations/{receipt.conversation_sid}/Messages/{receipt.message_sid}"
    body: dict[str, Any] = {
        "account_sid": receipt.account_sid,
        "chat_service_sid": receipt.service_sid,
        "conversation_sid": receipt.conversation_sid,
        "message_sid": receipt.message_sid,
        "sid": receipt.sid,
        "channel_message_sid": receipt.channel_message_sid,
        "participant_sid": receipt.participant_sid,
        "status": receipt.status,
        "error_code": receipt.error_code,
        "date_created": to_json(receipt.date_created),
        "date_updated": to_json(receipt.date_updated) if receipt.date_updated else None,
        "url": f"{url}/Receipts/{receipt.sid}",
    }
    if not with_service:  # the default-service schema has no chat_service_sid
        del body["chat_service_sid"]
    return body


async def fetch(request: web.Request) -> web.Response:
    message_sid, sid = request.match_info["MessageSid"], request.match_info["Sid"]

    def work(conn: Connection, conversation: Conversation) -> Receipt:
        message = find_message(conn, conversation, message_sid, request.path)
        return domain.find_receipt(conn, message, sid, request.path)

    receipt, root = await in_conversation(request, work)
    return json_response(receipt_json(receipt, root))


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    message_sid = request.match_info["MessageSid"]

    def work(conn: Connection, conversation: Conversation) -> tuple[Page, str]:
        message = find_message(conn, conversation, message_sid, request.path)
        return store.list_receipts(conn, message.sid, page_request), conversation.sid

    (page, conversation_sid), root = await in_conversation(request, work)
    items = [receipt_json(receipt, root) for receipt in page.rows]
    list_url = receipts_url(root, conversation_sid, message_sid)
    return list_response("delivery_receipts", items, list_url, page_request, page)


async def move(request: web.Request) -> web.Response:
    """chinwag's own `POST /chinwag/v1/Receipts/{Sid}`: a carrier report (or a WhatsApp
    read) for any receipt of the account: `Status`, optional `ErrorCode`."""
    form = await read_form(request)
    status, error_code = form.text("Status"), form.integer("ErrorCode", minimum=0)
    receipt = await database(request).write(
        move_receipt, account(request).sid, request.match_info["Sid"], status, error_code
    )
    root_url = f"{base_url(request)}/v1/Services/{receipt.service_sid}"
    return json_response(_receipt_body(receipt, root_url, with_service=True))


async def record(request: web.Request) -> web.Response:
    """chinwag's own: the participant's receipt for the message, created (201) or updated (200)."""
    form = await read_form(request)
    fields = ReceiptFields(
        participant_sid=form.text("ParticipantSid"),
        status=form.text("Status"),
        error_code=form.integer("ErrorCode", minimum=0),
        channel_message_sid=form.text("ChannelMessageSid"),
    )
    message_sid = request.match_info["MessageSid"]

    def work(conn: Connection, conversation: Conversation) -> tuple[Receipt, bool]:
        message = find_message(conn, conversation, message_sid, request.path)
        return domain.record_receipt(conn, conversation, message, fields, domain.CHANNEL_REPORT)

    (receipt, created), root = await in_conversation(request, work, write=True)
    return json_response(receipt_json(receipt, root), 201 if created else 200)
