"""Service configuration: /v1/Services/{ChatServiceSid}/Configuration (no default-service twin)."""

from typing import Any

from aiohttp import web

from chinwag.domain import service_configuration as domain
from chinwag.domain.service_configuration import ConfigurationChanges
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form
from chinwag.resources.addressing import in_service
from chinwag.resources.common import json_response
from chinwag.store.service_configurations import ServiceConfiguration


def configuration_json(config: ServiceConfiguration, root: ServiceRoot) -> dict[str, Any]:
    url = f"{root.url}/Configuration"
    return {
        "chat_service_sid": config.service_sid,
        "default_conversation_creator_role_sid": config.default_conversation_creator_role_sid,
        "default_conversation_role_sid": config.default_conversation_role_sid,
        "default_chat_service_role_sid": config.default_chat_service_role_sid,
        "reachability_enabled": config.reachability_enabled,
        "url": url,
        "links": {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"},
    }


async def fetch(request: web.Request) -> web.Response:
    config, root = await in_service(request, domain.fetch_configuration)
    return json_response(configuration_json(config, root))


async def update(request: web.Request) -> web.Response:
    form = await read_form(request)
    changes = ConfigurationChanges(
        default_conversation_creator_role_sid=form.text("DefaultConversationCreatorRoleSid"),
        default_conversation_role_sid=form.text("DefaultConversationRoleSid"),
        default_chat_service_role_sid=form.text("DefaultChatServiceRoleSid"),
        reachability_enabled=form.boolean("ReachabilityEnabled"),
    )
    config, root = await in_service(request, domain.update_configuration, changes, write=True)
    return json_response(configuration_json(config, root))
