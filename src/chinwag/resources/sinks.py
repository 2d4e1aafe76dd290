"""Sink resource (Event Streams): /v1/Sinks, and a sink's Test and Validate.

twilio-python's `client.events.v1.sinks` calls these; the paths are Twilio's on
events.twilio.com, served here beside Conversations' (docs/events.md, "Event Streams").
"""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import sinks as domain
from chinwag.request_context import base_url, database, read_form, read_query
from chinwag.resources.addressing import list_in_account
from chinwag.resources.common import account, check_target, json_response
from chinwag.store import sinks as store
from chinwag.store.sinks import Sink
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 1000  # spec: PageSize maximum 1000


def sink_json(sink: Sink, base: str) -> dict[str, Any]:
    url = f"{base}/v1/Sinks/{sink.sid}"
    return {
        "date_created": to_json(sink.date_created),
        "date_updated": to_json(sink.date_updated),
        "description": sink.description,
        "sid": sink.sid,
        "sink_configuration": sink.sink_configuration,
        "sink_type": sink.sink_type,
        "status": sink.status,
        "url": url,
        "links": {"sink_test": f"{url}/Test", "sink_validate": f"{url}/Validate"},
    }


def _sink(conn: Connection, account_sid: str, sid: str, path: str) -> Sink:
    return domain.find_sink(conn, account_sid, sid, ResourceNotFound.for_path(path))


def _sid(request: web.Request) -> str:
    return request.match_info["Sid"]


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    owner = account(request).sid
    configuration = form.text("SinkConfiguration")
    if configuration is not None and form.text("SinkType") == domain.DELIVERED_TYPE:
        destination = domain.webhook_configuration(configuration)["destination"]
        await check_target(request, "SinkConfiguration.destination", destination, InvalidParameter)
    sink = await database(request).write(
        domain.create_sink, owner, form.text("Description"), form.text("SinkType"), configuration
    )
    return json_response(sink_json(sink, base_url(request)), 201)


async def fetch(request: web.Request) -> web.Response:
    sink = await database(request).read(_sink, account(request).sid, _sid(request), request.path)
    return json_response(sink_json(sink, base_url(request)))


async def update(request: web.Request) -> web.Response:
    description = (await read_form(request)).text("Description")
    owner, sid = account(request).sid, _sid(request)

    def work(conn: Connection) -> Sink:
        return domain.update_sink(conn, _sink(conn, owner, sid, request.path), description)

    sink = await database(request).write(work)
    return json_response(sink_json(sink, base_url(request)))


async def delete(request: web.Request) -> web.Response:
    owner, sid = account(request).sid, _sid(request)

    def work(conn: Connection) -> None:
        domain.delete_sink(conn, _sink(conn, owner, sid, request.path))

    await database(request).write(work)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    in_use, status = query.boolean("InUse"), query.text("Status")

    def fetch_page(conn: Connection, account_sid: str, page: PageRequest) -> Page:
        return store.list_sinks(conn, account_sid, page, in_use=in_use, status=status)

    filters = {name: value for name in ("InUse", "Status") if (value := query.text(name))}
    return await list_in_account(
        request, "sinks", "Sinks", page_request, fetch_page, sink_json, filters
    )


async def sink_test(request: web.Request) -> web.Response:
    """POST /v1/Sinks/{Sid}/Test: a test event is queued to the sink."""
    owner, sid = account(request).sid, _sid(request)

    def work(conn: Connection) -> str:
        return domain.send_test_event(conn, _sink(conn, owner, sid, request.path))

    result = await database(request).write(work)
    return json_response({"result": result}, 201)


async def sink_validate(request: web.Request) -> web.Response:
    """POST /v1/Sinks/{Sid}/Validate with the TestId the test event carried."""
    test_id = (await read_form(request)).text("TestId")
    owner, sid = account(request).sid, _sid(request)

    def work(conn: Connection) -> str:
        return domain.validate_sink(_sink(conn, owner, sid, request.path), test_id)

    result = await database(request).read(work)
    return json_response({"result": result}, 201)
