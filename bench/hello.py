"""The ceiling for bench/api.py: the smallest aiohttp.web endpoint on chinwag's stack.

It answers any POST with a fixed 201 after reading the body, with no parsing,
auth, validation or storage, so its throughput bounds what chinwag could reach
with the same server library, event loop (chinwag's: cli/common.py
`new_event_loop`) and load generator.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket

from aiohttp import web

from chinwag.cli.common import new_event_loop

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
    """Run `app` on --host/--port, quietly (bench/receiver.py uses this too); with
    --processes N, in N processes accepting on one socket, as `chinwag serve --processes`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    if args.processes == 1:
        web.run_app(
            app, host=args.host, port=args.port, access_log=None, print=None, loop=new_event_loop()
        )
        return
    listening = socket.create_server((args.host, args.port), backlog=128)
    children = []
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            web.run_app(app, sock=listening, access_log=None, print=None, loop=new_event_loop())
            os._exit(0)
        children.append(pid)
    signal.signal(signal.SIGTERM, lambda *_: [os.kill(child, signal.SIGTERM) for child in children])
    for _ in children:
        os.wait()


def main(argv: list[str] | None = None) -> None:
    serve(make_app(), __doc__, argv)


if __name__ == "__main__":
    main()
