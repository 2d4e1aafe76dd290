"""What the Webhooks configuration API's resources (shared_keys.py, webhook_settings.py,
webhook_rules.py) share on the wire: JSON bodies in, token-paged lists out.

The API is Twilio's on webhooks.twilio.com/v1/Webhooks; chinwag serves its paths beside
Conversations' (they do not meet), so `client.webhooks.base_url` points at chinwag as
`client.conversations.base_url` does. Its errors are RFC 9457 problem details
(twilio/errors/webhook_configuration.py).
"""

from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.request_context import database, read_query
from chinwag.resources.common import account, json_response
from chinwag.twilio.errors import ValidationFailed
from chinwag.twilio.json_bodies import JsonBody
from chinwag.twilio.pagination import Page, PageRequest
from chinwag.twilio.token_pagination import parse_token_page, token_page

JSON = "application/json"


async def read_body(request: web.Request) -> JsonBody:
    """The request's JSON object: twilio-python and twilio-node send `application/json`."""
    raw = await request.read()
    if raw.strip() and request.content_type != JSON:
        raise ValidationFailed(f"The request body must be {JSON}, not {request.content_type}.")
    return JsonBody.parse(raw)


async def token_list(
    request: web.Request,
    key: str,
    fetch_page: Callable[[Connection, str, PageRequest], Page],
    item_json: Callable[[Any], dict[str, Any]],
) -> web.Response:
    """A page of the account's `key` (sharedKeys, settings, rules, operations)."""
    page_request = parse_token_page(read_query(request))
    page = await database(request).read(fetch_page, account(request).sid, page_request)
    items = [item_json(row) for row in page.rows]
    return json_response(token_page(key, items, page_request, page))
