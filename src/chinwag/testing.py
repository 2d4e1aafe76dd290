"""pytest plugin: a live chinwag server, a twilio-python client pointed at it, a webhook receiver.

Registered through the `pytest11` entry point, so any project that installs chinwag
gets the fixtures:

    def test_my_bot(chinwag_client):
        conversation = chinwag_client.conversations.v1.conversations.create()

`chinwag_server` is one server per test session on a free port with a fresh
SQLite file; `LiveServer` can also be used directly to start more. `chinwag_client`
empties the server's account first (`POST /chinwag/v1/Reset`), so no test sees
another's conversations, users, webhooks or deliveries. `wait_for_push` finds a push
notification chinwag recorded where Twilio would have pushed.
"""

import base64
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from chinwag.launcher import Launched, launch, run
from chinwag.twilio import sids

if TYPE_CHECKING:  # twilio is a test dependency, imported when a client is asked for
    from twilio.rest import Client

STARTUP_TIMEOUT = 20.0
# Seconds between looks at /chinwag/health while a server starts: a refused connect
# costs well under a millisecond, and a start is over in a few hundred.
HEALTH_POLL = 0.01
PUSH_POLL = 0.05  # seconds between looks at the recorded pushes while waiting for one


class Server(Protocol):
    """What a client needs of a running chinwag: where it listens, and the account's credentials.

    `LiveServer` is one; so is anything else that serves chinwag's API.
    """

    account_sid: str
    auth_token: str

    @property
    def url(self) -> str: ...


Params = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any  # the decoded JSON; the text of an answer that is not JSON; None if empty (204)


