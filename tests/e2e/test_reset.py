"""POST /chinwag/v1/Reset: everything of the caller's account goes, in one transaction.

Each test resets an account of its own (tests/e2e/tenants.py): the shared account's
data belongs to the other tests.
"""

from typing import Any

import pytest
from sqlalchemy import Connection, text

from chinwag.domain.accounts import create_api_key
from chinwag.store.tables import metadata
from chinwag.testing import chinwag_request, twilio_client
from tests.conftest import (
    Api,
    app_and_receiver,
    assert_twilio_error,
    customer_number,
    wait_until,
)
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

RESET = "/chinwag/v1/Reset"
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
UNREACHABLE = "http://127.0.0.1:9/hook"  # the discard port: deliveries fail and stay logged
# What a Reset keeps, and what a reset account has again: its default service's roles
# and configuration.
KEPT = {"accounts", "api_keys", "account_configurations"}
SET_UP = {"services": 1, "roles": 4, "service_configurations": 1}
# The tables `fill` writes to: all there were when Reset was written.
FILLED = {
    "accounts",
    "api_keys",
    "account_configurations",
    "address_configurations",
    "credentials",
    "services",
    "conversations",
    "scoped_webhooks",
    "participants",
    "address_pairs",
    "users",
    "messages",
    "delivery_receipts",
    "bindings",
    "service_webhooks",
    "roles",
    "service_configurations",
    "service_notifications",
    "deliveries",
    "delivery_attempts",
    "outbound_messages",
}


SCOPED_HOOK = {
    "Target": "webhook",
    "Configuration.Url": UNREACHABLE,
    "Configuration.Filters": "onMessageAdded",
}
ROLE = {"FriendlyName": "mine", "Type": "conversation", "Permission": "sendMessage"}
SERVICE_HOOKS = {"PostWebhookUrl": UNREACHABLE, "Filters": "onUserAdded"}
TIMERS = {"DefaultInactiveTimer": "PT5M", "DefaultClosedTimer": "PT10M"}


def fill(tenant: Tenant) -> dict[str, str]:
    """Something in every table an account writes to, on its default service and on a
    service of its own; returns the two services' SIDs."""
    api = tenant.api
    default = api.get("/v1/Configuration").json()["default_chat_service_sid"]
    extra = api.post("/v1/Services", {"FriendlyName": "extra"}).json()["sid"]
    for root in ("/v1", f"/v1/Services/{extra}"):
        conversation = api.post(f"{root}/Conversations", {"UniqueName": "kept?"}).json()["sid"]
        path = f"{root}/Conversations/{conversation}"
        assert api.post(f"{path}/Webhooks", SCOPED_HOOK).status_code == 201
        assert api.post(f"{path}/Participants", {"Identity": "agent"}).status_code == 201
        sms = {
            "MessagingBinding.Address": customer_number(),
            "MessagingBinding.ProxyAddress": "+15017122661",
        }
        customer = api.post(f"{path}/Participants", sms).json()["sid"]
        message = api.post(f"{path}/Messages", {"Author": "agent", "Body": "hi"}, headers=ENABLED)
        receipts = f"/chinwag{path}/Messages/{message.json()['sid']}/Receipts"
        receipt = {"ParticipantSid": customer, "Status": "delivered"}
        # the carrier made the customer's receipt (and an outbound message) with the message
        assert api.post(receipts, receipt).status_code == 200
        assert api.post(f"{root}/Roles", ROLE).status_code == 201
        assert api.post(f"{root}/Configuration/Webhooks", SERVICE_HOOKS).status_code == 200
    for service in (default, extra):
        notifications = {"NewMessage.Enabled": "true"}
        assert api.post(f"/v1/Services/{service}/Configuration/Notifications", notifications).ok
        binding = {"Identity": "agent", "BindingType": "fcm", "Address": f"device-{service}"}
        assert api.post(f"/chinwag/v1/Services/{service}/Bindings", binding).status_code == 201
    assert api.post("/v1/Users", {"Identity": "bob"}, headers=ENABLED).status_code == 201
    address = {"Type": "sms", "Address": customer_number()}
    assert api.post("/v1/Configuration/Addresses", address).status_code == 201
    assert api.post("/v1/Credentials", {"Type": "gcm", "ApiKey": "key"}).status_code == 201
    assert api.post("/v1/Configuration", TIMERS).status_code == 200
    return {"default": default, "extra": extra}


