"""Credential resource: /v1/Credentials, the account's push credentials.

Certificate, PrivateKey, ApiKey and Secret are write-only: stored, never in a response
(the spec's `conversations.v1.credential` has none of them).
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import credentials as domain
from chinwag.domain.credentials import CredentialFields
from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.addressing import list_in_account
from chinwag.resources.common import account, json_response
from chinwag.store import credentials as store
from chinwag.store.credentials import Credential
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 100  # spec: "The default is 50, and the maximum is 100."


def credential_json(credential: Credential, base: str) -> dict[str, Any]:
    return {
        "sid": credential.sid,
        "account_sid": credential.account_sid,
        "friendly_name": credential.friendly_name,
        "type": credential.type,
        # A string in the spec's schema, "False" in every example.
        "sandbox": str(credential.sandbox),
        "date_created": to_json(credential.date_created),
        "date_updated": to_json(credential.date_updated),
        "url": f"{base}/v1/Credentials/{credential.sid}",
    }


def _fields(form: Form) -> CredentialFields:
    return CredentialFields(
        type=form.text("Type"),
        friendly_name=form.text("FriendlyName"),
        certificate=form.text("Certificate"),
        private_key=form.text("PrivateKey"),
        sandbox=form.boolean("Sandbox"),
        api_key=form.text("ApiKey"),
        secret=form.text("Secret"),
    )


def _credential(conn: Connection, account_sid: str, sid: str, path: str) -> Credential:
    return domain.find_credential(conn, account_sid, sid, ResourceNotFound.for_path(path))


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request))
    owner = account(request).sid
    credential = await database(request).write(domain.create_credential, owner, fields)
    return json_response(credential_json(credential, base_url(request)), 201)


async def fetch(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Sid"]
    credential = await database(request).read(_credential, owner, sid, request.path)
    return json_response(credential_json(credential, base_url(request)))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request))
    owner, sid = account(request).sid, request.match_info["Sid"]

    def work(conn: Connection) -> Credential:
        return domain.update_credential(conn, _credential(conn, owner, sid, request.path), fields)

    credential = await database(request).write(work)
    return json_response(credential_json(credential, base_url(request)))


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Sid"]

    def work(conn: Connection) -> None:
        domain.delete_credential(conn, _credential(conn, owner, sid, request.path))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    return await list_in_account(
        request, "credentials", "Credentials", page_request, store.list_credentials, credential_json
    )
