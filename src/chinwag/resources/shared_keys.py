"""SharedKey resource (Webhooks configuration API): /v1/Webhooks/SharedKeys.

twilio-python's `client.webhooks.v1.shared_keys` calls these. The secret is in the
create response only.
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import shared_keys as domain
from chinwag.request_context import database
from chinwag.resources.common import account, json_response
from chinwag.resources.webhook_configuration import read_body, token_list
from chinwag.store import shared_keys as store
from chinwag.store.shared_keys import SharedKey
from chinwag.twilio.dates import to_json


def shared_key_json(key: SharedKey) -> dict[str, Any]:
    return {
        "id": key.sid,
        "friendlyName": key.friendly_name,
        "createdAt": to_json(key.date_created),
        "updatedAt": to_json(key.date_updated),
    }


async def create(request: web.Request) -> web.Response:
    friendly_name = (await read_body(request)).text("friendlyName")
    key = await database(request).write(
        domain.create_shared_key, account(request).sid, friendly_name
    )
    return json_response({**shared_key_json(key), "secret": key.secret}, 201)


async def fetch(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]
    key = await database(request).read(domain.find_shared_key, owner, sid)
    return json_response(shared_key_json(key))


async def update(request: web.Request) -> web.Response:
    friendly_name = (await read_body(request)).text("friendlyName")
    owner, sid = account(request).sid, request.match_info["Id"]

    def work(conn: Connection) -> SharedKey:
        key = domain.find_shared_key(conn, owner, sid)
        return domain.rename_shared_key(conn, key, friendly_name)

    key = await database(request).write(work)
    return json_response(shared_key_json(key))


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]

    def work(conn: Connection) -> None:
        domain.delete_shared_key(conn, domain.find_shared_key(conn, owner, sid))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    return await token_list(request, "sharedKeys", store.list_shared_keys, shared_key_json)
