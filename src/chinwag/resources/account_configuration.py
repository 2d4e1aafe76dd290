"""Account Configuration resource: /v1/Configuration (account-wide, outside any service)."""

from typing import Any

from aiohttp import web

from chinwag.domain import account_configuration as domain
from chinwag.domain.account_configuration import Configuration, ConfigurationChanges
from chinwag.request_context import base_url, database, read_form
from chinwag.resources.common import account, json_response


def configuration_json(configuration: Configuration, base: str) -> dict[str, Any]:
    settings = configuration.settings
    url = f"{base}/v1/Configuration"
    links = {"webhooks": f"{url}/Webhooks"}
    if configuration.default_chat_service_sid is not None:
        service = configuration.default_chat_service_sid
        links = {"service": f"{base}/v1/Services/{service}/Configuration", **links}
    return {
        "account_sid": settings.account_sid,
        "default_chat_service_sid": configuration.default_chat_service_sid,
        "default_messaging_service_sid": settings.default_messaging_service_sid,
        "default_inactive_timer": settings.default_inactive_timer,
        "default_closed_timer": settings.default_closed_timer,
        "url": url,
        "links": links,
    }


async def fetch(request: web.Request) -> web.Response:
    owner = account(request).sid
    configuration = await database(request).read(domain.current_configuration, owner)
    return json_response(configuration_json(configuration, base_url(request)))


async def update(request: web.Request) -> web.Response:
    form = await read_form(request)
    changes = ConfigurationChanges(
        default_chat_service_sid=form.text("DefaultChatServiceSid"),
        default_messaging_service_sid=form.text("DefaultMessagingServiceSid"),
        default_inactive_timer=form.text("DefaultInactiveTimer"),
        default_closed_timer=form.text("DefaultClosedTimer"),
    )
    owner = account(request).sid
    configuration = await database(request).write(domain.update_configuration, owner, changes)
    return json_response(configuration_json(configuration, base_url(request)))
