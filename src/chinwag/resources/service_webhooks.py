"""Per-service webhook configuration: /v1/Services/{ChatServiceSid}/Configuration/Webhooks.

The account's global configuration, which a service without one of its own uses, is
resources/global_webhooks.py.
"""

from typing import Any

from aiohttp import web

from chinwag.domain import service_webhooks as domain
from chinwag.domain.service_webhooks import ConfigChanges
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form
from chinwag.resources.addressing import in_service
from chinwag.resources.common import check_target, json_response
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.twilio.errors import InvalidParameter


def config_json(config: ServiceWebhookConfig, root: ServiceRoot) -> dict[str, Any]:
    return {
        "account_sid": config.account_sid,
        "chat_service_sid": config.service_sid,
        "pre_webhook_url": config.pre_webhook_url,
        "post_webhook_url": config.post_webhook_url,
        "filters": config.filters,
        "method": config.method,
        "url": f"{root.url}/Configuration/Webhooks",
    }


async def read_changes(request: web.Request, *, with_target: bool) -> ConfigChanges:
    """An update's parameters, its URLs vetted by --deny-private-targets before any write."""
    form = await read_form(request)
    changes = ConfigChanges(
        pre_webhook_url=form.text("PreWebhookUrl"),
        post_webhook_url=form.text("PostWebhookUrl"),
        filters=form.values("Filters"),
        method=form.text("Method"),
        target=form.text("Target") if with_target else None,
    )
    await check_target(request, "PreWebhookUrl", changes.pre_webhook_url, InvalidParameter)
    await check_target(request, "PostWebhookUrl", changes.post_webhook_url, InvalidParameter)
    return changes


async def fetch(request: web.Request) -> web.Response:
    config, root = await in_service(request, domain.service_config)
    return json_response(config_json(config, root))


async def update(request: web.Request) -> web.Response:
    changes = await read_changes(request, with_target=False)  # the spec's request has no Target
    config, root = await in_service(request, domain.update_service_config, changes, write=True)
    return json_response(config_json(config, root))
