"""Service-level webhook configuration: /v1/Configuration/Webhooks and
/v1/Services/{ChatServiceSid}/Configuration/Webhooks."""

from typing import Any

from aiohttp import web

from chinwag.domain import service_webhooks as domain
from chinwag.domain.service_webhooks import ConfigChanges
from chinwag.resources.addressing import ServiceRoot, in_service
from chinwag.resources.common import check_target, json_response, read_form
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.twilio.errors import InvalidParameter


def config_json(config: ServiceWebhookConfig, root: ServiceRoot) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_sid": config.account_sid,
        "chat_service_sid": config.service_sid,
        "pre_webhook_url": config.pre_webhook_url,
        "post_webhook_url": config.post_webhook_url,
        "method": config.method,
        "filters": config.filters,
        "target": config.target,
        "url": f"{root.url}/Configuration/Webhooks",
    }
    # Each family's schema: the service one has chat_service_sid, the default one target.
    del body["target" if root.explicit else "chat_service_sid"]
    return body


async def fetch(request: web.Request) -> web.Response:
    config, root = await in_service(request, domain.current_config)
    return json_response(config_json(config, root))


async def update(request: web.Request) -> web.Response:
    form = await read_form(request)
    changes = ConfigChanges(
        pre_webhook_url=form.text("PreWebhookUrl"),
        post_webhook_url=form.text("PostWebhookUrl"),
        filters=form.values("Filters"),
        method=form.text("Method"),
        target=form.text("Target"),
    )
    await check_target(request, "PreWebhookUrl", changes.pre_webhook_url, InvalidParameter)
    await check_target(request, "PostWebhookUrl", changes.post_webhook_url, InvalidParameter)
    config, root = await in_service(request, domain.update_config, changes, write=True)
    return json_response(config_json(config, root))
