"""Reset, a chinwag extension outside Twilio's namespace: POST /chinwag/v1/Reset.

Empties the caller's account in one transaction (domain/reset.py), so a test can
start from a clean slate without a new account; answers 204.
"""

from aiohttp import web

from chinwag.domain.reset import reset_account
from chinwag.request_context import database
from chinwag.resources.common import account


async def reset(request: web.Request) -> web.Response:
    await database(request).write(reset_account, account(request).sid)
    return web.Response(status=204)
