"""Role resource: /v1/Roles and /v1/Services/{ChatServiceSid}/Roles."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import roles as domain
from chinwag.domain.roles import RoleFields
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import database, read_form, read_query
from chinwag.resources.addressing import in_service, list_in_service, service_ref
from chinwag.resources.common import json_response
from chinwag.store import roles as store
from chinwag.store.roles import Role
from chinwag.store.services import Service
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 50  # spec: "The default is 50, and the maximum is 50."


def role_json(role: Role, root: ServiceRoot) -> dict[str, Any]:
    return {
        "sid": role.sid,
        "account_sid": role.account_sid,
        "chat_service_sid": role.service_sid,  # in both families' schemas
        "friendly_name": role.friendly_name,
        "type": role.type,
        "permissions": role.permissions,
        "date_created": to_json(role.date_created),
        "date_updated": to_json(role.date_updated),
        "url": f"{root.url}/Roles/{role.sid}",
    }


def _role(
    conn: Connection, service: Service, sid: str, path: str, *, for_delete: bool = False
) -> Role:
    missing = ResourceNotFound.for_path(path)
    return domain.find_role(conn, service, sid, missing, for_delete=for_delete)


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    fields = RoleFields(
        friendly_name=form.text("FriendlyName"),
        type=form.text("Type"),
        permissions=form.values("Permission"),
    )
    role, root = await in_service(request, domain.create_role, fields, write=True)
    return json_response(role_json(role, root), 201)


async def fetch(request: web.Request) -> web.Response:
    role, root = await in_service(request, _role, request.match_info["Sid"], request.path)
    return json_response(role_json(role, root))


async def update(request: web.Request) -> web.Response:
    permissions = (await read_form(request)).values("Permission")
    sid = request.match_info["Sid"]

    def work(conn: Connection, service: Service) -> Role:
        return domain.update_role(conn, _role(conn, service, sid, request.path), permissions)

    role, root = await in_service(request, work, write=True)
    return json_response(role_json(role, root))


async def delete(request: web.Request) -> web.Response:
    sid, addressed = request.match_info["Sid"], service_ref(request)

    def work(conn: Connection) -> None:
        service = addressed.resolve(conn).service
        domain.delete_role(conn, _role(conn, service, sid, request.path, for_delete=True))

    # READ COMMITTED with the role's row locked first, so that the holders a concurrent
    # write adds are seen once it commits (domain/roles.py, delete_role).
    await database(request).write_locking(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    return await list_in_service(request, "roles", page_request, store.list_roles, role_json)
