"""Push credentials (/v1/Credentials) through twilio-python and raw HTTP."""

import re
from typing import Any

import pytest
from sqlalchemy import Connection
from twilio.base.exceptions import TwilioRestException

from chinwag.store.credentials import Credential, get_credential
from tests.conftest import assert_twilio_error
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

SID = re.compile(r"^CR[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PATH = "/v1/Credentials"
# The spec's conversations.v1.credential: no Certificate, PrivateKey, ApiKey or Secret.
KEYS = {"sid", "account_sid", "friendly_name", "type", "sandbox"}
KEYS |= {"date_created", "date_updated", "url"}
CERTIFICATE = (
    "-----BEGIN CERTIFICATE-----\nMIIFnTCCBIWgAwIBAgIIAjy9H849+E8w\n-----END CERTIFICATE-----"
)
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAuyf\n-----END RSA PRIVATE KEY-----"


def stored(server: AppServer, tenant: Tenant, sid: str) -> Credential:
    def read(conn: Connection) -> Credential | None:
        return get_credential(conn, tenant.sid, sid)

    found = on_database(server.database_url, read)
    assert found is not None
    return found


def test_credential_has_the_documented_shape_and_hides_its_secrets(
    tenant: Tenant, app_server: AppServer
) -> None:
    response = tenant.api.post(
        PATH,
        {
            "Type": "apn",
            "FriendlyName": "iOS",
            "Certificate": CERTIFICATE,
            "PrivateKey": PRIVATE_KEY,
            "Sandbox": "true",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == KEYS
    assert SID.match(body["sid"]) and body["account_sid"] == tenant.sid
    assert (body["type"], body["friendly_name"], body["sandbox"]) == ("apn", "iOS", "True")
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    assert body["url"] == f"{tenant.api.base}{PATH}/{body['sid']}"
    assert "BEGIN" not in response.text
    assert tenant.api.get(body["url"]).json() == body
    # stored as given, for push delivery chinwag does not do
    kept = stored(app_server, tenant, body["sid"])
    assert (kept.certificate, kept.private_key) == (CERTIFICATE, PRIVATE_KEY)
    assert kept.api_key is None and kept.secret is None


def test_lifecycle_through_twilio_python(tenant: Tenant, app_server: AppServer) -> None:
    scope = tenant.client.conversations.v1.credentials
    created = scope.create(type="FcM", friendly_name="Android", secret="server-key")
    assert SID.match(created.sid)
    assert (created.type, created.friendly_name, created.sandbox) == ("fcm", "Android", "False")
    assert created.date_created.tzinfo is not None
    assert scope(created.sid).fetch().friendly_name == "Android"

    updated = scope(created.sid).update(friendly_name="Android 2", secret="rotated")
    assert (updated.friendly_name, updated.type) == ("Android 2", "fcm")
    assert stored(app_server, tenant, created.sid).secret == "rotated"
    assert [c.sid for c in scope.list()] == [created.sid]

    assert scope(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        scope(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert scope.list() == []


def test_another_account_cannot_see_or_change_it(tenant: Tenant, app_server: AppServer) -> None:
    created = tenant.api.post(PATH, {"Type": "gcm", "ApiKey": "key"}).json()
    other = new_tenant(app_server).api
    url = f"{PATH}/{created['sid']}"
    assert_twilio_error(other.get(url), 404, 20404)
    assert_twilio_error(other.post(url, {"FriendlyName": "mine"}), 404, 20404)
    assert_twilio_error(other.delete(url), 404, 20404)
    assert other.get(PATH).json()["credentials"] == []
    assert tenant.api.get(url).json() == created
    assert_twilio_error(tenant.api.get(f"{PATH}/CR123"), 404, 20404)


def test_list_pages(tenant: Tenant) -> None:
    for n in range(3):
        tenant.api.post(PATH, {"Type": "apn", "FriendlyName": f"c{n}"})
    page = tenant.api.get(PATH, params={"PageSize": 2}).json()
    assert [c["friendly_name"] for c in page["credentials"]] == ["c0", "c1"]
    assert page["meta"]["key"] == "credentials" and page["meta"]["page_size"] == 2
    following = tenant.api.get(page["meta"]["next_page_url"]).json()
    assert [c["friendly_name"] for c in following["credentials"]] == ["c2"]
    assert tenant.api.get(PATH, params={"PageSize": 500}).json()["meta"]["page_size"] == 100
    listed = tenant.client.conversations.v1.credentials.list(page_size=1)
    assert [c.friendly_name for c in listed] == ["c0", "c1", "c2"]


INVALID: list[tuple[dict[str, Any], int]] = [
    ({"FriendlyName": "no type"}, 20001),
    ({"Type": "webpush"}, 70105),
    ({"Type": "apn", "FriendlyName": "x" * 65}, 20001),
    ({"Type": "apn", "Sandbox": "sometimes"}, 20001),
]


@pytest.mark.parametrize(("data", "code"), INVALID)
def test_invalid_values_are_refused_and_nothing_is_written(
    tenant: Tenant, data: dict[str, Any], code: int
) -> None:
    assert_twilio_error(tenant.api.post(PATH, data), 400, code)
    assert tenant.api.get(PATH).json()["credentials"] == []


def test_an_invalid_update_changes_nothing(tenant: Tenant) -> None:
    created = tenant.api.post(PATH, {"Type": "apn", "FriendlyName": "kept"}).json()
    assert_twilio_error(tenant.api.post(created["url"], {"Type": "sms"}), 400, 70105)
    assert_twilio_error(
        tenant.api.post(created["url"], {"FriendlyName": "new", "Sandbox": "yes"}), 400, 20001
    )
    assert tenant.api.get(created["url"]).json() == created
