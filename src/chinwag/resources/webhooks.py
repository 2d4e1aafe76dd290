"""Conversation-scoped Webhook resource: .../Conversations/{ConversationSid}/Webhooks."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import webhooks as domain
from chinwag.domain.webhooks import Method, Target, WebhookConfiguration
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form, read_query
from chinwag.resources.addressing import in_conversation, list_in_conversation
from chinwag.resources.common import check_target, json_response
from chinwag.store import webhooks as store
from chinwag.store.conversations import Conversation
from chinwag.store.webhooks import ScopedWebhook
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import WebhookUrlMissing
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 5  # spec: "The default is 5, and the maximum is 5."


def configuration_json(webhook: ScopedWebhook) -> dict[str, Any]:
    """The shape of Twilio's documented responses, which differ by target.

    Trigger keywords come back under `filters`, and `replay_after` is not echoed:
    both exactly as in the spec's response examples (docs/compatibility.md).
    """
    if webhook.target == Target.STUDIO:
        return {"flow_sid": webhook.flow_sid}
    keywords = webhook.triggers if webhook.target == Target.TRIGGER else webhook.filters
    return {"url": webhook.url, "method": webhook.method, "filters": keywords}


def webhook_json(webhook: ScopedWebhook, root: ServiceRoot) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_sid": webhook.account_sid,
        "chat_service_sid": webhook.service_sid,
        "conversation_sid": webhook.conversation_sid,
        "sid": webhook.sid,
        "target": webhook.target,
        "configuration": configuration_json(webhook),
        "date_created": to_json(webhook.date_created),
        "date_updated": to_json(webhook.date_updated),
        "url": f"{root.url}/Conversations/{webhook.conversation_sid}/Webhooks/{webhook.sid}",
    }
    if not root.explicit:  # the default-service schema has no chat_service_sid
        del body["chat_service_sid"]
    return body


def _configuration(form: Form, *, on_create: bool) -> WebhookConfiguration:
    return WebhookConfiguration(
        url=form.text("Configuration.Url"),
        method=form.choice("Configuration.Method", Method, ignore_case=True),
        filters=form.values("Configuration.Filters"),
        triggers=form.values("Configuration.Triggers"),
        flow_sid=form.text("Configuration.FlowSid"),
        replay_after=form.integer("Configuration.ReplayAfter") if on_create else None,
    )


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    target = domain.parse_target(form.text("Target"))
    config = _configuration(form, on_create=True)
    await check_target(request, "Configuration.Url", config.url, WebhookUrlMissing)
    webhook, root = await in_conversation(
        request, domain.create_webhook, target, config, write=True
    )
    return json_response(webhook_json(webhook, root), 201)


async def fetch(request: web.Request) -> web.Response:
    webhook, root = await in_conversation(request, domain.find_webhook, request.match_info["Sid"])
    return json_response(webhook_json(webhook, root))


async def update(request: web.Request) -> web.Response:
    config = _configuration(await read_form(request), on_create=False)
    await check_target(request, "Configuration.Url", config.url, WebhookUrlMissing)
    sid = request.match_info["Sid"]

    def work(conn: Connection, conversation: Conversation) -> ScopedWebhook:
        return domain.update_webhook(conn, domain.find_webhook(conn, conversation, sid), config)

    webhook, root = await in_conversation(request, work, write=True)
    return json_response(webhook_json(webhook, root))


async def delete(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]

    def work(conn: Connection, conversation: Conversation) -> None:
        domain.delete_webhook(conn, domain.find_webhook(conn, conversation, sid))

    await in_conversation(request, work, write=True)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    return await list_in_conversation(
        request, "webhooks", page_request, store.list_webhooks, webhook_json
    )
