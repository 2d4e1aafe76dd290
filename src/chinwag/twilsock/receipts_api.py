"""What the SDK reads beside a message: its delivery receipts, its email recipients, and
the account's content templates.

Shapes are the ones twilio-conversations 3.0.1 reads:
- `message.getDetailedDeliveryReceipts()` GETs the configuration's `messages_receipts`
  link and reads `delivery_receipts` (`src/detailed-delivery-receipt.ts`) and
  `meta.next_token` / `meta.previous_token` (`src/message.ts`, `src/rest-paginator.ts`);
  the receipts are the ones REST's `.../Messages/{sid}/Receipts` lists.
- `message.getMessageRecipients()` / `conversation.getMessageRecipients()` GET
  `Conversations/{sid}/MessageRecipients` and read `message_recipients` (only email
  conversations have any: chinwag has no email channel, so the page is empty).
- `client.getContentTemplates()` GETs `Client/v2/ContentTemplates` and reads `templates`,
  looping while `meta.next_token !== null` (`src/content-client.ts`): a missing token
  would loop for ever, so it is always given. chinwag has no Content API (a ContentSid
  is checked for form, domain/content_templates.py), so the list is empty.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from chinwag.domain import client_state as state
from chinwag.domain.client_state import ClientSession
from chinwag.domain.messages import find_message
from chinwag.store import receipts as receipt_store
from chinwag.store.receipts import Receipt
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, parse_page_request
from chinwag.twilsock.router import TunnelledRequest

if TYPE_CHECKING:
    from chinwag.twilsock.connection import Tunnel

Reply = tuple[int, Any]
MAX_PAGE_SIZE = 50  # as REST's Receipts list (the spec's PageSize maximum)
NO_MORE = {"next_token": None, "previous_token": None}


@dataclass(frozen=True)
class _ReceiptsPage:
    conversation_sid: str
    page: Page


def _receipts_page(
    conn: Connection,
    session: ClientSession,
    conversation: str,
    message: str,
    path: str,
    form: Form,
) -> _ReceiptsPage:
    found = state.conversation(conn, session, conversation)
    if found is None or not state.takes_part(conn, session, found.sid):
        raise ResourceNotFound(f"Conversation '{conversation}' is not one of yours.")
    stored = find_message(conn, found, message, path)
    page_request = parse_page_request(form, MAX_PAGE_SIZE)
    return _ReceiptsPage(found.sid, receipt_store.list_receipts(conn, stored.sid, page_request))


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    """A detailed receipt as REST's (`error_code` 0 without an error, `date_updated` null
    until first updated); the SDK reads `error_code || 0` and shows `status || "queued"`."""
    return {
        "sid": receipt.sid,
        "account_sid": receipt.account_sid,
        "chat_service_sid": receipt.service_sid,
        "conversation_sid": receipt.conversation_sid,
        "message_sid": receipt.message_sid,
        "channel_message_sid": receipt.channel_message_sid,
        "participant_sid": receipt.participant_sid,
        "status": receipt.status,
        "error_code": receipt.error_code,
        "date_created": to_json(receipt.date_created),
        "date_updated": to_json(receipt.date_updated) if receipt.date_updated else None,
    }


async def message_receipts(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str, message: str
) -> Reply:
    """`GET .../Conversations/{CH}/Messages/{IM}/Receipts`: one page, keyset tokens as REST's."""
    form = Form.from_mapping(request.params)
    found = await tunnel.read(_receipts_page, conversation, message, request.path, form)
    page = found.page
    meta = {
        "next_token": f"PA{page.last_id}" if page.has_next else None,
        "previous_token": f"PB{page.first_id}" if page.has_previous else None,
    }
    return 200, {"delivery_receipts": [receipt_json(row) for row in page.rows], "meta": meta}


def _own_conversation(conn: Connection, session: ClientSession, conversation: str) -> bool:
    found = state.conversation(conn, session, conversation)
    return found is not None and state.takes_part(conn, session, found.sid)


async def message_recipients(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str
) -> Reply:
    """`GET .../Conversations/{CH}/MessageRecipients`: email recipients; none without email."""
    if not await tunnel.read(_own_conversation, conversation):
        raise ResourceNotFound(f"Conversation '{conversation}' is not one of yours.")
    return 200, {"message_recipients": [], "meta": NO_MORE}


async def content_templates(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """`GET Client/v2/ContentTemplates`: none (chinwag keeps no templates), said as a last page."""
    return 200, {"templates": [], "meta": NO_MORE}
