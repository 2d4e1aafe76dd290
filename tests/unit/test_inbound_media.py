"""Inbound `MediaUrl` fetches follow redirects one hop at a time, each hop held to the
URL rule and the --deny-private-targets guard (`_download`'s `hop_check`), against a real
local server whose routes redirect."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import pytest
from aiohttp import web

from chinwag.delivery.target_guard import DeniedTarget
from chinwag.operations.inbound import MAX_REDIRECTS, _download
from chinwag.twilio.errors import InvalidParameter

T = TypeVar("T")


def redirect(to: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPFound(to)

    return handler


async def picture(request: web.Request) -> web.Response:
    return web.Response(body=b"\x89PNG", content_type="image/png")


async def loop(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"/loop?n={int(request.query.get('n', '0')) + 1}")


def refuse_private(url: str) -> None:
    if "/private" in url:
        raise DeniedTarget("10.0.0.1 is a private address")


def fetch(path: str) -> bytes:
    """`_download` of `path` on a local server, with `refuse_private` as its guard."""

    async def run() -> bytes:
        app = web.Application()
        app.router.add_get("/start", redirect("/picture.png"))
        app.router.add_get("/to-private", redirect("/private/picture.png"))
        app.router.add_get("/to-ftp", redirect("ftp://files.example.test/picture.png"))
        app.router.add_get("/picture.png", picture)
        app.router.add_get("/private/picture.png", picture)
        app.router.add_get("/loop", loop)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{port}{path}"
                return (await _download(session, url, refuse_private)).content
        finally:
            await runner.cleanup()

    return asyncio.run(run())


def test_a_redirect_is_followed_to_the_file() -> None:
    assert fetch("/start") == b"\x89PNG"


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/to-private", "refused by --deny-private-targets"),
        ("/to-ftp", "redirects to 'ftp://files.example.test/picture.png', which is not"),
        ("/loop", f"redirects more than {MAX_REDIRECTS} times"),
    ],
)
def test_each_hop_of_a_redirect_is_held_to_the_rules(path: str, said: str) -> None:
    with pytest.raises(InvalidParameter, match=said.replace("(", r"\(").replace(")", r"\)")):
        fetch(path)
