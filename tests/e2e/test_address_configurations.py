"""Address Configurations (/v1/Configuration/Addresses) through twilio-python and raw HTTP."""

import re
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from chinwag.store.address_configurations import get_by_address
from tests.conftest import Api, app_and_receiver, assert_twilio_error
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

SID = re.compile(r"^IG[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FLOW = "FW" + "a" * 32
PATH = "/v1/Configuration/Addresses"
KEYS = {"sid", "account_sid", "type", "address", "friendly_name", "address_country"}
KEYS |= {"auto_creation", "date_created", "date_updated", "url"}


def addresses(tenant: Tenant, **params: str) -> list[str]:
    listed = tenant.api.get(PATH, params=params).json()["address_configurations"]
    return [item["address"] for item in listed]


def test_address_configuration_has_the_documented_shape(tenant: Tenant) -> None:
    service = tenant.client.conversations.v1.services.create(friendly_name="inbound").sid
    response = tenant.api.post(
        PATH,
        {
            "Type": "sms",
            "Address": "+37256123457",
            "FriendlyName": "My Test Configuration",
            "AutoCreation.Enabled": "true",
            "AutoCreation.Type": "webhook",
            "AutoCreation.ConversationServiceSid": service,
            "AutoCreation.WebhookUrl": "https://example.com",
            "AutoCreation.WebhookMethod": "post",
            "AutoCreation.WebhookFilters": ["onParticipantAdded", "onMessageAdded"],
            "AddressCountry": "ca",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == KEYS
    assert SID.match(body["sid"]) and body["account_sid"] == tenant.sid
    assert (body["type"], body["address"], body["address_country"]) == ("sms", "+37256123457", "CA")
    assert body["friendly_name"] == "My Test Configuration"
    # the spec example's auto_creation object, key for key
    assert body["auto_creation"] == {
        "enabled": True,
        "type": "webhook",
        "conversation_service_sid": service,
        "webhook_url": "https://example.com",
        "webhook_method": "POST",
        "webhook_filters": ["onParticipantAdded", "onMessageAdded"],
    }
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    assert body["url"] == f"{tenant.api.base}{PATH}/{body['sid']}"
    assert tenant.api.get(body["url"]).json() == body


def test_lifecycle_through_twilio_python(tenant: Tenant) -> None:
    scope = tenant.client.conversations.v1.address_configurations
    created = scope.create(
        type="whAtsAPP",  # the spec's example: the type in any case
        address="whatsapp:+15551230001",
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="default",
    )
    assert SID.match(created.sid)
    assert (created.type, created.address) == ("whatsapp", "whatsapp:+15551230001")
    assert created.auto_creation == {"enabled": True, "type": "default"}
    assert created.address_country is None and created.date_created.tzinfo is not None

    assert scope(created.sid).fetch().friendly_name == "Support line"
    # "This value can be either the `sid` or the `address` of the configuration" (spec)
    assert scope("whatsapp:+15551230001").fetch().sid == created.sid

    updated = scope("whatsapp:+15551230001").update(
        friendly_name="Updated",
        auto_creation_enabled=False,
        auto_creation_type="studio",
        auto_creation_studio_flow_sid=FLOW,
        auto_creation_studio_retry_count=3,
    )
    assert updated.friendly_name == "Updated"
    assert updated.auto_creation == {
        "enabled": False,
        "type": "studio",
        "studio_flow_sid": FLOW,
        "studio_retry_count": 3,
    }
    assert updated.date_updated >= created.date_updated
    assert [c.sid for c in scope.list()] == [created.sid]

    assert scope(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        scope(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert scope.list() == []


def test_the_store_finds_the_configuration_of_an_address(
    tenant: Tenant, app_server: AppServer
) -> None:
    service = tenant.client.conversations.v1.services.create(friendly_name="inbound").sid
    created = tenant.api.post(
        PATH,
        {
            "Type": "sms",
            "Address": "+15551230002",
            "AutoCreation.Enabled": "true",
            "AutoCreation.Type": "webhook",
            "AutoCreation.ConversationServiceSid": service,
            "AutoCreation.WebhookUrl": "https://example.com/in",
            "AutoCreation.WebhookFilters": "onMessageAdded",
        },
    ).json()
    found = on_database(
        app_server.database_url, lambda conn: get_by_address(conn, tenant.sid, "+15551230002")
    )
    assert found is not None and found.sid == created["sid"]
    assert found.auto_creation_enabled and found.auto_creation_type == "webhook"
    assert found.conversation_service_sid == service
    assert (found.webhook_url, found.webhook_method) == ("https://example.com/in", "POST")
    assert found.webhook_filters == ["onMessageAdded"]
    missing = on_database(
        app_server.database_url, lambda conn: get_by_address(conn, tenant.sid, "+15550000000")
    )
    assert missing is None


def test_address_is_unique_per_account(tenant: Tenant, app_server: AppServer) -> None:
    data = {"Type": "sms", "Address": "+15551230003"}
    assert tenant.api.post(PATH, data).status_code == 201
    body = assert_twilio_error(tenant.api.post(PATH, {**data, "Type": "whatsapp"}), 409, 20409)
    assert "'+15551230003'" in body["message"]
    assert addresses(tenant) == ["+15551230003"]
    # another account configures its own addresses
    assert new_tenant(app_server).api.post(PATH, data).status_code == 201


def test_another_account_cannot_see_or_change_it(tenant: Tenant, app_server: AppServer) -> None:
    created = tenant.api.post(PATH, {"Type": "sms", "Address": "+15551230004"}).json()
    other = new_tenant(app_server).api
    for ref in (created["sid"], "+15551230004"):
        assert_twilio_error(other.get(f"{PATH}/{ref}"), 404, 20404)
        assert_twilio_error(other.post(f"{PATH}/{ref}", {"FriendlyName": "x"}), 404, 20404)
        assert_twilio_error(other.delete(f"{PATH}/{ref}"), 404, 20404)
    assert other.get(PATH).json()["address_configurations"] == []
    assert tenant.api.get(created["url"]).json() == created


def test_list_pages_at_most_fifty_and_filters_by_type(tenant: Tenant) -> None:
    for n, kind in enumerate(["sms", "whatsapp", "sms", "sms"]):
        tenant.api.post(PATH, {"Type": kind, "Address": f"+1555000000{n}"})
    page = tenant.api.get(PATH, params={"Type": "sms", "PageSize": 2}).json()
    assert [a["address"] for a in page["address_configurations"]] == [
        "+15550000000",
        "+15550000002",
    ]
    meta = page["meta"]
    assert meta["key"] == "address_configurations" and meta["page_size"] == 2
    assert "Type=sms" in meta["url"] and "Type=sms" in meta["next_page_url"]
    following = tenant.api.get(meta["next_page_url"]).json()
    assert [a["address"] for a in following["address_configurations"]] == ["+15550000003"]
    assert following["meta"]["next_page_url"] is None
    assert addresses(tenant, Type="WhatsApp") == ["+15550000001"]
    assert tenant.api.get(PATH, params={"PageSize": 500}).json()["meta"]["page_size"] == 50
    assert_twilio_error(tenant.api.get(PATH, params={"Type": "fax"}), 400, 20001)
    listed = tenant.client.conversations.v1.address_configurations.list(type="sms", page_size=1)
    assert [a.address for a in listed] == ["+15550000000", "+15550000002", "+15550000003"]


def test_deleting_its_service_leaves_it_on_the_default_service(tenant: Tenant) -> None:
    service = tenant.client.conversations.v1.services.create(friendly_name="gone").sid
    created = tenant.api.post(
        PATH,
        {
            "Type": "sms",
            "Address": "+15551230005",
            "AutoCreation.Type": "default",
            "AutoCreation.ConversationServiceSid": service,
        },
    ).json()
    assert created["auto_creation"]["conversation_service_sid"] == service
    assert tenant.api.delete(f"/v1/Services/{service}").status_code == 204
    after = tenant.api.get(created["url"]).json()
    assert after["auto_creation"] == {"enabled": False, "type": "default"}


INVALID_CREATES: list[tuple[dict[str, Any], int]] = [
    ({"Type": None}, 20001),  # None: the parameter is left out
    ({"Type": "fax"}, 20001),
    ({"Address": None}, 20001),
    ({"Address": ""}, 20001),
    ({"Address": "15550001111"}, 20001),  # sms: E.164 (a leading +) or a short code
    ({"Address": "+0155500011"}, 20001),
    ({"Address": "+1555000111122233"}, 20001),  # 16 digits
    ({"Address": "whatsapp:+15550001111"}, 20001),  # Type sms
    ({"Type": "whatsapp", "Address": "whatsapp:5550001111"}, 20001),
    ({"Type": "whatsapp", "Address": "12345"}, 20001),  # no WhatsApp short codes
    ({"AddressCountry": "Canada"}, 20001),
    ({"FriendlyName": "x" * 257}, 20001),
    ({"AutoCreation.Enabled": "maybe"}, 20001),
    ({"AutoCreation.Type": "bot"}, 20001),
    ({"AutoCreation.ConversationServiceSid": "IS123"}, 20001),
    ({"AutoCreation.ConversationServiceSid": "IS" + "0" * 32}, 50050),
    ({"AutoCreation.Type": "webhook", "AutoCreation.WebhookFilters": "onMessageAdded"}, 50369),
    ({"AutoCreation.Type": "webhook", "AutoCreation.WebhookUrl": "https://x.io"}, 50370),
    ({"AutoCreation.WebhookUrl": "ftp://x.io"}, 50369),
    ({"AutoCreation.WebhookUrl": "https://x.io/" + "a" * 512}, 50372),
    ({"AutoCreation.WebhookMethod": "PUT"}, 20001),
    ({"AutoCreation.WebhookFilters": ["onMessageAdded", "onEverything"]}, 50365),
    ({"AutoCreation.Type": "studio"}, 50367),
    ({"AutoCreation.StudioFlowSid": "FW1"}, 50367),
    ({"AutoCreation.StudioRetryCount": "-1"}, 20001),
    ({"AutoCreation.StudioRetryCount": "many"}, 20001),
]


@pytest.mark.parametrize(("extra", "code"), INVALID_CREATES)
def test_invalid_values_are_refused_and_nothing_is_written(
    tenant: Tenant, extra: dict[str, Any], code: int
) -> None:
    data = {"Type": "sms", "Address": "+15550001111", **extra}
    sent = {name: value for name, value in data.items() if value is not None}
    assert_twilio_error(tenant.api.post(PATH, sent), 400, code)
    assert addresses(tenant) == []


def test_an_update_must_leave_it_whole(tenant: Tenant) -> None:
    created = tenant.api.post(
        PATH,
        {
            "Type": "sms",
            "Address": "+15551230006",
            "AutoCreation.Type": "webhook",
            "AutoCreation.WebhookUrl": "https://example.com",
            "AutoCreation.WebhookFilters": "onMessageAdded",
        },
    ).json()
    url = created["url"]
    assert_twilio_error(tenant.api.post(url, {"AutoCreation.WebhookUrl": ""}), 400, 50369)
    assert_twilio_error(tenant.api.post(url, {"AutoCreation.Type": "studio"}), 400, 50367)
    assert_twilio_error(tenant.api.post(url, {"AutoCreation.WebhookFilters": "x"}), 400, 50365)
    assert tenant.api.get(url).json() == created
    # Type and Address are fixed at creation: the update request has neither
    same = tenant.api.post(url, {"Type": "whatsapp", "Address": "+1", "FriendlyName": "F"}).json()
    assert (same["type"], same["address"], same["friendly_name"]) == ("sms", "+15551230006", "F")


def test_private_webhook_urls_are_refused_with_deny_private_targets(database_url: str) -> None:
    with app_and_receiver(database_url, deny_private_targets=True) as (server, _):
        api = Api(server)
        data = {
            "Type": "sms",
            "Address": "+15551230007",
            "AutoCreation.Type": "webhook",
            "AutoCreation.WebhookFilters": "onMessageAdded",
        }
        refused = api.post(PATH, {**data, "AutoCreation.WebhookUrl": "http://10.0.0.1/hook"})
        assert "--deny-private-targets" in assert_twilio_error(refused, 400, 50369)["message"]
        assert api.get(PATH).json()["address_configurations"] == []
        public = {**data, "AutoCreation.WebhookUrl": "http://93.184.216.34/hook"}
        created = api.post(PATH, public)
        assert created.status_code == 201, created.text
        moved = api.post(created.json()["url"], {"AutoCreation.WebhookUrl": "http://10.0.0.2/"})
        assert_twilio_error(moved, 400, 50369)


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("sms", "+15551230101"),
        ("sms", "12345"),  # a short code, for which AddressCountry is meant
        ("whatsapp", "whatsapp:+15551230102"),
        ("whatsapp", "+15551230103"),
        ("messenger", "messenger:1234567"),  # other channels' ids are not phone numbers
    ],
)
def test_addresses_of_each_channel_are_accepted(tenant: Tenant, kind: str, address: str) -> None:
    created = tenant.api.post(PATH, {"Type": kind, "Address": address})
    assert created.status_code == 201, created.text
    assert addresses(tenant) == [address]
