"""Service-level webhook configuration: /v1/Configuration/Webhooks and
/v1/Services/{ChatServiceSid}/Configuration/Webhooks."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import service_webhooks as domain
from chinwag.domain.service_webhooks import ConfigChanges
from chinwag.resources.common import (
    InService,
    check_target,
    database,
    json_response,
    read_form,
    scope,
)
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.twilio.errors import InvalidParameter


def config_json(config: ServiceWebhookConfig, where: InService) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_sid": config.account_sid,
        "chat_service_sid": config.service_sid,
        "pre_webhook_url": config.pre_webhook_url,
        "post_webhook_url": config.post_webhook_url,
        "method": config.method,
        "filters": config.filters,
        "target": config.target,
        "url": f"{where.root}/Configuration/Webhooks",
    }
    # Each family's schema: the service one has chat_service_sid, the default one target.
    del body["target" if where.explicit else "chat_service_sid"]
    return body


async def fetch(request: web.Request) -> web.Response:
    where_to = scope(request)

    def work(conn: Connection) -> tuple[ServiceWebhookConfig, InService]:
        where = where_to.resolve(conn)
        return domain.current_config(conn, where.service), where

    config, where = await database(request).read(work)
    return json_response(config_json(config, where))


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
    where_to = scope(request)

    def work(conn: Connection) -> tuple[ServiceWebhookConfig, InService]:
        where = where_to.resolve(conn)
        return domain.update_config(conn, where.service, changes), where

    config, where = await database(request).write(work)
    return json_response(config_json(config, where))