def rows_of(server: AppServer, account_sid: str) -> dict[str, int]:
    """How many rows of each table belong to the account (a delivery's attempts through
    the delivery), without the tables that have none."""

    def count(conn: Connection) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table in metadata.sorted_tables:
            if table.name == "accounts":
                sql = "SELECT count(*) FROM accounts WHERE sid = :a"
            elif table.name == "delivery_attempts":
                sql = (
                    "SELECT count(*) FROM delivery_attempts JOIN deliveries "
                    "ON deliveries.id = delivery_attempts.delivery_id "
                    "WHERE deliveries.account_sid = :a"
                )
            elif "account_sid" in table.c:
                sql = f"SELECT count(*) FROM {table.name} WHERE account_sid = :a"
            else:  # tests/unit/test_account_data.py sees to the tables owned through a key
                continue
            found = int(conn.execute(text(sql), {"a": account_sid}).scalar_one())
            if found:
                counts[table.name] = found
        return counts

    return on_database(server.database_url, count)


def test_reset_deletes_everything_of_the_account_but_the_account(app_server: AppServer) -> None:
    tenant, bystander = new_tenant(app_server), new_tenant(app_server)
    fill(bystander)
    sids = fill(tenant)
    key = on_database(app_server.database_url, lambda c: create_api_key(c, tenant.sid, "ci"))
    settings = tenant.api.get("/v1/Configuration").json()
    # Every table had rows of the account, the failed deliveries' attempts included.
    wait_until(lambda: set(rows_of(app_server, tenant.sid)) >= FILLED)
    untouched = rows_of(app_server, bystander.sid)

    response = tenant.api.post(RESET)

    assert response.status_code == 204 and response.content == b""
    assert rows_of(app_server, tenant.sid) == {**dict.fromkeys(KEPT, 1), **SET_UP}
    # The bystander's failing deliveries may retry meanwhile: attempts only grow.
    after = rows_of(app_server, bystander.sid)
    attempts = "delivery_attempts"
    assert after.pop(attempts, 0) >= untouched.pop(attempts, 0) and after == untouched
    # The account, its keys and its default service remain; its settings are a new account's.
    keyed = Api(app_server, (key.key.sid, key.secret))
    services = keyed.get("/v1/Services").json()["services"]
    assert [service["sid"] for service in services] == [sids["default"]]
    assert tenant.api.get("/v1/Configuration").json() == {
        **settings,
        "default_inactive_timer": None,
        "default_closed_timer": None,
    }


def test_the_default_service_gets_back_its_default_roles_and_configuration(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server)
    service = tenant.api.get("/v1/Configuration").json()["default_chat_service_sid"]
    roles = f"/v1/Services/{service}/Roles"
    before = tenant.api.get(roles).json()["roles"]
    changed = {"Permission": "sendMessage"}
    assert tenant.api.post(f"{roles}/{before[0]['sid']}", changed).status_code == 200

    assert tenant.api.post(RESET).status_code == 204

    after = tenant.api.get(roles).json()["roles"]
    shape = [(role["friendly_name"], role["type"], role["permissions"]) for role in after]
    assert shape == [(role["friendly_name"], role["type"], role["permissions"]) for role in before]
    assert not {role["sid"] for role in after} & {role["sid"] for role in before}
    config = tenant.api.get(f"/v1/Services/{service}/Configuration").json()
    by_name = {role["friendly_name"]: role["sid"] for role in after}
    assert config["default_conversation_creator_role_sid"] == by_name["channel admin"]
    assert config["default_conversation_role_sid"] == by_name["channel user"]
    assert config["default_chat_service_role_sid"] == by_name["service user"]
    hooks = tenant.api.get(f"/v1/Services/{service}/Configuration/Webhooks").json()
    assert (hooks["filters"], hooks["method"], hooks["post_webhook_url"]) == (None, None, None)
    hooks = tenant.api.get("/v1/Configuration/Webhooks").json()  # the global one too
    assert (hooks["filters"], hooks["method"], hooks["post_webhook_url"]) == (None, "POST", None)


