"""`chinwag serve --processes N`: N server processes on one port, to use every core.

The parent binds the listening socket and forks N servers that all accept on it: the
kernel hands each new connection to one of them. They share the database as separate
`chinwag serve` processes do (docs/deploy.md); the first alone runs the delivery worker
(with --worker), so one worker set delivers whatever the number of servers. The parent
serves nothing: on SIGTERM or SIGINT it tells each server SIGTERM once (they are in a
process group of their own, so a terminal's Ctrl-C does not reach them twice, which
would cut their graceful stop short), waits, and if a server dies stops the others and
exits with an error, so that a supervisor sees the failure. A server whose parent is
gone (killed outright) stops itself.
"""

import asyncio
import contextlib
import os
import signal
import socket
import sys
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from functools import partial
from types import FrameType

from aiohttp import web
from sqlalchemy.engine import make_url

from chinwag.app import build_app
from chinwag.cli.common import new_event_loop, tune_garbage_collector
from chinwag.config import Settings
from chinwag.store.database import UnsupportedDatabase, engine_url, open_database
from chinwag.store.sqlite_file import database_file

# Connections the kernel queues before the servers accept them (aiohttp's own default).
BACKLOG = 128
ORPHAN_CHECK = 1.0  # seconds between a server's looks at whether its parent still runs


def shared_between_processes(database_url: str) -> bool:
    """Whether processes can share the database: PostgreSQL, or an SQLite file."""
    try:
        url = engine_url(database_url)
    except UnsupportedDatabase:
        return True  # opening it says what is wrong
    return make_url(url).get_backend_name() != "sqlite" or database_file(url) is not None


def serve_processes(settings: Settings, processes: int, announce: Callable[[], None]) -> None:
    family = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)[0][0]
    listening = socket.create_server((settings.host, settings.port), family=family, backlog=BACKLOG)
    children = [_fork_server(settings, number, listening) for number in range(processes)]
    listening.close()
    announce()
    stopping = False

    def stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            _signal(pid, signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    failed = False
    while children:
        pid, _ = os.wait()
        if pid not in children:
            continue
        children.remove(pid)
        if not stopping:  # a server died on its own
            failed = True
            stop(signal.SIGTERM, None)
    sys.exit(1 if failed else 0)


def _fork_server(settings: Settings, number: int, listening: socket.socket) -> int:
    pid = os.fork()
    if pid:
        return pid
    os.setpgid(0, 0)
    code = 0
    try:
        mine = replace(settings, run_worker=settings.run_worker and number == 0)
        app = build_app(mine, open_database(mine.database_url, mine.database_pool_size))
        app.cleanup_ctx.append(partial(_stop_when_orphaned, os.getppid()))
        tune_garbage_collector()
        web.run_app(
            app,
            sock=listening,
            loop=new_event_loop(),
            print=None,
            access_log=None,
            shutdown_timeout=mine.shutdown_grace,
        )
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


async def _stop_when_orphaned(parent: int, app: web.Application) -> AsyncIterator[None]:
    async def watch() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(ORPHAN_CHECK)
        os.kill(os.getpid(), signal.SIGTERM)

    watching = asyncio.create_task(watch())
    yield
    watching.cancel()


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has exited already
        os.kill(pid, signum)
