"""Rule resource (Webhooks configuration API): /v1/Webhooks/Rules, and the Operations
their changes answer (/v1/Webhooks/Operations).

twilio-python's `client.webhooks.v1.rules` and `.operations` call these. A create, update
or delete answers 202 with its Operation (and the Rule, but for a delete), its URL in
`Location` and its id in `Operation-Id`, as Twilio does; here it is already COMPLETED.
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import webhook_rules as domain
from chinwag.domain.webhook_rules import RuleFields
from chinwag.request_context import base_url, database, read_query
from chinwag.resources.common import account, json_response
from chinwag.resources.webhook_configuration import read_body, token_list
from chinwag.store import webhook_rules as store
from chinwag.store.webhook_rules import EXACT_MATCH, PREFIX_MATCH, WebhookOperation, WebhookRule
from chinwag.twilio.dates import to_json
from chinwag.twilio.json_bodies import JsonBody
from chinwag.twilio.pagination import Page, PageRequest

COMPLETED = "COMPLETED"
RETENTION = "P7D"  # retentionPeriod: "fixed at 7 days"


def rule_json(rule: WebhookRule) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": rule.sid,
        "friendlyName": rule.friendly_name,
        "description": rule.description,
        "matchType": rule.match_type,
    }
    if rule.match_type == EXACT_MATCH:
        answer["value"] = rule.pattern
    elif rule.match_type == PREFIX_MATCH:
        answer["prefix"] = rule.pattern
    answer["settings"] = [
        {"settingId": setting_sid, "percentage": percentage}
        for setting_sid, percentage in rule.settings
    ]
    answer["createdAt"] = to_json(rule.date_created)
    answer["updatedAt"] = to_json(rule.date_updated)
    return answer


def operation_json(operation: WebhookOperation, base: str) -> dict[str, Any]:
    return {
        "id": operation.sid,
        "statusUrl": f"{base}/v1/Webhooks/Operations/{operation.sid}",
        "status": COMPLETED,
        "resourceId": operation.resource_sid,
        "createdAt": to_json(operation.date_created),
        "completedAt": to_json(operation.date_created),  # in the same transaction
        "retentionPeriod": RETENTION,
    }


def _fields(body: JsonBody) -> RuleFields:
    settings = body.objects("settings")
    return RuleFields(
        friendly_name=body.text("friendlyName"),
        description=body.text("description"),
        match_type=body.text("matchType"),
        value=body.text("value"),
        prefix=body.text("prefix"),
        settings=None
        if settings is None
        else [(item.text("settingId"), item.integer("percentage")) for item in settings],
    )


def _accepted(
    request: web.Request, operation: WebhookOperation, rule: WebhookRule | None
) -> web.Response:
    shown = operation_json(operation, base_url(request))
    body = {"operation": shown} if rule is None else {"operation": shown, "rule": rule_json(rule)}
    response = json_response(body, 202)
    response.headers["Location"] = shown["statusUrl"]
    response.headers["Operation-Id"] = operation.sid
    return response


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_body(request))
    rule, operation = await database(request).write(
        domain.create_rule, account(request).sid, fields
    )
    return _accepted(request, operation, rule)


async def fetch(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]
    rule = await database(request).read(domain.find_rule, owner, sid)
    return json_response(rule_json(rule))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_body(request))
    owner, sid = account(request).sid, request.match_info["Id"]

    def work(conn: Connection) -> tuple[WebhookRule, WebhookOperation]:
        return domain.update_rule(conn, domain.find_rule(conn, owner, sid), fields)

    rule, operation = await database(request).write(work)
    return _accepted(request, operation, rule)


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]

    def work(conn: Connection) -> WebhookOperation:
        return domain.delete_rule(conn, domain.find_rule(conn, owner, sid))

    operation = await database(request).write(work)
    return _accepted(request, operation, None)


async def list_(request: web.Request) -> web.Response:
    setting_sid = read_query(request).text("settingId")

    def fetch_page(conn: Connection, account_sid: str, page: PageRequest) -> Page:
        return store.list_rules(conn, account_sid, page, setting_sid)

    return await token_list(request, "rules", fetch_page, rule_json)


async def fetch_operation(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, request.match_info["Id"]
    operation = await database(request).read(domain.find_operation, owner, sid)
    return json_response(operation_json(operation, base_url(request)))


async def list_operations(request: web.Request) -> web.Response:
    query = read_query(request)
    resource_sid, status = query.text("resourceId"), query.text("status")
    base = base_url(request)

    def fetch_page(conn: Connection, account_sid: str, page: PageRequest) -> Page:
        if status not in (None, COMPLETED):  # every Operation here is complete
            return Page([], None, None, has_next=False, has_previous=False)
        return store.list_operations(conn, account_sid, page, resource_sid)

    return await token_list(
        request, "operations", fetch_page, lambda operation: operation_json(operation, base)
    )
