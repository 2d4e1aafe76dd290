"""The ceiling for bench/api.py: the smallest aiohttp.web endpoint on chinwag's stack.

It answers any POST with a fixed 201 after reading the body, with no parsing,
auth, validation or storage, so its throughput bounds what chinwag could reach
with the same server library, event loop and load generator.
"""

from __future__ import annotations

import argparse

from aiohttp import web

BODY = b'{"hello": "world"}'


async def create(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=201, body=BODY, content_type="application/json")


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/{tail:.*}", create)
    app.router.add_get("/chinwag/health", health)
    return app


def serve(app: web.Application, description: str | None, argv: list[str] | None) -> None:
    """Run `app` on --host/--port, quietly (bench/receiver.py uses this too)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


def main(argv: list[str] | None = None) -> None:
    serve(make_app(), __doc__, argv)


if __name__ == "__main__":
    main()
