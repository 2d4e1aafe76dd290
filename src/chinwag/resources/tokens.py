"""chinwag's own `POST /chinwag/v1/Tokens`: an Access Token for the caller's account.

What an app's backend does with twilio-python's `AccessToken`, as one request: a test,
the pytest plugin (`LiveServer.access_token`) or a front-end dev server gets a token
for `new Client(token)` with the credentials it already has (Basic auth). Minting is
domain/access_tokens.py; docs/client-sdk.md, "Tokens".
"""

from aiohttp import web

from chinwag.domain.access_tokens import DEFAULT_TTL, MAX_LIFETIME, issue_access_token
from chinwag.request_context import database, read_form
from chinwag.resources.common import account, json_response
from chinwag.twilio.dates import to_json, utc_now
from chinwag.twilio.errors import InvalidParameter


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    identity = form.text("Identity")
    if not identity:
        raise InvalidParameter("Identity is required.")
    ttl = form.integer("Ttl", 1, int(MAX_LIFETIME.total_seconds()))
    issued = await database(request).write(
        issue_access_token,
        account(request).sid,
        identity,
        utc_now(),
        service_sid=form.text("ChatServiceSid"),
        ttl=DEFAULT_TTL if ttl is None else ttl,
        key_sid=form.text("ApiKeySid"),
    )
    grant = issued.grant
    body = {
        "token": issued.token,
        "identity": grant.identity,
        "account_sid": grant.account_sid,
        "api_key_sid": grant.api_key_sid,
        "chat_service_sid": grant.chat_service_sid,
        "expires_at": to_json(grant.expires_at),
    }
    return json_response(body, 201)
