"""Shared fixtures: raw HTTP access to the live server, next to the twilio-python client."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.rest import Client

from chinwag.testing import LiveServer, WebhookReceiver, twilio_client
from tests.databases import ENGINES, Databases, PostgresServer


class Api:
    """Raw HTTP against the live server, for what twilio-python cannot send or hides."""

    def __init__(self, server: LiveServer, auth: tuple[str, str] | None = None) -> None:
        self.base = server.url
        self.session = requests.Session()
        self.session.auth = auth or server.auth

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        return self.session.request(method, url, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, data=data, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(chinwag_server: LiveServer) -> Api:
    return Api(chinwag_server)


@pytest.fixture
def client(chinwag_client: Client) -> Client:
    return chinwag_client


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The database engine under test: every test that uses a server runs on each."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def databases(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    postgres = PostgresServer() if engine == "postgresql" else None
    try:
        yield Databases(engine, tmp_path_factory.mktemp(engine), postgres)
    finally:
        if postgres is not None:
            postgres.stop()


@pytest.fixture
def database_url(databases: Databases) -> str:
    """A fresh database of the engine under test, for a server of the test's own."""
    return databases.new()


@pytest.fixture
def empty_database_url(databases: Databases) -> str:
    """A fresh database without chinwag's schema (for migration tests)."""
    return databases.new(migrated=False)


@pytest.fixture(scope="session")
def chinwag_server(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The shared server of the session, on the engine under test (overrides the plugin's)."""
    log = tmp_path_factory.mktemp("session") / "chinwag.log"
    server = LiveServer(databases.new(), log_path=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server of the test's own, for tests that stop, restart or fill it."""
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
    """A server of its own with `extra_args`, and a receiver that checks its signatures.

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


__all__ = ["Api", "assert_twilio_error", "server_and_receiver", "twilio_client"]
