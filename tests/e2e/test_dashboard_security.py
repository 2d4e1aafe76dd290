"""The dashboard's own defences: its response headers, no CORS, sign-in from its own
origin only, a sign-out every server honours, and a `Secure` cookie over HTTPS."""

from collections.abc import Iterator

import pytest
import requests

from chinwag.config import Settings
from tests.conftest import Api, loopback_session
from tests.dashboard import UI, Dashboard
from tests.e2e.tenants import Tenant
from tests.inprocess import AppServer

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DASHBOARD_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_dashboard_headers(response: requests.Response, stored: bool = False) -> None:
    shown = (response.url, response.status_code)
    for name, value in DASHBOARD_HEADERS.items():
        assert response.headers.get(name) == value, (shown, name)
    if not stored:
        assert response.headers.get("Cache-Control") == "no-store", shown
    assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_pages_redirects_and_errors_carry_the_dashboard_headers_and_no_cors(
    dashboard: Dashboard, app_server: AppServer
) -> None:
    signed_out = Dashboard(app_server)
    responses = [
        dashboard.get("/"),
        dashboard.get("/deliveries"),
        dashboard.get("/configuration"),
        dashboard.get(f"/conversations/CH{'0' * 32}"),  # the dashboard's own 404 page
        dashboard.get("/no/such/page"),  # the app's 404 envelope, under the dashboard
        signed_out.get("/sign-in"),
        signed_out.get("/deliveries", allow_redirects=False),  # 303 to sign-in
        requests.get(app_server.url + "/", allow_redirects=False, timeout=10),
        requests.options(
            f"{app_server.url}{UI}/sign-in",
            headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
            timeout=10,
        ),
    ]
    for response in responses:
        assert_dashboard_headers(response)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("style.css", "text/css"), ("htmx.min.js", "javascript"), ("sse.js", "javascript")],
)
def test_static_files_carry_the_dashboard_headers_and_may_be_cached(
    app_server: AppServer, name: str, content_type: str
) -> None:
    response = requests.get(f"{app_server.url}{UI}/static/{name}", timeout=10)
    assert response.status_code == 200
    assert content_type in response.headers["Content-Type"]  # nosniff needs the right type
    assert_dashboard_headers(response, stored=True)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_an_event_stream_carries_the_dashboard_headers(dashboard: Dashboard) -> None:
    stream = dashboard.get("/deliveries/events", stream=True)
    try:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert_dashboard_headers(stream)
    finally:
        stream.close()


def test_the_api_keeps_its_cors_headers_without_credentials(api: Api) -> None:
    for response in (api.get("/v1/Services"), requests.get(api.base + "/v1/Services", timeout=10)):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert "Content-Security-Policy" not in response.headers


def post_sign_in(
    server: AppServer, credentials: tuple[str, str], headers: dict[str, str]
) -> tuple[requests.Session, requests.Response]:
    browser = loopback_session()
    response = browser.post(
        f"{server.url}{UI}/sign-in",
        data={"username": credentials[0], "password": credentials[1]},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )
    return browser, response


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.test"},
        {"Origin": "null"},  # a sandboxed frame, or a page that sends no referrer
        {"Referer": "https://evil.test/sign-in-as-me.html"},
        {"Origin": "http://127.0.0.1:1"},  # this host, another port
        {"Origin": "https://127.0.0.1:{port}"},  # this host and port, another scheme
        {"Origin": "http://evil.test", "Referer": "http://127.0.0.1:{port}/chinwag/ui/"},
    ],
)
def test_a_sign_in_posted_from_another_origin_is_refused(
    app_server: AppServer, tenant: Tenant, headers: dict[str, str]
) -> None:
    sent = {name: value.format(port=app_server.port) for name, value in headers.items()}
    browser, response = post_sign_in(app_server, (tenant.sid, tenant.auth_token), sent)
    assert response.status_code == 403
    assert "another site" in response.text
    assert "chinwag_session" not in browser.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a script or curl: no Origin, no Referer
        {"Origin": "http://127.0.0.1:{port}"},  # what a browser sends from the form
        {"Referer": "http://127.0.0.1:{port}/chinwag/ui/sign-in"},
        {"Origin": "https://127.0.0.1:{port}", "X-Forwarded-Proto": "https"},  # a TLS proxy
    ],
)
def test_a_sign_in_from_the_servers_own_origin_is_accepted(
    app_server: AppServer, tenant: Tenant, headers: dict[str, str]
) -> None:
    sent = {name: value.format(port=app_server.port) for name, value in headers.items()}
    browser, response = post_sign_in(app_server, (tenant.sid, tenant.auth_token), sent)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == f"{UI}/"
    assert browser.cookies.get("chinwag_session", path=UI) is not None


@pytest.fixture
def public_server(database_url: str) -> Iterator[AppServer]:
    settings = Settings(public_url="https://chat.example.test", run_worker=False)
    server = AppServer(database_url, settings).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_public_url_is_the_servers_own_origin_and_makes_the_cookie_secure(
    public_server: AppServer,
) -> None:
    owner = public_server.auth
    _, accepted = post_sign_in(public_server, owner, {"Origin": "https://chat.example.test"})
    assert accepted.status_code == 303
    assert "Secure" in accepted.headers["Set-Cookie"]
    _, refused = post_sign_in(public_server, owner, {"Origin": "https://other.example.test"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("headers", "secure"),
    [
        ({}, False),
        ({"X-Forwarded-Proto": "http"}, False),
        ({"X-Forwarded-Proto": "https"}, True),
        ({"X-Forwarded-Proto": "HTTPS, http"}, True),  # the first hop is the browser's
    ],
)
def test_the_session_cookie_is_secure_when_the_browser_used_https(
    app_server: AppServer, tenant: Tenant, headers: dict[str, str], secure: bool
) -> None:
    _, response = post_sign_in(app_server, (tenant.sid, tenant.auth_token), headers)
    cookie = response.headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_signed_out_cookie_is_refused_at_once_by_every_server(
    dashboard: Dashboard, tenant: Tenant, app_server: AppServer
) -> None:
    other = Dashboard(app_server)  # another session of the same account
    assert other.sign_in(tenant.sid, tenant.auth_token).status_code == 200
    copied = dashboard.session.cookies.get("chinwag_session", path=UI)
    assert copied is not None

    assert dashboard.post("/sign-out", {}).url.endswith(f"{UI}/sign-in")

    dashboard.session.cookies.set("chinwag_session", copied, path=UI)
    response = dashboard.get("/", allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{UI}/sign-in"
    assert other.get("/", allow_redirects=False).status_code == 200  # untouched
    second = AppServer(app_server.database_url, Settings(run_worker=False)).start()
    try:  # another server of the same database: state is in the database, not a process
        replayed = loopback_session()
        replayed.cookies.set("chinwag_session", copied, path=UI)
        response = replayed.get(f"{second.url}{UI}/", allow_redirects=False, timeout=10)
        assert response.status_code == 303
    finally:
        second.stop()


def test_signing_out_ends_the_session_s_open_streams(dashboard: Dashboard) -> None:
    stream = dashboard.get("/deliveries/events", stream=True)  # reads time out after 10 s
    try:
        assert stream.status_code == 200
        assert dashboard.post("/sign-out", {}).url.endswith(f"{UI}/sign-in")
        # the stream ends (a read past its end returns): it no longer waits for news
        for _ in stream.iter_content(chunk_size=None):
            pass
    finally:
        stream.close()
