"""User resource: /v1/Users and /v1/Services/{ChatServiceSid}/Users."""

from dataclasses import replace
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import users as domain
from chinwag.domain.reachability import Reachability, reachabilities_of, reachability_of
from chinwag.domain.users import UserFields
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form, read_query
from chinwag.resources.addressing import in_service, list_in_service, service_ref
from chinwag.resources.common import json_response, origin
from chinwag.resources.prehooks import pre_event
from chinwag.store import users as store
from chinwag.store.services import Service
from chinwag.store.users import User
from chinwag.twilio.dates import to_json, to_webhook, utc_now
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 50  # spec: "The default is 50, and the maximum is 50."


def user_json(user: User, root: ServiceRoot, reach: Reachability | None = None) -> dict[str, Any]:
    url = f"{root.url}/Users/{user.sid}"
    return {
        "sid": user.sid,
        "account_sid": user.account_sid,
        "chat_service_sid": user.service_sid,  # in both families' schemas
        "role_sid": user.role_sid,
        "identity": user.identity,
        "friendly_name": user.friendly_name,
        "attributes": user.attributes,
        # null unless the service has reachability (spec; domain/reachability.py)
        "is_online": reach.online if reach else None,
        "is_notifiable": reach.notifiable if reach else None,
        "date_created": to_json(user.date_created),
        "date_updated": to_json(user.date_updated),
        "url": url,
        "links": {"user_conversations": f"{url}/Conversations"},
    }


def _fields(form: Form, *, on_create: bool) -> UserFields:
    return UserFields(
        identity=form.text("Identity") if on_create else None,
        friendly_name=form.text("FriendlyName"),
        attributes=form.text("Attributes"),
        role_sid=form.text("RoleSid"),
    )


def _user(conn: Connection, service: Service, ref: str, path: str) -> User:
    return domain.find_user(conn, service, ref, ResourceNotFound.for_path(path))


async def _ask_update(request: web.Request, ref: str, fields: UserFields) -> None:
    """onUserUpdate may only reject; it names the user as stored, with the new values."""
    if not origin(request).webhooks_enabled:
        return
    user, _ = await in_service(request, _user, ref, request.path)
    given = [
        ("UserSid", user.sid),
        ("Identity", user.identity),
        ("FriendlyName", fields.friendly_name),
        ("RoleSid", fields.role_sid),
        ("Attributes", fields.attributes),
        ("DateUpdated", to_webhook(user.date_updated)),
    ]
    params = [(name, value) for name, value in given if value is not None]
    await pre_event(request, service_ref(request), "onUserUpdate", params, frozenset())


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=True)
    changed_by = origin(request)

    def work(conn: Connection, service: Service) -> Reached:
        return _reached(conn, domain.create_user(conn, service, fields, changed_by))

    (user, reach), root = await in_service(request, work, write=True)
    return json_response(user_json(user, root, reach), 201)


async def fetch(request: web.Request) -> web.Response:
    def work(conn: Connection, service: Service) -> Reached:
        return _reached(conn, _user(conn, service, request.match_info["Sid"], request.path))

    (user, reach), root = await in_service(request, work)
    return json_response(user_json(user, root, reach))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=False)
    ref, changed_by = request.match_info["Sid"], origin(request)
    await _ask_update(request, ref, fields)

    def work(conn: Connection, service: Service) -> Reached:
        user = _user(conn, service, ref, request.path)
        return _reached(conn, domain.update_user(conn, user, fields, changed_by))

    (user, reach), root = await in_service(request, work, write=True)
    return json_response(user_json(user, root, reach))


async def delete(request: web.Request) -> web.Response:
    ref = request.match_info["Sid"]

    def work(conn: Connection, service: Service) -> None:
        domain.delete_user(conn, _user(conn, service, ref, request.path))

    await in_service(request, work, write=True)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)

    def fetch_page(conn: Connection, service_sid: str, wanted: PageRequest) -> Page:
        page = store.list_users(conn, service_sid, wanted)
        found = reachabilities_of(conn, page.rows, utc_now()) or {}
        return replace(page, rows=[(user, found.get(user.sid)) for user in page.rows])

    def item_json(row: Reached, root: ServiceRoot) -> dict[str, Any]:
        return user_json(row[0], root, row[1])

    return await list_in_service(request, "users", page_request, fetch_page, item_json)


Reached = tuple[User, Reachability | None]


def _reached(conn: Connection, user: User) -> Reached:
    return user, reachability_of(conn, user, utc_now())