def test_names_and_address_pairs_are_free_again(app_server: AppServer) -> None:
    tenant = new_tenant(app_server)
    sms = {
        "MessagingBinding.Address": customer_number(),
        "MessagingBinding.ProxyAddress": "+15017122661",
    }

    def open_conversation() -> Any:
        created = tenant.client.conversations.v1.conversations.create(unique_name="support")
        path = f"/v1/Conversations/{created.sid}/Participants"
        return tenant.api.post(path, sms)

    assert open_conversation().status_code == 201
    assert tenant.api.post(RESET).status_code == 204
    assert open_conversation().status_code == 201


def test_an_account_without_a_default_service_gets_a_new_one(app_server: AppServer) -> None:
    tenant = new_tenant(app_server)
    old = tenant.api.get("/v1/Configuration").json()["default_chat_service_sid"]
    assert tenant.api.delete(f"/v1/Services/{old}").status_code == 204
    assert_twilio_error(tenant.api.get("/v1/Conversations"), 404, 20404)

    assert tenant.api.post(RESET).status_code == 204

    new = tenant.api.get("/v1/Configuration").json()["default_chat_service_sid"]
    assert new not in (None, old)
    assert tenant.api.get("/v1/Conversations").json()["conversations"] == []
    assert len(tenant.api.get(f"/v1/Services/{new}/Roles").json()["roles"]) == 4


def test_reset_needs_the_accounts_credentials(app_server: AppServer) -> None:
    tenant = new_tenant(app_server)
    tenant.api.post("/v1/Conversations", {})
    wrong = Api(app_server, (tenant.sid, "not the token"))
    assert_twilio_error(wrong.post(RESET), 401, 20003)
    assert len(tenant.api.get("/v1/Conversations").json()["conversations"]) == 1


def test_the_plugin_helper_resets_and_reports_failure(app_server: AppServer) -> None:
    tenant = new_tenant(app_server)
    tenant.client.conversations.v1.conversations.create()
    server = _Account(app_server.url, tenant.sid, tenant.auth_token)
    assert chinwag_request(server, "POST", RESET).status == 204
    assert twilio_client(server).conversations.v1.conversations.list() == []
    denied = chinwag_request(_Account(app_server.url, tenant.sid, "wrong"), "POST", RESET)
    assert (denied.status, denied.body["code"]) == (401, 20003)
    listed = chinwag_request(server, "GET", "/chinwag/v1/Deliveries", {"PageSize": "7"})
    assert (listed.status, listed.body["meta"]["page_size"]) == (200, 7)


class _Account:
    """A `chinwag.testing.Server` for one account of a server."""

    def __init__(self, url: str, account_sid: str, auth_token: str) -> None:
        self.url, self.account_sid, self.auth_token = url, account_sid, auth_token


def test_a_delivery_in_flight_when_its_account_is_reset_does_not_trouble_the_worker(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The worker sends a delivery whose row the Reset deletes meanwhile: its outcome
    has nothing left to update, and the outcomes recorded with it are still recorded."""
    with app_and_receiver(database_url) as (server, receiver):
        api, tenant = Api(server), new_tenant(server)
        receiver.delay = 1.0  # each answer: the Reset commits while both are in flight
        for who in (tenant.api, api):
            created = who.post("/v1/Conversations", {}).json()["sid"]
            hook = {
                "Target": "webhook",
                "Configuration.Url": receiver.url + "/hook",
                "Configuration.Filters": "onConversationUpdated",
            }
            assert who.post(f"/v1/Conversations/{created}/Webhooks", hook).status_code == 201
            who.post(f"/v1/Conversations/{created}", {"FriendlyName": "x"}, headers=ENABLED)
        receiver.wait_for(2)  # both are being sent (their outcomes recorded together)
        assert tenant.api.post(RESET).status_code == 204

        def delivered() -> list[Any]:
            listed = api.get("/chinwag/v1/Deliveries").json()["deliveries"]
            return [d for d in listed if d["status"] == "delivered"]

        wait_until(delivered)
        assert tenant.api.get("/chinwag/v1/Deliveries").json()["deliveries"] == []
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert errors == []
