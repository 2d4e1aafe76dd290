"""Binding resource: /v1/Services/{ChatServiceSid}/Bindings (a named service only).

Twilio's operations list, fetch and delete; chinwag's own
`POST /chinwag/v1/Services/{ChatServiceSid}/Bindings` registers one, as an SDK client would.
"""

from functools import partial
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import bindings as domain
from chinwag.domain.bindings import BindingFields
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form, read_query
from chinwag.resources.addressing import in_service, list_in_service
from chinwag.resources.common import json_response
from chinwag.store import bindings as store
from chinwag.store.bindings import Binding, BindingFilter
from chinwag.store.services import Service
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 100  # spec: PageSize "maximum": 100


def binding_json(binding: Binding, root: ServiceRoot) -> dict[str, Any]:
    return {
        "sid": binding.sid,
        "account_sid": binding.account_sid,
        "chat_service_sid": binding.service_sid,
        "credential_sid": binding.credential_sid,
        "date_created": to_json(binding.date_created),
        "date_updated": to_json(binding.date_updated),
        "endpoint": binding.endpoint,
        "identity": binding.identity,
        "binding_type": binding.binding_type,
        "message_types": binding.message_types,
        "url": f"{root.url}/Bindings/{binding.sid}",
    }


def _binding(conn: Connection, service: Service, sid: str, path: str) -> Binding:
    return domain.find_binding(conn, service, sid, path)


async def fetch(request: web.Request) -> web.Response:
    binding, root = await in_service(request, _binding, request.match_info["Sid"], request.path)
    return json_response(binding_json(binding, root))


async def delete(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]

    def work(conn: Connection, service: Service) -> None:
        domain.delete_binding(conn, _binding(conn, service, sid, request.path))

    await in_service(request, work, write=True)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    given = {name: query.values(name) for name in ("BindingType", "Identity")}
    echoed = {name: values for name, values in given.items() if values is not None}
    filters = domain.binding_filter(given["BindingType"], given["Identity"])
    fetch_page = partial(_list_page, filters=filters)
    return await list_in_service(
        request, "bindings", page_request, fetch_page, binding_json, echoed
    )


async def register(request: web.Request) -> web.Response:
    """chinwag's own: register a device for push (201), or re-register its address (200)."""
    form = await read_form(request)
    fields = BindingFields(
        identity=form.text("Identity"),
        binding_type=form.text("BindingType"),
        address=form.text("Address"),
        credential_sid=form.text("CredentialSid"),
        message_types=form.values("MessageTypes"),
    )
    (binding, created), root = await in_service(
        request, domain.register_binding, fields, write=True
    )
    return json_response(binding_json(binding, root), 201 if created else 200)


def _list_page(
    conn: Connection, service_sid: str, request: PageRequest, *, filters: BindingFilter
) -> Page:
    return store.list_bindings(conn, service_sid, filters, request)
