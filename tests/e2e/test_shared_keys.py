"""Shared keys, Settings and Rules of the Webhooks configuration API through twilio-python's
`client.webhooks.v1`, and the webhooks they sign: where a Rule sends the URL to a Setting
with a shared key, HMAC-SHA256 with the key's secret and X-Twilio-Webhooks-Signature-
Settings, which twilio-node's `twilio.webhook(authToken, { sharedKeySecret })` and
twilio-python's RequestValidator accept; elsewhere the auth token's signature, as before.
"""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioServiceException
from twilio.rest import Client
from twilio.rest.webhooks.v1.rule import RuleList
from twilio.rest.webhooks.v1.setting import SettingList
from twilio.rest.webhooks.v1.shared_key import SharedKeyList

from chinwag.testing import HANG, LiveServer, ReceivedRequest, WebhookReceiver, twilio_client
from chinwag.twilio.type_ids import RULE, SETTING, SHARED_KEY, is_type_id
from tests.conftest import Api, server_and_receiver, wait_until
from tests.e2e.tenants import Tenant, new_tenant
from tests.e2e.test_client_sdk import node_sdk  # noqa: F401 (a fixture)
from tests.e2e.test_delivery import scoped_webhook
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
VALIDATOR = Path(__file__).resolve().parents[1] / "node" / "validate_webhook.js"


def create_key(client: Client, name: str = "signing") -> tuple[str, str]:
    """(id, secret) of a new shared key."""
    key = client.webhooks.v1.shared_keys.create(SharedKeyList.PostSharedKey({"friendlyName": name}))
    assert key.id is not None and key.secret is not None
    return key.id, key.secret


def create_setting(client: Client, key_id: str, connection: dict[str, Any] | None = None) -> str:
    signature = {"type": "SHARED_KEY", "sharedKeyId": key_id, "algorithm": "HMAC_SHA256"}
    body: dict[str, Any] = {"friendlyName": "signed", "signature": signature}
    if connection is not None:
        body["connection"] = connection
    setting = client.webhooks.v1.settings.create(SettingList.PostSetting(body))
    assert setting.id is not None
    return str(setting.id)


def create_rule(client: Client, setting_id: str, match_type: str, **match: str) -> str:
    body = {
        "matchType": match_type,
        **match,
        "settings": [{"settingId": setting_id, "percentage": 100}],
    }
    created = client.webhooks.v1.rules.create(RuleList.PostRule(body))
    assert isinstance(created.operation, dict) and isinstance(created.rule, dict)
    assert created.operation["status"] == "COMPLETED"
    rule_id: str = created.rule["id"]
    return rule_id


