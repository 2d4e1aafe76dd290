"""Address Configuration resource: /v1/Configuration/Addresses (account-wide)."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import address_configurations as domain
from chinwag.domain.address_configurations import AddressFields
from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.addressing import list_in_account
from chinwag.resources.common import account, check_target, json_response
from chinwag.store import address_configurations as store
from chinwag.store.address_configurations import AddressConfiguration
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound, WebhookUrlMissing
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 50  # spec: "The default is 50, and the maximum is 50."


def auto_creation_json(configuration: AddressConfiguration) -> dict[str, Any]:
    """The spec examples' `auto_creation` object: `enabled` and `type`, the service when set,
    then the keys of its type only (webhook_* for webhook, studio_* for studio)."""
    body: dict[str, Any] = {
        "enabled": configuration.auto_creation_enabled,
        "type": configuration.auto_creation_type,
    }
    if configuration.conversation_service_sid is not None:
        body["conversation_service_sid"] = configuration.conversation_service_sid
    if configuration.auto_creation_type == "webhook":
        body["webhook_url"] = configuration.webhook_url
        body["webhook_method"] = configuration.webhook_method
        body["webhook_filters"] = configuration.webhook_filters
    elif configuration.auto_creation_type == "studio":
        body["studio_flow_sid"] = configuration.studio_flow_sid
        body["studio_retry_count"] = configuration.studio_retry_count
    return body


def address_configuration_json(configuration: AddressConfiguration, base: str) -> dict[str, Any]:
    return {
        "sid": configuration.sid,
        "account_sid": configuration.account_sid,
        "type": configuration.type,
        "address": configuration.address,
        "friendly_name": configuration.friendly_name,
        "address_country": configuration.address_country,
        "auto_creation": auto_creation_json(configuration),
        "date_created": to_json(configuration.date_created),
        "date_updated": to_json(configuration.date_updated),
        "url": f"{base}/v1/Configuration/Addresses/{configuration.sid}",
    }


def _fields(form: Form, *, on_create: bool) -> AddressFields:
    return AddressFields(
        type=form.text("Type") if on_create else None,
        address=form.text("Address") if on_create else None,
        address_country=form.text("AddressCountry") if on_create else None,
        friendly_name=form.text("FriendlyName"),
        enabled=form.boolean("AutoCreation.Enabled"),
        auto_creation_type=form.text("AutoCreation.Type"),
        conversation_service_sid=form.text("AutoCreation.ConversationServiceSid"),
        webhook_url=form.text("AutoCreation.WebhookUrl"),
        webhook_method=form.text("AutoCreation.WebhookMethod"),
        webhook_filters=form.values("AutoCreation.WebhookFilters"),
        studio_flow_sid=form.text("AutoCreation.StudioFlowSid"),
        studio_retry_count=form.integer("AutoCreation.StudioRetryCount"),
    )


async def _read_fields(request: web.Request, *, on_create: bool) -> AddressFields:
    """The form's fields; with --deny-private-targets, a private webhook URL is refused
    before the write, as a scoped webhook's is."""
    fields = _fields(await read_form(request), on_create=on_create)
    await check_target(request, "AutoCreation.WebhookUrl", fields.webhook_url, WebhookUrlMissing)
    return fields


def _configuration(conn: Connection, account_sid: str, ref: str, path: str) -> AddressConfiguration:
    return domain.find_configuration(conn, account_sid, ref, ResourceNotFound.for_path(path))


async def create(request: web.Request) -> web.Response:
    fields = await _read_fields(request, on_create=True)
    owner = account(request).sid
    configuration = await database(request).write(domain.create_configuration, owner, fields)
    return json_response(address_configuration_json(configuration, base_url(request)), 201)


async def fetch(request: web.Request) -> web.Response:
    owner, ref = account(request).sid, request.match_info["Sid"]
    configuration = await database(request).read(_configuration, owner, ref, request.path)
    return json_response(address_configuration_json(configuration, base_url(request)))


async def update(request: web.Request) -> web.Response:
    fields = await _read_fields(request, on_create=False)
    owner, ref = account(request).sid, request.match_info["Sid"]

    def work(conn: Connection) -> AddressConfiguration:
        configuration = _configuration(conn, owner, ref, request.path)
        return domain.update_configuration(conn, configuration, fields)

    configuration = await database(request).write(work)
    return json_response(address_configuration_json(configuration, base_url(request)))


async def delete(request: web.Request) -> web.Response:
    owner, ref = account(request).sid, request.match_info["Sid"]

    def work(conn: Connection) -> None:
        domain.delete_configuration(conn, _configuration(conn, owner, ref, request.path))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    raw_type = query.text("Type")
    type_ = domain.check_address_type(raw_type) if raw_type else None

    def fetch_page(conn: Connection, owner: str, wanted: PageRequest) -> Page:
        return store.list_configurations(conn, owner, type_, wanted)

    return await list_in_account(
        request,
        "address_configurations",
        "Configuration/Addresses",
        page_request,
        fetch_page,
        address_configuration_json,
        {"Type": raw_type} if raw_type else None,
    )
