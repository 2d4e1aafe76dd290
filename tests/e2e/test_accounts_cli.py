"""`chinwag keys delete` and `chinwag accounts rotate-token` withdraw credentials from a running
server: a deleted key's Basic auth and Access Tokens, an old auth token; webhooks are signed
with the new token from the rotation on."""

import re
import time

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant
from twilio.request_validator import RequestValidator

from chinwag.testing import ReceivedRequest
from tests.conftest import Api, assert_twilio_error, cli_account, receiver_for, wait_until
from tests.e2e.test_twilsock_socket import exchange, init
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
# How long a running server may remember a lookup (domain/accounts.Authenticator), and slack.
AUTH_CACHE_TTL = 5.0


def created_key(server: AppServer, account_sid: str) -> tuple[str, str]:
    """(SID, secret) `chinwag keys create` prints."""
    output = server.cli("keys", "create", "--account", account_sid)
    sid, secret = re.search(r"SK[0-9a-f]{32}", output), re.search(r"Secret:\s+(\S+)", output)
    assert sid and secret, output
    return sid.group(0), secret.group(1)


def rotated_token(server: AppServer, account_sid: str) -> str:
    """The new token `chinwag accounts rotate-token` prints, as `accounts create` prints one."""
    output = server.cli("accounts", "rotate-token", account_sid)
    assert f"TWILIO_ACCOUNT_SID={account_sid}" in output
    token = re.search(r"TWILIO_AUTH_TOKEN=(\S+)", output)
    assert token, output
    return token.group(1)


def chat_token(account_sid: str, key_sid: str, secret: str) -> str:
    token = AccessToken(account_sid, key_sid, secret, identity="alice", ttl=600)
    token.add_grant(ChatGrant())
    jwt: str = token.to_jwt()
    return jwt


def socket_status(server: AppServer, token: str) -> dict[str, object]:
    """The status the client SDK's socket answers `init` with."""
    status: dict[str, object] = exchange(server.url, init(token))[0].header["status"]
    return status


def signed_with(request: ReceivedRequest, auth_token: str) -> bool:
    """Whether a webhook request validates with twilio-python under `auth_token`."""
    signature = request.headers.get("X-Twilio-Signature", "")
    valid: bool = RequestValidator(auth_token).validate(request.url, request.form, signature)
    return valid


# Tests that answer 401 run on a server of their own: failed authentications are counted
# per client (domain/auth_failures.py), and every test is the shared server's one client.


def test_a_deleted_key_is_refused_for_basic_auth_and_its_access_tokens(
    fresh_app: AppServer,
) -> None:
    sid, token = cli_account(fresh_app)
    key_sid, secret = created_key(fresh_app, sid)
    by_key = Api(fresh_app, (key_sid, secret))
    access_token = chat_token(sid, key_sid, secret)
    assert by_key.get("/v1/Conversations").status_code == 200  # now remembered by the server
    assert socket_status(fresh_app, access_token)["code"] == 200

    output = fresh_app.cli("keys", "delete", key_sid)

    assert output == f"Deleted API key {key_sid}.\n"
    refused = socket_status(fresh_app, access_token)  # Access Tokens: at once
    assert (refused["code"], refused["errorCode"]) == (401, 20103)
    deleted = time.monotonic()
    wait_until(
        lambda: by_key.get("/v1/Conversations").status_code == 401,
        timeout=AUTH_CACHE_TTL + 5,
        what="the deleted key to be refused",
    )
    assert time.monotonic() - deleted < AUTH_CACHE_TTL + 1
    assert_twilio_error(by_key.get("/v1/Conversations"), 401, 20003)
    assert Api(fresh_app, (sid, token)).get("/v1/Conversations").status_code == 200


def test_a_rotated_token_is_refused_and_keys_and_access_tokens_keep_working(
    fresh_app: AppServer,
) -> None:
    sid, first = cli_account(fresh_app)
    key_sid, secret = created_key(fresh_app, sid)

    second = rotated_token(fresh_app, sid)  # the server has not seen `first`

    assert second != first
    assert_twilio_error(Api(fresh_app, (sid, first)).get("/v1/Conversations"), 401, 20003)
    assert Api(fresh_app, (sid, second)).get("/v1/Conversations").status_code == 200

    third = rotated_token(fresh_app, sid)  # the server has just remembered `second`

    # The new token works at once (a refused secret is looked up again), and then the old
    # one is refused at once too.
    assert Api(fresh_app, (sid, third)).get("/v1/Conversations").status_code == 200
    assert_twilio_error(Api(fresh_app, (sid, second)).get("/v1/Conversations"), 401, 20003)
    # API keys are credentials of their own, and Access Tokens are signed with keys.
    assert Api(fresh_app, (key_sid, secret)).get("/v1/Conversations").status_code == 200
    assert socket_status(fresh_app, chat_token(sid, key_sid, secret))["code"] == 200


def test_webhooks_after_a_rotation_are_signed_with_the_new_token(app_server: AppServer) -> None:
    sid, old = cli_account(app_server)
    api = Api(app_server, (sid, old))
    with receiver_for(app_server) as receiver:  # checked below under each token
        conversation = api.post("/v1/Conversations", {"FriendlyName": "before"}).json()["sid"]
        webhook = api.post(
            f"/v1/Conversations/{conversation}/Webhooks",
            {
                "Target": "webhook",
                "Configuration.Url": receiver.url + "/post",
                "Configuration.Filters": "onConversationUpdated",
            },
        )
        assert webhook.status_code == 201, webhook.text

        new = rotated_token(app_server, sid)
        api = Api(app_server, (sid, new))
        renamed = api.post(
            f"/v1/Conversations/{conversation}", {"FriendlyName": "after"}, headers=ENABLED
        )

        assert renamed.status_code == 200, renamed.text
        [delivered] = receiver.wait_for(1)
    assert delivered.form["AccountSid"] == sid
    assert signed_with(delivered, new)
    assert not signed_with(delivered, old)


def test_pre_event_webhooks_asked_for_a_key_are_signed_with_the_new_token_at_once(
    app_server: AppServer,
) -> None:
    """A request made with an API key carries the account as the server remembers it (up to
    5 s); the pre-event webhook is still signed with the token as stored now."""
    sid, old = cli_account(app_server)
    by_key = Api(app_server, created_key(app_server, sid))
    with receiver_for(app_server) as receiver:
        service = by_key.post("/v1/Services", {"FriendlyName": "guarded"}).json()["sid"]
        hooks = by_key.post(
            f"/v1/Services/{service}/Configuration/Webhooks",
            {"PreWebhookUrl": receiver.url + "/pre", "Filters": "onConversationAdd"},
        )
        assert hooks.status_code == 200, hooks.text
        add = f"/v1/Services/{service}/Conversations"
        assert by_key.post(add, {"FriendlyName": "a"}, headers=ENABLED).status_code == 201

        new = rotated_token(app_server, sid)
        assert by_key.post(add, {"FriendlyName": "b"}, headers=ENABLED).status_code == 201

        before, after = receiver.wait_for(2)
    assert signed_with(before, old)
    assert signed_with(after, new) and not signed_with(after, old)
