"""Event Streams' catalogue: /v1/Types, /v1/Schemas/{Id} and its Versions, the same for
every account; and chinwag's own /chinwag/v1/EventSchemas/{Id}/{SchemaVersion}, the JSON
schema a version's `raw` URL points at (Twilio's is events-schemas.twilio.com).
"""

from typing import Any

from aiohttp import web

from chinwag.domain import event_types
from chinwag.domain.event_schemas import LATEST_VERSION, VERSIONS, data_schema
from chinwag.domain.event_types import PUBLISHED, EventType
from chinwag.request_context import base_url, read_query
from chinwag.resources.common import json_response, list_response
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import parse_integer
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 1000  # spec: PageSize maximum 1000
AVAILABLE = "available"  # "the Event Type can be used normally" (spec, `status`)


def type_json(event_type: EventType, base: str) -> dict[str, Any]:
    return {
        "date_created": to_json(PUBLISHED),
        "date_updated": to_json(PUBLISHED),
        "type": event_type.type,
        "schema_id": event_type.schema_id,
        "status": AVAILABLE,
        "documentation_url": None,
        "description": event_type.description,
        "url": f"{base}/v1/Types/{event_type.type}",
        "links": {"schema": f"{base}/v1/Schemas/{event_type.schema_id}/Versions"},
    }


def version_json(schema_id: str, version: int, base: str) -> dict[str, Any]:
    return {
        "id": schema_id,
        "schema_version": version,
        "date_created": to_json(PUBLISHED),
        "url": f"{base}/v1/Schemas/{schema_id}/Versions/{version}",
        "raw": f"{base}/chinwag/v1/EventSchemas/{schema_id}/{version}",
    }


def page_of(items: list[Any], request: PageRequest) -> Page:
    """One page of a list held in memory; an item's position (from 1) is its cursor id."""
    numbered = list(enumerate(items, start=1))
    if request.before_id is not None:
        earlier = [pair for pair in numbered if pair[0] < request.before_id]
        chosen = earlier[-request.size :]
        has_previous, has_next = len(earlier) > request.size, True
    else:
        start = request.after_id if request.after_id is not None else request.offset
        chosen = numbered[start : start + request.size]
        has_previous, has_next = start > 0, len(numbered) > start + request.size
    return Page(
        rows=[item for _, item in chosen],
        first_id=chosen[0][0] if chosen else None,
        last_id=chosen[-1][0] if chosen else None,
        has_next=has_next and bool(chosen),
        has_previous=has_previous and bool(chosen),
    )


async def list_types(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    schema_id = query.text("SchemaId")
    chosen = [t for t in event_types.EVENT_TYPES if schema_id in (None, t.schema_id)]
    page = page_of(chosen, page_request)
    base = base_url(request)
    return list_response(
        "types",
        [type_json(event_type, base) for event_type in page.rows],
        f"{base}/v1/Types",
        page_request,
        page,
        {"SchemaId": schema_id} if schema_id else None,
    )


async def fetch_type(request: web.Request) -> web.Response:
    found = event_types.BY_TYPE.get(request.match_info["Type"])
    if found is None:
        raise ResourceNotFound.for_path(request.path)
    return json_response(type_json(found, base_url(request)))


def _schema_id(request: web.Request) -> str:
    schema_id = request.match_info["Id"]
    if schema_id not in event_types.SCHEMA_IDS:
        raise ResourceNotFound.for_path(request.path)
    return schema_id


def _version(request: web.Request, name: str) -> int:
    version = parse_integer(request.match_info[name])
    if version not in VERSIONS:
        raise ResourceNotFound.for_path(request.path)
    return version


async def fetch_schema(request: web.Request) -> web.Response:
    schema_id, base = _schema_id(request), base_url(request)
    return json_response(
        {
            "id": schema_id,
            "url": f"{base}/v1/Schemas/{schema_id}",
            "links": {"versions": f"{base}/v1/Schemas/{schema_id}/Versions"},
            "latest_version_date_created": to_json(PUBLISHED),
            "latest_version": LATEST_VERSION,
        }
    )


async def list_versions(request: web.Request) -> web.Response:
    schema_id, base = _schema_id(request), base_url(request)
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    page = page_of(list(VERSIONS), page_request)
    return list_response(
        "schema_versions",
        [version_json(schema_id, version, base) for version in page.rows],
        f"{base}/v1/Schemas/{schema_id}/Versions",
        page_request,
        page,
    )


async def fetch_version(request: web.Request) -> web.Response:
    schema_id = _schema_id(request)
    version = _version(request, "SchemaVersion")
    return json_response(version_json(schema_id, version, base_url(request)))


async def raw_schema(request: web.Request) -> web.Response:
    """The JSON schema of a version: what each event's `data` validates against."""
    return json_response(data_schema(_schema_id(request), _version(request, "SchemaVersion")))
