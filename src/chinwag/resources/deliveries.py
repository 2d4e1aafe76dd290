"""The delivery API, a chinwag extension outside Twilio's namespace: /chinwag/v1/Deliveries.

Lists the outbox (newest first), shows one delivery with its attempt log, and
queues deliveries again. A delivery's public id is its I-Twilio-Idempotency-Token.
"""

from typing import Any

from aiohttp import web

from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.common import account, json_response, list_response
from chinwag.store import deliveries as store
from chinwag.store.deliveries import DeliveryFilter, DeliveryRecord
from chinwag.store.outbox import Attempt, DeliveryStatus
from chinwag.twilio.dates import to_json, utc_now
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 100
FILTERS = ("ConversationSid", "WebhookSid", "EventType", "Status", "CreatedAfter", "CreatedBefore")


def delivery_json(delivery: DeliveryRecord) -> dict[str, Any]:
    return {
        "sid": delivery.token,
        "account_sid": delivery.account_sid,
        "chat_service_sid": delivery.service_sid,
        "conversation_sid": delivery.conversation_sid,
        "webhook_sid": delivery.webhook_sid,
        "target": delivery.target,
        "event_type": delivery.event_type,
        "url": delivery.url,
        "method": delivery.method,
        "status": delivery.status,
        # Sent in order with its conversation's others; a `waiting` one waits for this one.
        "ordered": delivery.order_key is not None,
        "waiting_for": delivery.waiting_for,
        "attempts": delivery.attempts,
        "next_attempt_at": to_json(delivery.next_attempt_at),
        "response_status": delivery.response_status,
        "error": delivery.error,
        "date_created": to_json(delivery.date_created),
        "date_updated": to_json(delivery.date_updated),
        "params": dict(delivery.params),
        # An Event Streams sink's delivery: the JSON array of CloudEvents it sends.
        "body": delivery.body,
    }


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "started_at": to_json(attempt.started_at),
        "url": attempt.url,
        "method": attempt.method,
        "response_status": attempt.response_status,
        "latency_ms": attempt.latency_ms,
        "response_excerpt": attempt.response_excerpt,
        "error": attempt.error,
    }


def _filter(account_sid: str, query: Form) -> DeliveryFilter:
    conversation, webhook = query.text("ConversationSid"), query.text("WebhookSid")
    return DeliveryFilter(
        account_sid=account_sid,
        conversation_sids=(conversation,) if conversation is not None else (),
        webhook_sids=(webhook,) if webhook is not None else (),
        event_type=query.text("EventType"),
        status=query.choice("Status", DeliveryStatus, ignore_case=True),
        created_after=query.date("CreatedAfter"),
        created_before=query.date("CreatedBefore"),
    )


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    where = _filter(account(request).sid, query)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    page = await database(request).read(store.list_deliveries, where, page_request)
    filters = {name: value for name in FILTERS if (value := query.text(name)) is not None}
    return list_response(
        "deliveries",
        [delivery_json(delivery) for delivery in page.rows],
        f"{base_url(request)}/chinwag/v1/Deliveries",
        page_request,
        page,
        filters,
    )


async def fetch(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]
    found = await database(request).read(store.find_with_attempts, account(request).sid, sid)
    if found is None:
        raise ResourceNotFound.for_path(request.path)
    delivery, attempts = found
    return json_response(
        {**delivery_json(delivery), "attempts": [attempt_json(a) for a in attempts]}
    )


async def redeliver(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]
    requeued = await database(request).write(store.redeliver, account(request).sid, sid, utc_now())
    if requeued is None:
        raise ResourceNotFound.for_path(request.path)
    return json_response(delivery_json(requeued), 202)


async def redeliver_failed(request: web.Request) -> web.Response:
    form = await read_form(request)
    webhook, conversation = form.text("WebhookSid"), form.text("ConversationSid")
    if not webhook and not conversation:
        raise InvalidParameter("Redeliver needs a WebhookSid or a ConversationSid.")
    count = await database(request).write(
        store.redeliver_failed,
        account(request).sid,
        utc_now(),
        webhook_sid=webhook or None,
        conversation_sid=conversation or None,
    )
    return json_response({"redelivered": count}, 202)
