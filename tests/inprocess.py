"""chinwag's real application served in the test process, for tests a subprocess adds nothing to.

`AppServer` runs `build_app(Settings(...), open_database(url))` on a background thread's
event loop behind an aiohttp `TCPSite` on 127.0.0.1, so clients (twilio-python,
requests) and the `WebhookReceiver` still talk to it over real HTTP, and its worker
and timers run as in `chinwag serve`. It starts in milliseconds instead of the
second or two a `chinwag serve` subprocess takes. What only a process can show
(signals, exit codes, the CLI, log output, several processes on one database) stays
with `chinwag.testing.LiveServer`.
"""

import asyncio
import os
import secrets
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy import Connection

from chinwag.app import build_app
from chinwag.config import Settings
from chinwag.domain.accounts import ensure_account
from chinwag.launcher import run
from chinwag.store.database import Database, open_database
from chinwag.twilio import sids

T = TypeVar("T")
START_TIMEOUT = 30.0
# Shutdown waits for the worker's batch in flight, which may include a 5-second timeout.
STOP_TIMEOUT = 30.0


class AppServer:
    """The app on 127.0.0.1 in this process, with known credentials and its own database.

    Quacks like `LiveServer` where tests use it (`url`, `auth`, `account_sid`,
    `auth_token`, `database_url`, `start`, `stop`, `restart`, `cli`); `settings`
    stands in for `serve`'s command-line options and may be changed between a stop
    and a start. The port stays the same across restarts.
    """

    def __init__(self, database_url: str, settings: Settings | None = None) -> None:
        self.database_url = database_url
        self.settings = replace(settings or Settings(), database_url=database_url)
        self.account_sid = sids.new_sid(sids.ACCOUNT)
        self.auth_token = secrets.token_hex(16)
        self.port = 0  # chosen by the system at the first start, kept after
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._database: Database | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.account_sid, self.auth_token)

    @property
    def running(self) -> bool:
        return self._runner is not None

    def start(self) -> "AppServer":
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._serve, args=(loop,), daemon=True)
        self._thread.start()
        try:
            self._runner = self._run(self._start(), START_TIMEOUT)
        except BaseException:
            self._end_loop()
            raise
        return self

    def stop(self) -> None:
        """Stop as `chinwag serve` does on SIGTERM: the worker finishes its batch in flight."""
        if self._runner is None:
            return
        try:
            self._run(self._runner.cleanup(), STOP_TIMEOUT)
        finally:
            self._runner = self._database = None  # the app closed its database
            self._end_loop()

    def restart(self, **settings: Any) -> None:
        """Stop, apply `settings` (Settings fields), start again on the same database and port."""
        self.stop()
        self.settings = replace(self.settings, **settings)
        self.start()

    def read(self, work: Callable[[Connection], T]) -> T:
        """`work` in a read transaction of the server's own database handle, on its loop."""
        assert self._database is not None, "not started"
        return self._run(self._database.read(work), STOP_TIMEOUT)

    def cli(self, *args: str) -> str:
        """Run a `chinwag` sub-command against this server's database; returns its output."""
        done = run([*args, "--database", self.database_url], os.environ, timeout=60)
        done.check_returncode()
        return done.stdout

    def _end_loop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(STOP_TIMEOUT)
        self._loop, self._thread = None, None

    async def _start(self) -> web.AppRunner:
        # What `chinwag serve` does before it serves: the account named by TWILIO_* exists.
        database = open_database(self.database_url, self.settings.database_pool_size)
        self._database = database
        await database.write(ensure_account, self.account_sid, self.auth_token)
        runner = web.AppRunner(build_app(self.settings, database), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        return runner

    def _run(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
