"""Access Tokens from `chinwag token`, `POST /chinwag/v1/Tokens` and twilio-python all verify;
API keys still authenticate REST calls as before, old hashed-only keys included."""

import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from sqlalchemy import Connection, update
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant

from chinwag.domain.access_tokens import AccessGrant, AccessTokenRefused, verify_access_token
from chinwag.domain.accounts import create_api_key
from chinwag.store.tables import api_keys
from chinwag.testing import LiveServer, access_token, twilio_client
from chinwag.twilio.dates import utc_now
from tests.conftest import Api, assert_twilio_error, other_account
from tests.databases import on_database
from tests.inprocess import AppServer

TOKENS = "/chinwag/v1/Tokens"


def verified(server: AppServer, token: str) -> AccessGrant:
    now = datetime.now(UTC)
    return on_database(server.database_url, lambda c: verify_access_token(c, token, now))


def default_service(api: Api) -> str:
    sid: str = api.get("/v1/Configuration").json()["default_chat_service_sid"]
    return sid


def created_key(server: AppServer) -> tuple[str, str]:
    """(SID, secret) of a key made by `chinwag keys create`, as a user makes one."""
    output = server.cli("keys", "create", "--account", server.account_sid)
    sid, secret = re.search(r"SK[0-9a-f]{32}", output), re.search(r"Secret:\s+(\S+)", output)
    assert sid and secret, output
    return sid.group(0), secret.group(1)


def test_the_endpoint_mints_a_token_for_the_callers_account(
    app_server: AppServer, api: Api
) -> None:
    response = api.post(TOKENS, {"Identity": "alice", "Ttl": "600"})

    assert response.status_code == 201, response.text
    body = response.json()
    grant = verified(app_server, body["token"])
    assert (grant.account_sid, grant.identity) == (app_server.account_sid, "alice")
    assert grant.chat_service_sid == default_service(api) == body["chat_service_sid"]
    assert body["api_key_sid"] == grant.api_key_sid
    lifetime = grant.expires_at - datetime.now(UTC)
    assert timedelta(seconds=590) < lifetime <= timedelta(seconds=600)
    # The account's signing key is made once and reused.
    again = api.post(TOKENS, {"Identity": "bob"}).json()
    assert again["api_key_sid"] == body["api_key_sid"]


def test_the_endpoint_names_a_service_and_the_plugin_helper_uses_it(
    app_server: AppServer, api: Api
) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "tokens"}).json()["sid"]
    token = access_token(app_server, "carol", service_sid=service, ttl=120)
    grant = verified(app_server, token)
    assert (grant.identity, grant.chat_service_sid) == ("carol", service)


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"Identity": ""},
        {"Identity": "a", "Ttl": "0"},
        {"Identity": "a", "Ttl": "86401"},
        {"Identity": "a", "ChatServiceSid": "IS" + "0" * 32},
        {"Identity": "a", "ApiKeySid": "SK" + "0" * 32},
    ],
)
def test_the_endpoint_refuses_bad_requests_with_20001(api: Api, form: dict[str, str]) -> None:
    assert_twilio_error(api.post(TOKENS, form), 400, 20001)


def test_the_endpoint_needs_credentials_and_keeps_accounts_apart(
    app_server: AppServer, api: Api
) -> None:
    anonymous = requests.post(app_server.url + TOKENS, {"Identity": "a"}, timeout=10)
    assert_twilio_error(anonymous, 401, 20003)
    intruder = other_account(app_server)
    foreign = intruder.post(TOKENS, {"Identity": "a", "ChatServiceSid": default_service(api)})
    assert_twilio_error(foreign, 400, 20001)
    mine = api.post(TOKENS, {"Identity": "a"}).json()["api_key_sid"]
    assert_twilio_error(intruder.post(TOKENS, {"Identity": "a", "ApiKeySid": mine}), 400, 20001)


def test_a_twilio_python_token_from_a_chinwag_key_verifies(app_server: AppServer, api: Api) -> None:
    key, secret = created_key(app_server)
    service = default_service(api)
    token = AccessToken(app_server.account_sid, key, secret, identity="dave", ttl=300)
    token.add_grant(ChatGrant(service_sid=service))

    grant = verified(app_server, token.to_jwt())

    assert (grant.api_key_sid, grant.identity, grant.chat_service_sid) == (key, "dave", service)
    forged = AccessToken(app_server.account_sid, key, secret + "x", identity="dave")
    forged.add_grant(ChatGrant(service_sid=service))
    with pytest.raises(AccessTokenRefused) as refused:
        verified(app_server, forged.to_jwt())
    assert refused.value.code == 20107


def test_chinwag_token_prints_a_token_pyjwt_verifies(app_server: AppServer, api: Api) -> None:
    key, secret = created_key(app_server)
    token = app_server.cli(
        "token", "--identity", "erin", "--account", app_server.account_sid, "--key", key
    ).strip()

    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert jwt.get_unverified_header(token)["cty"] == "twilio-fpa;v=1"
    assert (claims["iss"], claims["sub"]) == (key, app_server.account_sid)
    assert claims["grants"] == {"identity": "erin", "chat": {"service_sid": default_service(api)}}
    assert claims["exp"] - claims["nbf"] == 3600
    assert verified(app_server, token).identity == "erin"


def test_chinwag_token_without_a_key_signs_with_chinwags_own(app_server: AppServer) -> None:
    token = app_server.cli(
        "token", "--identity", "fay", "--account", app_server.account_sid, "--ttl", "60"
    ).strip()
    grant = verified(app_server, token)
    assert grant.identity == "fay"
    assert grant.expires_at - datetime.now(UTC) <= timedelta(seconds=60)


def _forget_secret(conn: Connection, sid: str) -> None:
    conn.execute(update(api_keys).where(api_keys.c.sid == sid).values(secret=None))


def test_keys_keep_authenticating_rest_calls_and_old_keys_cannot_sign(
    app_server: AppServer,
) -> None:
    """A key from before migration 0020 (its secret not kept) still logs in with Basic
    auth through its hash; the tokens it signs are refused with 20103, saying why."""
    new = on_database(
        app_server.database_url, lambda c: create_api_key(c, app_server.account_sid, "k")
    )
    old = on_database(
        app_server.database_url, lambda c: create_api_key(c, app_server.account_sid, "o")
    )
    on_database(app_server.database_url, lambda c: _forget_secret(c, old.key.sid))

    for made in (new, old):
        client = twilio_client(app_server, made.key.sid, made.secret)
        assert client.conversations.v1.services.list(limit=1) is not None
        wrong = requests.get(
            app_server.url + "/v1/Services", auth=(made.key.sid, made.secret + "x"), timeout=10
        )
        assert_twilio_error(wrong, 401, 20003)
    token = AccessToken(app_server.account_sid, old.key.sid, old.secret, identity="gus")
    token.add_grant(ChatGrant())
    with pytest.raises(AccessTokenRefused) as refused:
        verified(app_server, token.to_jwt())
    assert refused.value.code == 20103 and "create a new key" in refused.value.message


def test_the_plugins_server_mints_a_token_the_socket_accepts(chinwag_server: LiveServer) -> None:
    """README's `chinwag_server.access_token("alice")`: a token of the server's account."""
    token = chinwag_server.access_token("alice")

    grant = on_database(
        chinwag_server.database_url, lambda conn: verify_access_token(conn, token, utc_now())
    )
    assert (grant.identity, grant.account_sid) == ("alice", chinwag_server.account_sid)
