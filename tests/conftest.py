"""Shared fixtures: chinwag served in-process or as `chinwag serve`, raw HTTP, twilio-python.

Most tests drive the real application in this process (`AppServer`: the same
`build_app`, worker and timers, over real HTTP) and start in milliseconds; the
`chinwag serve` subprocess (`LiveServer`) is kept for what only a process shows:
the wire as `serve` answers it, start-up, signals, crashes, the CLI, log output,
and several processes on one database.
"""

import gc
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.rest import Client

from chinwag.domain.accounts import create_account
from chinwag.testing import LiveServer, Server, WebhookReceiver, twilio_client
from tests.databases import ENGINES, Databases, EngineDatabases, on_database
from tests.inprocess import AppServer

# A `slow` test (tens of seconds) weighs as many short ones.
SLOW_WEIGHT = 50


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by engine
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The `slow` tests first, heaviest first, each followed by a short one; then the rest
    in pytest's order, each engine's together.

    pytest-xdist hands the tests out in this order to whichever worker is free, so
    the slow tests start early and the short ones fill in around them instead of a
    worker waiting out a slow test at the end. A worker switches engines at a cost of
    milliseconds (each engine's databases last the session: `EngineDatabases`).
    """

    def weight(item: pytest.Item) -> int:
        marker = item.get_closest_marker("slow")
        return SLOW_WEIGHT * (int(marker.args[0]) if marker.args else 1) if marker else 1

    shared = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if shared:  # pytest-xdist would run one test of each such id and report success
        raise pytest.UsageError(f"tests share a node id: {shared[:3]}")
    slow = sorted((item for item in items if item.get_closest_marker("slow")), key=weight)
    short = [item for item in items if not item.get_closest_marker("slow")]
    ordered: list[pytest.Item] = []
    for first in reversed(slow):
        ordered += [first, *short[:1]]
        short = short[1:]
    items[:] = ordered + short


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the imports and the collection made lives as long as the session: keep it out
    of every later garbage collection (the tests' own, and the five full ones pytest runs
    at the end to report unraisable exceptions, which scanned it all each time)."""
    gc.collect()
    gc.freeze()


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "the condition") -> Any:
    """`check()`'s first true value, polled every 50 ms; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def loopback_session(auth: tuple[str, str] | None = None) -> requests.Session:
    """A session for a server on this machine: no proxy or .netrc from the environment,
    which requests would otherwise look up on every request."""
    session = requests.Session()
    session.trust_env = False
    session.auth = auth
    return session


class Api:
    """Raw HTTP against a server, for what twilio-python cannot send or hides."""

    def __init__(self, server: Server, auth: tuple[str, str] | None = None) -> None:
        self.base = server.url
        self.session = loopback_session(auth or (server.account_sid, server.auth_token))

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        return self.session.request(method, url, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, data=data, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The database engine under test: every test that uses a server runs on each."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def databases_by_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineDatabases]:
    by_engine = EngineDatabases(tmp_path_factory.mktemp("databases"))
    try:
        yield by_engine
    finally:
        by_engine.stop()


@pytest.fixture(scope="session")
def databases(engine: str, databases_by_engine: EngineDatabases) -> Databases:
    return databases_by_engine[engine]


@pytest.fixture
def database_url(databases: Databases) -> Iterator[str]:
    """A fresh database of the engine under test, for a server of the test's own."""
    url = databases.new()
    yield url
    databases.drop(url)


@pytest.fixture
def empty_database_url(databases: Databases) -> Iterator[str]:
    """A fresh database without chinwag's schema (for migration tests)."""
    url = databases.new(migrated=False)
    yield url
    databases.drop(url)


# The shared in-process server and what talks to it: most tests use these.


