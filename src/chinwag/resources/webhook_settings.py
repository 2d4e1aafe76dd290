"""Setting resource (Webhooks configuration API): /v1/Webhooks/Settings.

twilio-python's `client.webhooks.v1.settings` calls these. Every Setting chinwag has is
the account's own (`type` CUSTOMER): it has no Twilio-managed SYSTEM ones.
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import webhook_settings as domain
from chinwag.domain.webhook_settings import ConnectionFields, SettingFields, SignatureFields
from chinwag.request_context import database, read_query
from chinwag.resources.common import account, json_response
from chinwag.resources.webhook_configuration import read_body, token_list
from chinwag.store import webhook_settings as store
from chinwag.store.webhook_settings import WebhookSetting
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ValidationFailed
from chinwag.twilio.forms import shown
from chinwag.twilio.json_bodies import JsonBody
from chinwag.twilio.pagination import Page, PageRequest

CUSTOMER, SYSTEM = "CUSTOMER", "SYSTEM"  # the account's own Settings; Twilio's


def setting_json(setting: WebhookSetting) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": setting.sid,
        "type": CUSTOMER,
        "friendlyName": setting.friendly_name,
        "description": setting.description,
    }
    if setting.shared_key_sid is not None:
        answer["signature"] = {
            "type": domain.SIGNATURE_TYPE,
            "sharedKeyId": setting.shared_key_sid,
            "algorithm": setting.algorithm,
        }
    if setting.connect_timeout_ms is not None:
        connection: dict[str, Any] = {
            "connectTimeoutMs": setting.connect_timeout_ms,
            "readTimeoutMs": setting.read_timeout_ms,
        }
        if setting.total_timeout_ms is not None:
            connection["totalTimeoutMs"] = setting.total_timeout_ms
        if setting.retry_on is not None:
            connection["retryPolicy"] = {
                "retryCount": setting.retry_count,
                "retryOn": setting.retry_on,
            }
        answer["connection"] = connection
    if setting.edge_zones is not None:
        answer["edgeZones"] = setting.edge_zones
    answer["createdAt"] = to_json(setting.date_created)
    answer["updatedAt"] = to_json(setting.date_updated)
    return answer


def _fields(body: JsonBody) -> SettingFields:
    auth, signature = body.object("auth"), body.object("signature")
    connection = body.object("connection")
    return SettingFields(
        friendly_name=body.text("friendlyName"),
        description=body.text("description"),
        auth_source=None if auth is None else (auth.text("source") or ""),
        signature=None if signature is None else _signature(signature),
        connection=None if connection is None else _connection(connection),
        edge_zones=_edge_zones(body.object("edgeZones")),
    )


def _signature(signature: JsonBody) -> SignatureFields:
    return SignatureFields(
        type=signature.text("type"),
        shared_key_sid=signature.text("sharedKeyId"),
        algorithm=signature.text("algorithm"),
    )


def _connection(connection: JsonBody) -> ConnectionFields:
    policy = connection.object("retryPolicy")
    return ConnectionFields(
        connect_timeout_ms=connection.integer("connectTimeoutMs"),
        read_timeout_ms=connection.integer("readTimeoutMs"),
        total_timeout_ms=connection.integer("totalTimeoutMs"),
        retry_policy=policy is not None,
        retry_count=None if policy is None else policy.integer("retryCount"),
        retry_on=None if policy is None else policy.texts("retryOn"),
    )


def _edge_zones(edge_zones: JsonBody | None) -> dict[str, Any] | None:
    """`{"zones": [...], "allowZoneFallback": bool}`, kept as given: there are no edges here."""
    if edge_zones is None:
        return None
    zones = edge_zones.texts("zones")
    if zones is None:
        raise ValidationFailed("edgeZones.zones is required.")
    fallback = edge_zones.value("allowZoneFallback")
    if fallback is not None and not isinstance(fallback, bool):
        raise ValidationFailed("edgeZones.allowZoneFallback must be true or false.")
    return {"zones": zones} | ({} if fallback is None else {"allowZoneFallback": fallback})


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_body(request))
    setting = await database(request).write(domain.create_setting, account(request).sid, fields)
    return json_response(setting_json(setting), 201)


async def fetch(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]
    setting = await database(request).read(domain.find_setting, owner, sid)
    return json_response(setting_json(setting))


async def update(request: web.Request) -> web.Response:
    body = await read_body(request)
    friendly_name, description = body.text("friendlyName"), body.text("description")
    owner, sid = account(request).sid, request.match_info["Id"]

    def work(conn: Connection) -> WebhookSetting:
        setting = domain.find_setting(conn, owner, sid)
        return domain.rename_setting(conn, setting, friendly_name, description)

    setting = await database(request).write(work)
    return json_response(setting_json(setting))


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]

    def work(conn: Connection) -> None:
        domain.delete_setting(conn, domain.find_setting(conn, owner, sid))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    shared_key_sid, kind = query.text("sharedKeyId"), query.text("type") or CUSTOMER
    if kind not in (CUSTOMER, SYSTEM):
        raise ValidationFailed(f"type '{shown(kind)}' is not one of: {CUSTOMER}, {SYSTEM}.")
    # SYSTEM: Twilio's own Settings; authProfileId: an AuthProfile's. chinwag has neither.
    none = kind != CUSTOMER or query.text("authProfileId") is not None

    def fetch_page(conn: Connection, account_sid: str, page: PageRequest) -> Page:
        if none:
            return Page([], None, None, has_next=False, has_previous=False)
        return store.list_settings(conn, account_sid, page, shared_key_sid)

    return await token_list(request, "settings", fetch_page, setting_json)