def chinwag_request(
    server: Server, method: str, path: str, params: Params | None = None
) -> ApiResponse:
    """One request as the server's account, e.g. to chinwag's own API (`/chinwag/v1/...`).

    `params` go in the form body of a POST and in the query string otherwise; repeat
    a name by giving (name, value) pairs. An error answer is returned, not raised.
    """
    query = urlencode(params or {}, doseq=False)
    url = f"{server.url}{path}"
    data = query.encode() if method == "POST" else None
    if method != "POST" and query:
        url += ("&" if "?" in url else "?") + query
    request = urllib.request.Request(url, data=data, method=method)
    login = base64.b64encode(f"{server.account_sid}:{server.auth_token}".encode()).decode()
    request.add_header("Authorization", f"Basic {login}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if not raw:
        return ApiResponse(status, None)
    try:
        return ApiResponse(status, json.loads(raw))
    except ValueError:  # e.g. aiohttp's own 404 for a path chinwag does not serve
        return ApiResponse(status, raw.decode("utf-8", "replace"))


def reset(server: Server) -> None:
    """Empty the server's account (`POST /chinwag/v1/Reset`): a clean slate for a test."""
    answer = chinwag_request(server, "POST", "/chinwag/v1/Reset")
    if answer.status != 204:
        raise RuntimeError(f"chinwag's Reset answered {answer.status}: {answer.body}")


def access_token(
    server: Server, identity: str, service_sid: str | None = None, ttl: int | None = None
) -> str:
    """An Access Token for `identity` in the server's account (`POST /chinwag/v1/Tokens`),
    for `new Client(token)` of @twilio/conversations; the default service if none given."""
    params = {"Identity": identity}
    if service_sid is not None:
        params["ChatServiceSid"] = service_sid
    if ttl is not None:
        params["Ttl"] = str(ttl)
    answer = chinwag_request(server, "POST", "/chinwag/v1/Tokens", params)
    if answer.status != 201:
        raise RuntimeError(f"chinwag's Tokens answered {answer.status}: {answer.body}")
    token: str = answer.body["token"]
    return token


def every_page(
    server: Server, path: str, filters: Mapping[str, str | None], key: str
) -> list[dict[str, Any]]:
    """Every item of a chinwag list, following its `next_page_url`s; None filters are left out."""
    items: list[dict[str, Any]] = []
    given = {name: value for name, value in filters.items() if value is not None}
    following: str | None = f"{path}?{urlencode(given)}"
    while following:
        answer = chinwag_request(server, "GET", following)
        if answer.status != 200:
            raise RuntimeError(f"chinwag's {path} answered {answer.status}: {answer.body}")
        items += answer.body[key]
        next_url = answer.body["meta"]["next_page_url"]
        following = next_url.removeprefix(server.url) if next_url else None
    return items


def pushes(server: Server, service_sid: str, identity: str | None = None) -> list[dict[str, Any]]:
    """The push notifications chinwag recorded in a service where Twilio would have pushed
    (`GET /chinwag/v1/Services/{ChatServiceSid}/Pushes`), newest first, each with its
    FCM or APNs `payload`; `identity` keeps one user's."""
    path = f"/chinwag/v1/Services/{service_sid}/Pushes"
    return every_page(server, path, {"Identity": identity}, "pushes")


def wait_for_push(
    server: Server, service_sid: str, timeout: float = 10.0, **wanted: str
) -> dict[str, Any]:
    """The newest push recorded in the service whose fields have the `wanted` values
    (`identity="bob"`, `message_type="new_message"`, `binding_type="apn"`,
    `conversation_sid=...`), waiting up to `timeout` seconds for it; an AssertionError
    listing what was recorded otherwise.

    A push is recorded in the transaction of its change, so one made through the REST API
    is there when the call returns; waiting is for changes made elsewhere (an SDK client,
    a `chinwag inbound` run)."""
    deadline = time.monotonic() + timeout
    while True:
        recorded = pushes(server, service_sid, wanted.get("identity"))
        for push in recorded:
            if all(push.get(name) == value for name, value in wanted.items()):
                return push
        if time.monotonic() > deadline:
            seen = [(p["identity"], p["message_type"], p["binding_type"]) for p in recorded]
            raise AssertionError(f"no push with {wanted} in {service_sid}; recorded: {seen}")
        time.sleep(PUSH_POLL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """`chinwag serve` in a process of its own (forked with its imports done,
    `chinwag.launcher`), with known credentials and its own database.

    `database` is a SQLite file path (its log goes beside it) or a database URL
    (give `log_path`, or the log goes to a temporary file).
    """

    def __init__(
        self, database: Path | str, port: int | None = None, log_path: Path | None = None
    ) -> None:
        self.database_url = database if isinstance(database, str) else f"sqlite:///{database}"
        self.port = port or free_port()
        self.account_sid = sids.new_sid(sids.ACCOUNT)
        self.auth_token = secrets.token_hex(16)
        self.process: Launched | None = None
        if log_path is None and isinstance(database, Path):
            log_path = database.with_suffix(".log")
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="chinwag-", suffix=".log")
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self.extra_args: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.account_sid, self.auth_token)

    def start(self) -> None:
        env = {
            **os.environ,
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
        }
        args = ["serve", "--port", str(self.port), "--database", self.database_url]
        self.process = launch([*args, *self.extra_args], env, self.log_path)
        try:
            self._wait_until_healthy()
        except BaseException:
            # Not left running: its fixture never yields, so nothing else would stop it (and
            # its Popen, collected during a later test, fails that test with a ResourceWarning).
            self.process.kill()
            self.process.wait()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"chinwag exited at start; see {self.log_path}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/chinwag/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(HEALTH_POLL)
        raise RuntimeError(f"chinwag did not become healthy in {STARTUP_TIMEOUT}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the server with `sig` and return its exit code."""
        if self.process is None:
            return 0
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str) -> str:
        """Run a `chinwag` sub-command against this server's database; returns its output."""
        done = run([*args, "--database", self.database_url], os.environ, timeout=60)
        done.check_returncode()
        return done.stdout

    def request(self, method: str, path: str, params: Params | None = None) -> ApiResponse:
        """One request as this server's account (see `chinwag_request`)."""
        return chinwag_request(self, method, path, params)

    def reset(self) -> None:
        """Empty this server's account: everything but the account, its keys and its
        default service (emptied) goes, in one transaction."""
        reset(self)

    def access_token(
        self, identity: str, service_sid: str | None = None, ttl: int | None = None
    ) -> str:
        """An Access Token for `identity` in this server's account (see `access_token`)."""
        return access_token(self, identity, service_sid, ttl)

    def inbound(self, from_: str, to: str, body: str) -> dict[str, Any]:
        """A customer at `from_` writes to the business address `to` (`POST
        /chinwag/v1/Inbound`); the conversation, participant and message it reached."""
        params = {"From": from_, "To": to, "Body": body}
        answer = self.request("POST", "/chinwag/v1/Inbound", params)
        if answer.status != 201:
            raise RuntimeError(f"chinwag's Inbound answered {answer.status}: {answer.body}")
        received: dict[str, Any] = answer.body
        return received

    def outbound(self, to: str | None = None) -> list[dict[str, Any]]:
        """What SMS/WhatsApp customers received (`GET /chinwag/v1/Outbound`), newest first;
        `to` keeps one customer's."""
        return every_page(self, "/chinwag/v1/Outbound", {"To": to}, "messages")

    def pushes(self, service_sid: str, identity: str | None = None) -> list[dict[str, Any]]:
        """The push notifications recorded in a service (see `pushes`)."""
        return pushes(self, service_sid, identity)

    def wait_for_push(
        self, service_sid: str, timeout: float = 10.0, **wanted: str
    ) -> dict[str, Any]:
        """The newest recorded push with the `wanted` fields (see `wait_for_push`)."""
        return wait_for_push(self, service_sid, timeout, **wanted)