def assert_problem(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    """Twilio's RFC 9457 problem details, as twilio-python reads them."""
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert body == {
        "type": f"https://www.twilio.com/docs/api/errors/{code}",
        "title": body["title"],
        "status": status,
        "code": code,
        "detail": body["detail"],
    }
    assert body["title"] and body["detail"]
    return body


def validated_by_twilio_node(
    requests_: list[ReceivedRequest], auth_token: str, shared_key_secret: str
) -> list[dict[str, Any]]:
    """What twilio-node's middleware (the status it answers, 200 when it lets the request
    through) and `validateRequest` say of each request."""
    config = {
        "authToken": auth_token,
        "sharedKeySecret": shared_key_secret,
        "requests": [
            {"url": r.url, "method": r.method, "headers": r.headers, "params": r.form}
            for r in requests_
        ],
    }
    done = subprocess.run(
        ["node", str(VALIDATOR), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=VALIDATOR.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def by_path(requests_: list[ReceivedRequest]) -> dict[str, ReceivedRequest]:
    return {r.url.split("/", 3)[3].split("?")[0]: r for r in requests_}


# The API, on the shared in-process server, in accounts of their own.


@pytest.fixture
def tenant(app_server: AppServer) -> Tenant:
    return new_tenant(app_server, "webhook configuration")


def test_a_key_a_setting_and_a_rule_are_made_read_and_removed_with_twilio_python(
    tenant: Tenant,
) -> None:
    webhooks = tenant.client.webhooks.v1
    key_id, secret = create_key(tenant.client, "first")
    assert is_type_id(key_id, SHARED_KEY) and len(secret) == 43
    fetched = webhooks.shared_keys(key_id).fetch()
    assert (fetched.friendly_name, fetched.secret) == ("first", None)  # shown once
    renamed = webhooks.shared_keys(key_id).patch(
        SharedKeyList.PatchSharedKey({"friendlyName": "renamed"})
    )
    assert renamed.friendly_name == "renamed" and renamed.updated_at is not None
    assert [key.id for key in webhooks.shared_keys.list()] == [key_id]

    connection = {"connectTimeoutMs": 2000, "readTimeoutMs": 4000}
    setting_id = create_setting(tenant.client, key_id, connection)
    setting = webhooks.settings(setting_id).fetch()
    assert is_type_id(setting_id, SETTING) and setting.type == "CUSTOMER"
    assert setting.signature == {
        "type": "SHARED_KEY",
        "sharedKeyId": key_id,
        "algorithm": "HMAC_SHA256",
    }
    assert setting.connection == connection
    assert [s.id for s in webhooks.settings.list(shared_key_id=key_id)] == [setting_id]
    assert webhooks.settings.list(type="SYSTEM") == []

    value = "https://hooks.example.com/conversations"
    rule_id = create_rule(tenant.client, setting_id, "EXACT_MATCH", value=value)
    rule = webhooks.rules(rule_id).fetch()
    assert is_type_id(rule_id, RULE)
    assert (rule.match_type, rule.value, rule.prefix) == ("EXACT_MATCH", value, None)
    assert rule.settings == [{"settingId": setting_id, "percentage": 100}]
    assert [r.id for r in webhooks.rules.list(setting_id=setting_id)] == [rule_id]
    [operation] = webhooks.operations.list(resource_id=rule_id)
    assert operation.status == "COMPLETED" and operation.resource_id == rule_id
    assert webhooks.operations(operation.id).fetch().retention_period == "P7D"

    # Twilio's order of removal: what is still used cannot go first (59100).
    for in_use in (webhooks.shared_keys(key_id), webhooks.settings(setting_id)):
        with pytest.raises(TwilioServiceException) as refused:
            in_use.delete()
        assert (refused.value.code, refused.value.status) == (59100, 409)
    deleted = tenant.api.delete(f"/v1/Webhooks/Rules/{rule_id}")
    assert deleted.status_code == 202 and "rule" not in deleted.json()
    assert deleted.headers["Location"] == deleted.json()["operation"]["statusUrl"]
    assert webhooks.settings(setting_id).delete() and webhooks.shared_keys(key_id).delete()
    with pytest.raises(TwilioServiceException) as missing:
        webhooks.shared_keys(key_id).fetch()
    assert (missing.value.code, missing.value.status) == (59003, 404)


def test_bad_input_is_refused_with_twilio_problem_details(tenant: Tenant) -> None:
    api = tenant.api
    assert_problem(api.post("/v1/Webhooks/SharedKeys", {"friendlyName": "a form"}), 400, 59000)
    bad_json = api.post(
        "/v1/Webhooks/SharedKeys", "{", headers={"Content-Type": "application/json"}
    )
    assert_problem(bad_json, 400, 59000)
    key_id = api.post("/v1/Webhooks/SharedKeys", json={}).json()["id"]
    signature = {"sharedKeyId": key_id, "algorithm": "HMAC_SHA256"}

    def setting(**body: Any) -> requests.Response:
        return api.post("/v1/Webhooks/Settings", json=body)

    assert_problem(setting(signature={**signature, "algorithm": "MD5"}), 400, 59000)
    assert_problem(setting(signature={**signature, "type": "JWT"}), 400, 59000)
    unknown_key = {**signature, "sharedKeyId": "webhooks_sharedkey_01jf8zq1b0f8k7r6y5d4c3b2a1"}
    assert_problem(setting(signature=unknown_key), 400, 59201)
    slow = {"connectTimeoutMs": 1000, "readTimeoutMs": 99}
    assert "readTimeoutMs" in assert_problem(setting(connection=slow), 400, 59000)["detail"]
    assert_problem(setting(auth={"source": "NONE"}), 400, 59000)
    assert_problem(setting(friendlyName="x" * 256), 400, 59000)
    setting_id = setting(signature=signature).json()["id"]

    def rule(
        match_type: str, percentages: tuple[int, ...] = (100,), **match: str
    ) -> requests.Response:
        settings = [{"settingId": setting_id, "percentage": share} for share in percentages]
        return api.post(
            "/v1/Webhooks/Rules", json={"matchType": match_type, "settings": settings, **match}
        )

    assert_problem(rule("PREFIX_MATCH", prefix="https://hooks.example.com/a"), 400, 59000)
    assert_problem(rule("EXACT_MATCH", value="https://hooks.example.com/a/"), 400, 59000)
    assert_problem(rule("EXACT_MATCH", value="ftp://hooks.example.com/a"), 400, 59000)
    assert_problem(rule("REGEX", value="https://hooks.example.com/.*"), 400, 59000)
    assert_problem(rule("DEFAULT", percentages=(60, 30)), 400, 59000)
    assert rule("DEFAULT").status_code == 202
    assert_problem(rule("DEFAULT"), 409, 59103)  # one Rule per match
    assert_problem(api.get("/v1/Webhooks/Rules/webhooks_rule_nope"), 404, 59003)
    assert_problem(api.get("/v1/Webhooks/Settings", params={"pageToken": "x"}), 400, 59000)


def test_an_account_has_at_most_fifty_shared_keys(tenant: Tenant) -> None:
    for _ in range(50):
        assert tenant.api.post("/v1/Webhooks/SharedKeys", json={}).status_code == 201
    assert_problem(tenant.api.post("/v1/Webhooks/SharedKeys", json={}), 400, 59200)
    first = tenant.client.webhooks.v1.shared_keys.page(page_size=20)
    second = first.next_page()
    assert second is not None
    first_ids, second_ids = [key.id for key in first], [key.id for key in second]
    assert len(first_ids) == len(second_ids) == 20 and not set(first_ids) & set(second_ids)
    assert len(tenant.client.webhooks.v1.shared_keys.list()) == 50


def test_another_account_can_neither_see_nor_use_a_key(app_server: AppServer) -> None:
    owner, intruder = new_tenant(app_server, "owner"), new_tenant(app_server, "intruder")
    key_id, _ = create_key(owner.client)
    setting_id = create_setting(owner.client, key_id)
    create_rule(owner.client, setting_id, "DEFAULT")  # every URL of the owner's webhooks

    assert_problem(intruder.api.get(f"/v1/Webhooks/SharedKeys/{key_id}"), 404, 59003)
    assert_problem(intruder.api.delete(f"/v1/Webhooks/Settings/{setting_id}"), 404, 59003)
    assert intruder.api.get("/v1/Webhooks/SharedKeys").json()["sharedKeys"] == []
    signature = {"sharedKeyId": key_id, "algorithm": "HMAC_SHA256"}
    assert_problem(
        intruder.api.post("/v1/Webhooks/Settings", json={"signature": signature}), 400, 59201
    )
    settings = [{"settingId": setting_id, "percentage": 100}]
    taken = {"matchType": "DEFAULT", "settings": settings}
    assert_problem(intruder.api.post("/v1/Webhooks/Rules", json=taken), 400, 59201)

    # The owner's default Rule signs the owner's webhooks only.
    receiver = WebhookReceiver(intruder.auth_token).start()
    try:
        conversation = intruder.api.post("/v1/Conversations", {}).json()["sid"]
        scoped_webhook(intruder.api, conversation, receiver.url + "/hook", "onConversationUpdated")
        intruder.api.post(
            f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED
        )
        [request] = receiver.wait_for(1)
        assert SETTINGS_HEADER not in request.headers and request.signature_valid
    finally:
        receiver.stop()


# Deliveries, from a `chinwag serve` of their own to a real receiver.


@pytest.fixture
def signing(database_url: str) -> Iterator[tuple[LiveServer, WebhookReceiver, Client, Api]]:
    """A server that retries after 1 s, a receiver that checks its signatures, twilio-python."""
    with server_and_receiver(database_url, "--retry-schedule", "1,1") as (server, receiver):
        yield server, receiver, twilio_client(server), Api(server)


def test_a_matching_url_is_signed_with_the_key_others_with_the_auth_token(
    signing: tuple[LiveServer, WebhookReceiver, Client, Api],
    node_sdk: Path,  # noqa: F811
) -> None:
    server, receiver, client, api = signing
    key_id, secret = create_key(client)
    receiver.shared_keys[key_id] = secret
    setting_id = create_setting(client, key_id)
    rule_id = create_rule(client, setting_id, "EXACT_MATCH", value=receiver.url + "/signed")
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    for path in ("/signed", "/plain"):
        scoped_webhook(api, conversation, receiver.url + path, "onConversationUpdated")

    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "one"}, headers=ENABLED)
    received = by_path(receiver.wait_for(2))
    signed, plain = received["signed"], received["plain"]
    assert signed.headers[SETTINGS_HEADER] == f"key={key_id},algorithm=HMAC_SHA256"
    assert signed.signature_valid and signed.form["FriendlyName"] == "one"
    assert SETTINGS_HEADER not in plain.headers and plain.signature_valid
    assert validated_by_twilio_node([signed, plain], server.auth_token, secret) == [
        {"middleware": 200, "manual": True},
        {"middleware": 200, "manual": True},
    ]
    # The check means something: another secret, or the auth token, is refused.
    assert validated_by_twilio_node([signed], server.auth_token, "not the secret") == [
        {"middleware": 403, "manual": False}
    ]

    # Removing the Rule (the key itself cannot go while a Setting uses it) reverts.
    assert_problem(api.delete(f"/v1/Webhooks/SharedKeys/{key_id}"), 409, 59100)
    client.webhooks.v1.rules(rule_id).delete()
    client.webhooks.v1.settings(setting_id).delete()
    client.webhooks.v1.shared_keys(key_id).delete()
    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "two"}, headers=ENABLED)
    again = by_path(receiver.wait_for(4)[2:])
    assert SETTINGS_HEADER not in again["signed"].headers and again["signed"].signature_valid
    assert validated_by_twilio_node([again["signed"]], server.auth_token, secret) == [
        {"middleware": 200, "manual": True}
    ]


