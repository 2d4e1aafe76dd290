"""Failed HTTP Basic auths and dashboard sign-ins are limited per client: 429 with
`Retry-After` once a client has failed `--auth-failure-limit` times in a minute.

Each test has a server of its own with a limit of 3, so its count is its own and the
shared server's tests, which send wrong credentials too, are never refused.
"""

from collections.abc import Iterator

import pytest
import requests

from chinwag.config import Settings
from tests.conftest import Api, assert_twilio_error, loopback_session
from tests.dashboard import UI, Dashboard
from tests.inprocess import AppServer

LIMIT = 3


@pytest.fixture
def limited(database_url: str) -> Iterator[AppServer]:
    settings = Settings(auth_failure_limit=LIMIT, run_worker=False)
    server = AppServer(database_url, settings).start()
    try:
        yield server
    finally:
        server.stop()


def retry_after(response: requests.Response) -> int:
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 60
    return seconds


def test_failed_basic_auths_past_the_limit_get_429_20429_with_retry_after(
    limited: AppServer,
) -> None:
    right = Api(limited)
    wrong = Api(limited, (limited.account_sid, "not the token"))
    for _ in range(LIMIT * 3):  # successes are not counted
        assert right.get("/v1/Services").status_code == 200
    assert_twilio_error(requests.get(limited.url + "/v1/Services", timeout=10), 401, 20003)
    for _ in range(LIMIT):  # (no credentials at all is no failed attempt)
        assert_twilio_error(wrong.get("/v1/Services"), 401, 20003)

    refused = wrong.get("/v1/Services")

    body = assert_twilio_error(refused, 429, 20429)
    assert body["message"].startswith("Too Many Requests: Too many failed authentications")
    assert f"retry after {retry_after(refused)} seconds" in body["message"]
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    # Right credentials too: a guess that happens to be right must not get through.
    assert_twilio_error(right.get("/v1/Services"), 429, 20429)
    # One count for both doors: the dashboard's sign-in is refused as well.
    browser = Dashboard(limited)
    page = browser.sign_in(limited.account_sid, limited.auth_token)
    assert page.status_code == 429
    retry_after(page)


def test_failed_sign_ins_past_the_limit_get_429_with_retry_after(limited: AppServer) -> None:
    browser = Dashboard(limited)
    for _ in range(LIMIT):
        assert browser.sign_in(limited.account_sid, "not the token").status_code == 401

    refused = browser.sign_in(limited.account_sid, limited.auth_token)

    assert refused.status_code == 429
    assert f"try again in {retry_after(refused)} seconds" in refused.text
    assert "chinwag_session" not in browser.session.cookies
    assert_twilio_error(Api(limited).get("/v1/Services"), 429, 20429)


def test_a_signed_in_session_is_not_limited(limited: AppServer) -> None:
    """The limit guards the checking of secrets; a session cookie proves none."""
    browser = Dashboard(limited)
    assert browser.sign_in(*limited.auth).status_code == 200
    stranger = loopback_session()
    for _ in range(LIMIT):
        stranger.post(
            f"{limited.url}{UI}/sign-in", data={"username": "AC", "password": "x"}, timeout=10
        )
    assert browser.get("/").status_code == 200