@pytest.fixture(scope="session")
def chinwag_server() -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="chinwag-") as directory:
        server = LiveServer(Path(directory) / "chinwag.db")
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def chinwag_client(chinwag_server: LiveServer) -> "Client":
    """A twilio-python client on `chinwag_server`'s account, emptied first: each test
    starts from a clean slate, whatever the tests before it made."""
    chinwag_server.reset()
    return twilio_client(chinwag_server)


def twilio_client(
    server: Server, username: str | None = None, password: str | None = None
) -> "Client":
    """A twilio-python client whose Conversations, Events and Webhooks configuration
    requests go to `server`."""
    from twilio.rest import Client

    client = Client(
        username or server.account_sid, password or server.auth_token, server.account_sid
    )
    client.conversations.base_url = server.url
    client.events.base_url = server.url  # Event Streams: Sinks, Subscriptions, Types
    client.webhooks.base_url = server.url  # Webhooks configuration: SharedKeys, Settings, Rules
    # A server on this machine: no proxy or .netrc from the environment, and no cost of
    # looking them up on every request.
    client.http_client.session.trust_env = False
    return client


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    url: str  # as the sender addressed it, query string included
    headers: dict[str, str]
    params: list[tuple[str, str]]  # form body (POST) or query string (GET)
    signature_valid: bool
    body: str = ""  # a JSON body (an Event Streams sink's CloudEvents) as sent

    @property
    def form(self) -> dict[str, str]:
        return dict(self.params)

    @property
    def json(self) -> Any:
        """The JSON body: a sink's array of CloudEvents."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status with extra headers, or a fault instead of an answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None  # HANG or RESET below


HANG = Answer(fault="hang")  # answer nothing, until the receiver stops (past any timeout)
RESET = Answer(fault="reset")  # reset the connection (TCP RST) without answering
HANG_LIMIT = 60.0


def _parameters(
    method: str, content_type: str, url: str, body: str
) -> tuple[list[tuple[str, str]], dict[str, str] | str]:
    """A request's parameters, and what its signature is checked against: the form (POST),
    nothing more than the URL (GET), or a JSON body itself (a sink's CloudEvents, signed
    through its URL's `bodySHA256`: delivery/signing.py)."""
    if content_type.startswith("application/json"):
        return [], body
    if method == "GET":
        return parse_qsl(urlsplit(url).query, keep_blank_values=True), {}
    params = parse_qsl(body, keep_blank_values=True)
    return params, dict(params)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every request and checks its signature.

    The signature is checked with twilio-python's own `RequestValidator` and the
    account's auth token, so a pass means a real Twilio integration would accept it; a
    request signed with a shared key (X-Twilio-Webhooks-Signature-Settings) is checked
    with the secret the test put in `shared_keys` under the key's id, as such an
    integration would, and is invalid if none is there.
    Tests script how it answers: a status, 429 with Retry-After, a hang, a reset,
    per request (`answers`) or per path (`scripts`); `down()` closes its port.
    """

    def __init__(self, auth_token: str) -> None:
        from twilio.request_validator import RequestValidator

        self.requests: list[ReceivedRequest] = []
        # How to answer: tests change these to play a failing or modifying receiver.
        self.status = 200
        # Answers for the next requests, in order, after the path's own `scripts`; then `status`.
        self.answers: list[int | Answer] = []
        self.scripts: dict[str, list[int | Answer]] = {}  # by URL path, e.g. "/hook"
        self.headers: dict[str, str] = {}  # extra response headers (e.g. Retry-After)
        self.body = b""
        self.delay = 0.0
        self._validator = RequestValidator(auth_token)
        self.shared_keys: dict[str, str] = {}  # shared key id -> secret
        self._arrived = threading.Condition()
        self._released = threading.Event()  # set on stop: hanging requests end
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._port: int = self._server.server_address[1]
        self._serving = False
        self.max_in_flight = 0  # the most requests it was answering at once
        self._in_flight = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> "WebhookReceiver":
        # `shutdown()` waits for the loop's next look at its flag: every 0.05 s, not
        # socketserver's 0.5 s, which every test's teardown would wait out.
        serve = partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        self._serving = True
        return self

    def stop(self) -> None:
        self._released.set()
        self.down()

    def down(self) -> None:
        """Close the port: connections are refused until `up()`."""
        if self._serving:
            self._server.shutdown()
            self._server.server_close()
            self._serving = False
        self.max_in_flight = 0  # the most requests it was answering at once
        self._in_flight = 0

    def up(self) -> None:
        """Listen again, on the same port."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), self._handler())
        self.start()

    def _count_in_flight(self, change: int) -> None:
        with self._arrived:
            self._in_flight += change
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _next_answer(self, path: str) -> Answer:
        with self._arrived:
            script = self.scripts.get(path) or self.answers
            answer = script.pop(0) if script else self.status
        return answer if isinstance(answer, Answer) else Answer(answer, self.headers)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """The first `count` requests, waiting up to `timeout` seconds for them."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            if len(self.requests) < count:
                raise AssertionError(f"expected {count} webhook requests, got {self.requests}")
            return list(self.requests[:count])

    def _record(self, request: ReceivedRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def _signature_valid(
        self, url: str, signed: dict[str, str] | str, headers: dict[str, str]
    ) -> bool:
        from twilio.request_validator import (
            SIGNATURE_SETTINGS_HEADER,
            RequestValidator,
            get_signature_algorithm,
        )

        signature = headers.get("X-Twilio-Signature", "")
        settings = headers.get(SIGNATURE_SETTINGS_HEADER)
        if settings is None:
            return bool(self._validator.validate(url, signed, signature))
        named = dict(part.strip().partition("=")[::2] for part in settings.split(","))
        secret = self.shared_keys.get(named.get("key", ""))
        if secret is None:
            return False
        algorithm = get_signature_algorithm(settings)
        return bool(RequestValidator(secret).validate(url, signed, signature, algorithm))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _receive(self) -> None:
                receiver._count_in_flight(+1)
                try:
                    answer = self._decide()
                finally:
                    # Counted out before the answer is written: the sender may send
                    # its next request as soon as it has read this one's answer.
                    receiver._count_in_flight(-1)
                if answer is not None:
                    self._write(answer)

            def _decide(self) -> Answer | None:
                """Record the request and pick its answer; None once a fault has played."""
                url = receiver.url + self.path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                content_type = self.headers.get("Content-Type", "")
                params, signed = _parameters(self.command, content_type, url, body)
                headers = dict(self.headers.items())
                receiver._record(
                    ReceivedRequest(
                        method=self.command,
                        url=url,
                        headers=headers,
                        params=params,
                        signature_valid=receiver._signature_valid(url, signed, headers),
                        body=body if isinstance(signed, str) else "",
                    )
                )
                if receiver.delay:
                    time.sleep(receiver.delay)
                answer = receiver._next_answer(urlsplit(url).path)
                if answer.fault == HANG.fault:
                    receiver._released.wait(HANG_LIMIT)
                    return None
                if answer.fault == RESET.fault:  # linger 0: close sends RST, not FIN
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    return None
                return answer

            def _write(self, answer: Answer) -> None:
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    self.wfile.write(receiver.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test)

            do_GET = do_POST = _receive

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def webhook_receiver(chinwag_server: LiveServer) -> Iterator[WebhookReceiver]:
    """A receiver that checks signatures with `chinwag_server`'s auth token."""
    receiver = WebhookReceiver(chinwag_server.auth_token).start()
    try:
        yield receiver
    finally:
        receiver.stop()
