"""User resource: /v1/Users and /v1/Services/{ChatServiceSid}/Users."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import users as domain
from chinwag.domain.users import UserFields
from chinwag.resources.common import (
    InService,
    RequestScope,
    database,
    json_response,
    list_response,
    origin,
    read_form,
    read_query,
    scope,
)
from chinwag.resources.prehooks import pre_event
from chinwag.store import users as store
from chinwag.store.users import User
from chinwag.twilio.dates import to_json, to_webhook
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 50  # spec: "The default is 50, and the maximum is 50."


def user_json(user: User, where: InService) -> dict[str, Any]:
    url = f"{where.root}/Users/{user.sid}"
    return {
        "sid": user.sid,
        "account_sid": user.account_sid,
        "chat_service_sid": user.service_sid,  # in both families' schemas
        "role_sid": user.role_sid,
        "identity": user.identity,
        "friendly_name": user.friendly_name,
        "attributes": user.attributes,
        # null unless the service has reachability, which chinwag does not offer (spec)
        "is_online": None,
        "is_notifiable": None,
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


def _user(conn: Connection, where_to: RequestScope, ref: str) -> tuple[User, InService]:
    where = where_to.resolve(conn)
    return domain.find_user(
        conn, where.service, ref, ResourceNotFound.for_path(where_to.path)
    ), where


async def _ask_update(
    request: web.Request, where_to: RequestScope, ref: str, fields: UserFields
) -> None:
    """onUserUpdate may only reject; it names the user as stored, with the new values."""
    if not origin(request).webhooks_enabled:
        return
    user, _ = await database(request).read(_user, where_to, ref)
    given = [
        ("UserSid", user.sid),
        ("Identity", user.identity),
        ("FriendlyName", fields.friendly_name),
        ("RoleSid", fields.role_sid),
        ("Attributes", fields.attributes),
        ("DateUpdated", to_webhook(user.date_updated)),
    ]
    params = [(name, value) for name, value in given if value is not None]
    await pre_event(request, where_to, "onUserUpdate", params, frozenset())


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=True)
    where_to, created_by = scope(request), origin(request)

    def work(conn: Connection) -> tuple[User, InService]:
        where = where_to.resolve(conn)
        return domain.create_user(conn, where.service, fields, created_by), where

    user, where = await database(request).write(work)
    return json_response(user_json(user, where), 201)


async def fetch(request: web.Request) -> web.Response:
    where_to, ref = scope(request), request.match_info["Sid"]
    user, where = await database(request).read(_user, where_to, ref)
    return json_response(user_json(user, where))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=False)
    where_to, ref, changed_by = scope(request), request.match_info["Sid"], origin(request)
    await _ask_update(request, where_to, ref, fields)

    def work(conn: Connection) -> tuple[User, InService]:
        user, where = _user(conn, where_to, ref)
        return domain.update_user(conn, user, fields, changed_by), where

    user, where = await database(request).write(work)
    return json_response(user_json(user, where))


async def delete(request: web.Request) -> web.Response:
    where_to, ref = scope(request), request.match_info["Sid"]

    def work(conn: Connection) -> None:
        user, _ = _user(conn, where_to, ref)
        domain.delete_user(conn, user)

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    where_to = scope(request)

    def work(conn: Connection) -> tuple[Any, InService]:
        where = where_to.resolve(conn)
        return store.list_users(conn, where.service.sid, page_request), where

    page, where = await database(request).read(work)
    return list_response(
        "users",
        [user_json(user, where) for user in page.rows],
        f"{where.root}/Users",
        page_request,
        page,
    )
