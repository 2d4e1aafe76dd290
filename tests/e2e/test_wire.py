"""Wire fidelity: CORS, unknown paths, malformed values, form encoding, dates, never a 500.

Checked against `chinwag serve` itself (`live_api`): the wire as the shipped server answers it.
"""

import re
from urllib.parse import quote

import pytest
import requests

from chinwag.config import Settings
from chinwag.testing import LiveServer
from tests.conftest import Api, assert_twilio_error
from tests.inprocess import AppServer

CORS = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
}


def test_every_response_carries_cors_headers_without_credentials(live_api: Api) -> None:
    """Any origin, never with the browser's credentials (a wildcard origin must not)."""
    created = live_api.post("/v1/Conversations", {})
    responses = [
        created,
        live_api.get("/v1/Conversations"),
        live_api.get("/v1/Conversations/CH" + "0" * 32),
        live_api.post("/v1/Conversations", {"State": "bad"}),
        live_api.delete(f"/v1/Conversations/{created.json()['sid']}"),
        requests.get(f"{live_api.base}/v1/Services", timeout=5),
    ]
    for response in responses:
        assert set(response.headers) >= CORS, (response.status_code, response.headers)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_needs_no_credentials(chinwag_server: LiveServer) -> None:
    response = requests.options(
        f"{chinwag_server.url}/v1/Conversations/CH{'0' * 32}/Webhooks",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/v1/Nothing",
        "/v2/Conversations",
        "/v1/Conversations/CH00/Unknown",
        "/v1/Services/IS/x/y",
    ],
)
def test_unknown_paths_are_20404(live_api: Api, path: str) -> None:
    body = assert_twilio_error(live_api.get(path), 404, 20404)
    assert "was not found" in body["message"]


def test_unsupported_method_is_a_twilio_error(live_api: Api) -> None:
    response = live_api.request("PUT", "/v1/Conversations")
    assert_twilio_error(response, 405, 20004)


@pytest.mark.parametrize(
    ("params", "code", "named"),
    [
        ({"PageSize": "ten"}, 20001, "PageSize"),
        ({"PageSize": "0"}, 20001, "PageSize"),
        ({"Page": "-1"}, 20001, "Page"),
        ({"PageToken": "garbage"}, 21481, "PageToken"),
    ],
)
def test_malformed_paging_values_are_400_naming_the_parameter(
    live_api: Api, params: dict[str, str], code: int, named: str
) -> None:
    body = assert_twilio_error(live_api.get("/v1/Conversations", params=params), 400, code)
    assert named in body["message"]


def test_dates_and_sids_have_twilios_exact_format(live_api: Api) -> None:
    body = live_api.post("/v1/Conversations", {"DateCreated": "2021-08-10T18:00:58.111Z"}).json()
    assert body["date_created"] == "2021-08-10T18:00:58Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["date_updated"])
    assert re.fullmatch(r"CH[0-9a-f]{32}", body["sid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", body["account_sid"])
    assert re.fullmatch(r"IS[0-9a-f]{32}", body["chat_service_sid"])


def test_public_url_is_used_in_links(database_url: str) -> None:
    server = AppServer(database_url, Settings(public_url="https://chat.example.test/")).start()
    try:
        api = Api(server)
        body = api.post("/v1/Conversations", {}).json()
        assert body["url"] == f"https://chat.example.test/v1/Conversations/{body['sid']}"
        meta = api.get("/v1/Conversations").json()["meta"]
        assert meta["url"].startswith("https://chat.example.test/v1/Conversations?")
    finally:
        server.stop()


GARBAGE = ["", "%", "\x00", "💬" * 300, "' OR 1=1 --", "9" * 40, "-1", "[]", "{}", "a" * 5000]


@pytest.mark.parametrize("value", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_causes_a_500(live_api: Api, value: str) -> None:
    conversation = live_api.post("/v1/Conversations", {}).json()["sid"]
    webhooks = f"/v1/Conversations/{conversation}/Webhooks"
    attempts = [
        live_api.post(
            "/v1/Conversations",
            {name: value for name in ("FriendlyName", "UniqueName", "Attributes")},
        ),
        live_api.post("/v1/Conversations", {"Timers.Inactive": value, "State": value}),
        live_api.post(
            f"/v1/Conversations/{conversation}",
            {"DateUpdated": value, "MessagingServiceSid": value},
        ),
        live_api.post(webhooks, {"Target": value, "Configuration.Url": value}),
        live_api.post(
            webhooks,
            {
                "Target": "webhook",
                "Configuration.Url": "https://x.io",
                "Configuration.Filters": value,
            },
        ),
        live_api.post(
            webhooks,
            {
                "Target": "trigger",
                "Configuration.Url": "https://x.io",
                "Configuration.Triggers": value,
            },
        ),
        live_api.post(
            webhooks,
            {
                "Target": "studio",
                "Configuration.FlowSid": value,
                "Configuration.ReplayAfter": value,
            },
        ),
        live_api.get(
            "/v1/Conversations", params={"PageSize": value, "PageToken": value, "StartDate": value}
        ),
        live_api.get(f"/v1/Conversations/{quote(value, safe='')}/Webhooks"),
        live_api.post("/v1/Services", {"FriendlyName": value}),
        live_api.post(
            f"/v1/Conversations/{conversation}/Messages",
            {"Body": value, "Author": value, "Attributes": value, "DateCreated": value},
        ),
        live_api.post(
            f"/v1/Conversations/{conversation}/Participants",
            {"Identity": value, "MessagingBinding.Address": value, "RoleSid": value},
        ),
        live_api.post(
            f"/v1/Conversations/{conversation}/Participants",
            {"Identity": "ok-" + str(len(value)), "LastReadMessageIndex": value},
        ),
        live_api.post("/v1/ConversationWithParticipants", {"Participant": value}),
        live_api.post("/v1/Configuration/Webhooks", {"Filters": value, "Method": value}),
    ]
    for response in attempts:
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert_twilio_error(response, response.status_code, response.json()["code"])


def test_non_form_bodies_are_handled(live_api: Api) -> None:
    conversation = live_api.post("/v1/Conversations", {}).json()["sid"]
    path = f"/v1/Conversations/{conversation}/Webhooks"
    as_json = live_api.post(
        path, data='{"Target": "studio"}', headers={"Content-Type": "application/json"}
    )
    assert_twilio_error(as_json, 400, 50368)
    broken = live_api.post(
        path, data=b"\xff\xfe=\xff", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert broken.status_code == 400
