"""Conversation Service resource: /v1/Services."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import services as domain
from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.addressing import list_in_account
from chinwag.resources.common import account, json_response
from chinwag.store import services as store
from chinwag.store.services import Service
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 100
_LINKS = (
    ("conversations", "Conversations"),
    ("users", "Users"),
    ("roles", "Roles"),
    ("bindings", "Bindings"),
    ("configuration", "Configuration"),
    ("participant_conversations", "ParticipantConversations"),
    ("conversation_with_participants", "ConversationWithParticipants"),
)


def service_json(service: Service, base: str) -> dict[str, Any]:
    url = f"{base}/v1/Services/{service.sid}"
    return {
        "account_sid": service.account_sid,
        "sid": service.sid,
        "friendly_name": service.friendly_name,
        "date_created": to_json(service.date_created),
        "date_updated": to_json(service.date_updated),
        "url": url,
        "links": {name: f"{url}/{path}" for name, path in _LINKS},
    }


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    owner = account(request)
    service = await database(request).write(
        domain.create_service, owner.sid, form.text("FriendlyName")
    )
    return json_response(service_json(service, base_url(request)), 201)


async def fetch(request: web.Request) -> web.Response:
    owner, sid = account(request), request.match_info["Sid"]
    service = await database(request).read(domain.find_service, owner.sid, sid, request.path)
    return json_response(service_json(service, base_url(request)))


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request), request.match_info["Sid"]

    def work(conn: Connection) -> None:
        domain.delete_service(conn, domain.find_service(conn, owner.sid, sid, request.path))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    return await list_in_account(
        request, "services", "Services", page_request, store.list_services, service_json
    )
