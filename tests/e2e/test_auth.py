"""Authentication (Basic with AccountSid:AuthToken or an API key) and account isolation."""

import re

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from chinwag.testing import LiveServer, twilio_client
from tests.conftest import Api, assert_twilio_error, cli_account


@pytest.mark.parametrize(
    "auth",
    [None, ("AC" + "0" * 32, "wrong"), ("wrong-user", "x"), ("SK" + "0" * 32, "nope")],
)
def test_missing_or_wrong_credentials_get_401_20003(
    chinwag_server: LiveServer, auth: object
) -> None:
    response = requests.get(f"{chinwag_server.url}/v1/Conversations", auth=auth, timeout=5)  # type: ignore[arg-type]
    assert_twilio_error(response, 401, 20003)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_right_sid_wrong_token_is_refused(chinwag_server: LiveServer) -> None:
    response = requests.get(
        f"{chinwag_server.url}/v1/Services",
        auth=(chinwag_server.account_sid, "not the token"),
        timeout=5,
    )
    assert_twilio_error(response, 401, 20003)


def test_api_key_authenticates_as_its_account(chinwag_server: LiveServer) -> None:
    output = chinwag_server.cli("keys", "create", "--account", chinwag_server.account_sid)
    key_sid = re.search(r"SK[0-9a-f]{32}", output)
    secret = re.search(r"Secret:\s+(\S+)", output)
    assert key_sid and secret, output
    client = twilio_client(chinwag_server, key_sid.group(0), secret.group(1))
    created = client.conversations.v1.conversations.create(friendly_name="via key")
    assert created.account_sid == chinwag_server.account_sid
    wrong = requests.get(
        f"{chinwag_server.url}/v1/Conversations", auth=(key_sid.group(0), "x"), timeout=5
    )
    assert_twilio_error(wrong, 401, 20003)


def test_another_accounts_resources_are_invisible(
    chinwag_server: LiveServer, live_api: Api
) -> None:
    """The second account comes from `chinwag accounts create`, as a user would make it."""
    intruder = Api(chinwag_server, cli_account(chinwag_server, "--friendly-name", "intruder"))

    service = live_api.post("/v1/Services", {"FriendlyName": "private"}).json()["sid"]
    conversation = live_api.post("/v1/Conversations", {"UniqueName": "private-chat"}).json()["sid"]
    webhook = live_api.post(
        f"/v1/Conversations/{conversation}/Webhooks",
        {"Target": "studio", "Configuration.FlowSid": "FW" + "2" * 32},
    ).json()["sid"]

    assert_twilio_error(intruder.get(f"/v1/Services/{service}"), 404, 20404)
    assert_twilio_error(intruder.delete(f"/v1/Services/{service}"), 404, 20404)
    assert_twilio_error(intruder.get(f"/v1/Services/{service}/Conversations"), 404, 20404)
    assert_twilio_error(intruder.get(f"/v1/Conversations/{conversation}"), 404, 20404)
    assert_twilio_error(intruder.get("/v1/Conversations/private-chat"), 404, 20404)
    assert_twilio_error(
        intruder.get(f"/v1/Conversations/{conversation}/Webhooks/{webhook}"), 404, 20404
    )
    assert service not in [s["sid"] for s in intruder.get("/v1/Services").json()["services"]]
    assert intruder.get("/v1/Conversations").json()["conversations"] == []
    # The intruder's own default service works, and its unique names are its own.
    assert intruder.post("/v1/Conversations", {"UniqueName": "private-chat"}).status_code == 201
    assert live_api.get(f"/v1/Conversations/{conversation}/Webhooks/{webhook}").status_code == 200


def test_accounts_list_shows_sids_but_not_tokens(chinwag_server: LiveServer) -> None:
    output = chinwag_server.cli("accounts", "list")
    assert chinwag_server.account_sid in output
    assert chinwag_server.auth_token not in output


def test_twilio_python_reports_auth_failure(chinwag_server: LiveServer) -> None:
    client = twilio_client(chinwag_server, chinwag_server.account_sid, "bad-token")
    with pytest.raises(TwilioRestException) as failure:
        client.conversations.v1.conversations.create(friendly_name="never")
    assert (failure.value.status, failure.value.code) == (401, 20003)
