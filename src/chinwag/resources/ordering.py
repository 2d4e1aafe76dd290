"""chinwag's own `/chinwag/v1/OrderedDelivery/{Sid}`: whether a webhook or sink sends one
conversation's events one at a time, in order (domain/ordering.py names what `Sid` may be).

Twilio has no such setting, so its resources and their responses are left as Twilio's:
`GET` shows the flag, `POST` with `Ordered=true` or `false` sets it.
"""

from typing import Any

from aiohttp import web

from chinwag.domain import ordering as domain
from chinwag.domain.ordering import Ordering
from chinwag.request_context import base_url, database, read_form
from chinwag.resources.common import account, json_response
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound


def ordering_json(ordering: Ordering, base: str) -> dict[str, Any]:
    return {
        "sid": ordering.sid,
        "ordered": ordering.ordered,
        "url": f"{base}/chinwag/v1/OrderedDelivery/{ordering.sid}",
    }


async def fetch(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]
    found = await database(request).read(domain.find_ordering, account(request).sid, sid)
    if found is None:
        raise ResourceNotFound.for_path(request.path)
    return json_response(ordering_json(found, base_url(request)))


async def update(request: web.Request) -> web.Response:
    ordered = (await read_form(request)).boolean("Ordered")
    if ordered is None:
        raise InvalidParameter("Missing required parameter Ordered in the post body")
    sid = request.match_info["Sid"]
    found = await database(request).write(domain.set_ordering, account(request).sid, sid, ordered)
    if found is None:
        raise ResourceNotFound.for_path(request.path)
    return json_response(ordering_json(found, base_url(request)))