def test_a_rule_changed_after_a_failed_attempt_signs_the_retry(
    signing: tuple[LiveServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = signing
    keys = [create_key(client, name) for name in ("old", "new")]
    receiver.shared_keys.update(keys)
    old_setting, new_setting = (create_setting(client, key_id) for key_id, _ in keys)
    rule_id = create_rule(client, old_setting, "PREFIX_MATCH", prefix=receiver.url + "/")
    receiver.scripts["/flaky"] = [500]
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(api, conversation, receiver.url + "/flaky", "onConversationUpdated")

    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)
    [failed] = receiver.wait_for(1)
    settings = [{"settingId": new_setting, "percentage": 100}]
    client.webhooks.v1.rules(rule_id).patch(RuleList.PatchRule({"settings": settings}))
    retried = receiver.wait_for(2)[1]

    assert failed.headers[SETTINGS_HEADER].startswith(f"key={keys[0][0]},")
    assert retried.headers[SETTINGS_HEADER].startswith(f"key={keys[1][0]},")
    assert failed.signature_valid and retried.signature_valid
    assert retried.form["RetryCount"] == "1"


def test_a_settings_connection_gives_the_timeouts_and_retries(
    signing: tuple[LiveServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = signing
    key_id, secret = create_key(client)
    receiver.shared_keys[key_id] = secret
    policy = {"retryCount": 1, "retryOn": ["HTTP_5XX"]}
    connection = {"connectTimeoutMs": 1000, "readTimeoutMs": 300, "retryPolicy": policy}
    setting_id = create_setting(client, key_id, connection)
    create_rule(client, setting_id, "PREFIX_MATCH", prefix=receiver.url + "/")
    receiver.scripts = {"/slow": [HANG], "/flaky": [500, 500, 200]}
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    webhooks = {
        path: scoped_webhook(api, conversation, receiver.url + path, "onConversationUpdated")
        for path in ("/slow", "/flaky")
    }

    api.post(f"/v1/Conversations/{conversation}", {"FriendlyName": "x"}, headers=ENABLED)

    def finished(path: str) -> dict[str, Any] | None:
        listed = api.get("/chinwag/v1/Deliveries", params={"WebhookSid": webhooks[path]}).json()
        [delivery] = listed["deliveries"]
        return delivery if delivery["status"] == "failed" else None

    slow = wait_until(lambda: finished("/slow"), what="the slow delivery to fail")
    # Its read timed out after 0.3 s (not chinwag's 5), and READ_TIMEOUT is not retried.
    assert (slow["attempts"], slow["error"]) == (1, "timeout")
    flaky = wait_until(lambda: finished("/flaky"), what="the flaky delivery to fail")
    # One retry, for its 5xx: two attempts, though chinwag's own schedule has two retries.
    assert (flaky["attempts"], flaky["response_status"]) == (2, 500)


def test_a_pre_event_webhook_is_signed_with_the_key_too(
    signing: tuple[LiveServer, WebhookReceiver, Client, Api],
) -> None:
    _, receiver, client, api = signing
    key_id, secret = create_key(client)
    receiver.shared_keys[key_id] = secret
    setting_id = create_setting(client, key_id)
    create_rule(client, setting_id, "PREFIX_MATCH", prefix=receiver.url + "/pre/")
    service = api.post("/v1/Services", {"FriendlyName": "guarded"}).json()["sid"]
    api.post(
        f"/v1/Services/{service}/Configuration/Webhooks",
        {"PreWebhookUrl": receiver.url + "/pre/hook", "Filters": ["onConversationAdd"]},
    )

    created = api.post(f"/v1/Services/{service}/Conversations", {}, headers=ENABLED)
    assert created.status_code == 201, created.text
    [asked] = receiver.wait_for(1)
    assert asked.form["EventType"] == "onConversationAdd"
    assert asked.headers[SETTINGS_HEADER] == f"key={key_id},algorithm=HMAC_SHA256"
    assert asked.signature_valid