@pytest.fixture(scope="session")
def app_server(databases: Databases) -> Iterator[AppServer]:
    """The shared in-process server of the session, on the engine under test."""
    server = AppServer(databases.new()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(app_server: AppServer) -> Api:
    return Api(app_server)


@pytest.fixture
def client(app_server: AppServer) -> Client:
    return twilio_client(app_server)


@pytest.fixture
def webhook_receiver(app_server: AppServer) -> Iterator[WebhookReceiver]:
    """A receiver that checks signatures with `app_server`'s auth token (overrides the plugin's)."""
    with receiver_for(app_server) as receiver:
        yield receiver


@pytest.fixture
def fresh_app(database_url: str) -> Iterator[AppServer]:
    """An in-process server of the test's own, for tests that change or fill it."""
    server = AppServer(database_url).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def app_and_receiver(
    database_url: str, **settings: Any
) -> Iterator[tuple[AppServer, WebhookReceiver]]:
    """An in-process server of its own with `settings` (Settings fields, as `serve`'s options
    would set them), and a receiver that checks its signatures.

    "{receiver}" in a text setting stands for the receiver's base URL.
    """
    server = AppServer(database_url)
    receiver = WebhookReceiver(server.auth_token).start()
    given: dict[str, Any] = {
        name: value.replace("{receiver}", receiver.url) if isinstance(value, str) else value
        for name, value in settings.items()
    }
    server.settings = replace(server.settings, **given)
    try:
        server.start()
        yield server, receiver
    finally:
        server.stop()
        receiver.stop()


@contextmanager
def receiver_for(server: Server) -> Iterator[WebhookReceiver]:
    """A receiver that checks signatures with `server`'s auth token."""
    receiver = WebhookReceiver(server.auth_token).start()
    try:
        yield receiver
    finally:
        receiver.stop()


# `chinwag serve` subprocesses, for what only a process shows.


@pytest.fixture(scope="session")
def chinwag_server(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The shared `chinwag serve` of the session, on the engine under test (overrides the
    plugin's)."""
    log = tmp_path_factory.mktemp("session") / "chinwag.log"
    server = LiveServer(databases.new(), log_path=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_api(chinwag_server: LiveServer) -> Api:
    """Raw HTTP against the shared `chinwag serve`."""
    return Api(chinwag_server)


@pytest.fixture
def fresh_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A `chinwag serve` of the test's own, for tests that stop, restart or signal it."""
    server = LiveServer(database_url, log_path=tmp_path / "chinwag.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def server_and_receiver(
    database_url: str, *extra_args: str
) -> Iterator[tuple[LiveServer, WebhookReceiver]]:
    """A `chinwag serve` of its own with `extra_args`, and a receiver that checks its signatures.

    "{receiver}" in an argument stands for the receiver's base URL.
    """
    server = LiveServer(database_url)
    receiver = WebhookReceiver(server.auth_token).start()
    server.extra_args = [arg.replace("{receiver}", receiver.url) for arg in extra_args]
    server.start()
    try:
        yield server, receiver
    finally:
        server.stop()
        receiver.stop()


def other_account(server: LiveServer | AppServer) -> Api:
    """An Api for a second account, made in the server's database as `chinwag accounts create`
    does (test_auth.py runs that command itself)."""
    account = on_database(server.database_url, lambda conn: create_account(conn, "intruder"))
    return Api(server, (account.sid, account.auth_token))


def cli_account(server: LiveServer | AppServer, *args: str) -> tuple[str, str]:
    """The (SID, auth token) `chinwag accounts create` prints."""
    output = server.cli("accounts", "create", *args)
    sid = re.search(r"TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})", output)
    token = re.search(r"TWILIO_AUTH_TOKEN=(\S+)", output)
    assert sid and token, output
    return sid.group(1), token.group(1)


def assert_twilio_error(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    assert body["message"]
    return body


__all__ = [
    "Api",
    "app_and_receiver",
    "assert_twilio_error",
    "other_account",
    "receiver_for",
    "server_and_receiver",
    "twilio_client",
]


_customers = itertools.count(1)


def customer_number() -> str:
    """A fresh E.164 number: an (address, proxy address) pair may be held by only one open
    conversation of an account, and the tests of a session share one account."""
    return f"+1555{next(_customers):07d}"
