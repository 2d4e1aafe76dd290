"""Global webhook configuration: /v1/Configuration/Webhooks (account-wide, outside any
service). Every service of the account without a configuration of its own
(resources/service_webhooks.py) sends its events to it."""

from typing import Any

from aiohttp import web

from chinwag.domain import service_webhooks as domain
from chinwag.request_context import base_url, database
from chinwag.resources.common import account, json_response
from chinwag.resources.service_webhooks import read_changes
from chinwag.store.global_webhooks import GlobalWebhookConfig


def config_json(config: GlobalWebhookConfig, base: str) -> dict[str, Any]:
    return {
        "account_sid": config.account_sid,
        "pre_webhook_url": config.pre_webhook_url,
        "post_webhook_url": config.post_webhook_url,
        # The schema's method is a non-null enum and no example of Twilio's shows the
        # global record empty: unset reads as the POST deliveries use (compatibility.md).
        "method": config.method or "POST",
        "filters": config.filters,
        "target": config.target,
        "url": f"{base}/v1/Configuration/Webhooks",
    }


async def fetch(request: web.Request) -> web.Response:
    owner = account(request).sid
    config = await database(request).read(domain.global_config, owner)
    return json_response(config_json(config, base_url(request)))


async def update(request: web.Request) -> web.Response:
    changes = await read_changes(request, with_target=True)
    owner = account(request).sid
    config = await database(request).write(domain.update_global_config, owner, changes)
    return json_response(config_json(config, base_url(request)))
