"""Asking the service's pre-event webhook before a change (see delivery/prehook.py)."""

import uuid

from aiohttp import web
from sqlalchemy import Connection

from chinwag.delivery.prehook import MAX_ANSWER, ask_pre_hook
from chinwag.delivery.sender import OutboundRequest
from chinwag.domain.conversations import find_conversation
from chinwag.domain.events import envelope
from chinwag.domain.service_webhooks import current_config
from chinwag.resources.common import SENDER, RequestScope, account, database, origin
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.store.services import Service
from chinwag.twilio.errors import Forbidden, ResourceNotFound, TwilioError


async def pre_event(
    request: web.Request,
    where_to: RequestScope,
    event_type: str,
    params: list[tuple[str, str]],
    allowed: frozenset[str],
    conversation_ref: str | None = None,
    conversation_missing: TwilioError | None = None,
) -> dict[str, str]:
    """Ask the service's pre-event webhook, if it wants `event_type`; returns its changes.

    With `conversation_ref` (a SID or UniqueName from the path) the payload names the
    conversation; `conversation_missing` is raised if there is none (default 20404).
    Raises Forbidden when the webhook rejects the change, so nothing is written.
    """
    asked_by = origin(request)
    if not asked_by.webhooks_enabled or SENDER not in request.app:
        return {}

    def look_up(conn: Connection) -> tuple[Service, ServiceWebhookConfig, str | None]:
        service = where_to.resolve(conn).service
        conversation_sid = None
        if conversation_ref is not None:
            missing = conversation_missing or ResourceNotFound.for_path(where_to.path)
            conversation = find_conversation(conn, service.sid, conversation_ref, missing)
            conversation_sid = conversation.sid
        return service, current_config(conn, service), conversation_sid

    service, config, conversation_sid = await database(request).read(look_up)
    if not config.pre_webhook_url or event_type not in config.filters:
        return {}
    payload = envelope(
        event_type,
        service.account_sid,
        service.sid,
        conversation_sid,
        params,
        asked_by,
        pre_event=True,
    )
    outbound = OutboundRequest(
        url=config.pre_webhook_url,
        method=config.method,
        params=payload,
        auth_token=account(request).auth_token,
        idempotency_token=str(uuid.uuid4()),
        read_limit=MAX_ANSWER,
    )
    verdict = await ask_pre_hook(request.app[SENDER], outbound, allowed)
    if verdict.rejected_with is not None:
        raise Forbidden(
            f"The pre-event webhook rejected {event_type} with HTTP {verdict.rejected_with}."
        )
    return verdict.changes
