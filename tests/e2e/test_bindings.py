"""Push bindings: registered with chinwag's own POST, read and deleted through Twilio's API."""

import re
from typing import Any

from twilio.rest import Client

from tests.conftest import Api, assert_twilio_error, other_account
from tests.databases import run_sql
from tests.inprocess import AppServer

SID = re.compile(r"^BS[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CREDENTIAL = "CR" + "c" * 32
KEYS = {"sid", "account_sid", "chat_service_sid", "credential_sid", "date_created"}
KEYS |= {"date_updated", "endpoint", "identity", "binding_type", "message_types", "url"}
ALL_TYPES = ["new_message", "added_to_conversation", "removed_from_conversation"]


def new_service(client: Client, name: str = "bindings") -> str:
    sid: str = client.conversations.v1.services.create(friendly_name=name).sid
    return sid


def register(api: Api, service: str, identity: str, kind: str, address: str, **more: Any) -> Any:
    registration = {"Identity": identity, "BindingType": kind, "Address": address, **more}
    return api.post(f"/chinwag/v1/Services/{service}/Bindings", registration)


def test_binding_has_the_documented_shape(api: Api, client: Client) -> None:
    service = new_service(client)
    response = register(
        api,
        service,
        "alice",
        "apn",
        "device-token-1",
        CredentialSid=CREDENTIAL,
        MessageTypes=["new_message", "added_to_conversation"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == KEYS
    assert SID.match(body["sid"])
    assert (body["identity"], body["binding_type"], body["endpoint"]) == (
        "alice",
        "apn",
        "device-token-1",
    )
    assert body["credential_sid"] == CREDENTIAL and body["chat_service_sid"] == service
    assert body["message_types"] == ["new_message", "added_to_conversation"]
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    assert body["url"] == f"{api.base}/v1/Services/{service}/Bindings/{body['sid']}"
    assert api.get(body["url"]).json() == body


def test_bindings_through_twilio_python(api: Api, client: Client) -> None:
    service = new_service(client)
    first = register(api, service, "alice", "fcm", "token-a").json()
    register(api, service, "bob", "apn", "token-b", CredentialSid=CREDENTIAL)
    scope = client.conversations.v1.services(service).bindings
    listed = scope.list()
    assert [(b.identity, b.binding_type, b.endpoint) for b in listed] == [
        ("alice", "fcm", "token-a"),
        ("bob", "apn", "token-b"),
    ]
    assert listed[0].message_types == ALL_TYPES  # none given: every push type
    assert listed[0].credential_sid is None and listed[1].credential_sid == CREDENTIAL
    fetched = scope(first["sid"]).fetch()
    assert (fetched.sid, fetched.identity) == (first["sid"], "alice")
    assert fetched.date_created.tzinfo is not None
    assert scope(first["sid"]).delete() is True
    assert [b.identity for b in scope.list()] == ["bob"]
    assert_twilio_error(api.get(first["url"]), 404, 20404)


def test_list_filters_on_repeated_types_and_identities(api: Api, client: Client) -> None:
    service = new_service(client)
    register(api, service, "alice", "apn", "a-apn")
    register(api, service, "alice", "fcm", "a-fcm")
    register(api, service, "bob", "gcm", "b-gcm")
    register(api, service, "carol", "fcm", "c-fcm")
    scope = client.conversations.v1.services(service).bindings

    def endpoints(**filters: Any) -> list[str]:
        return [b.endpoint for b in scope.list(**filters)]

    assert endpoints(binding_type=["fcm"]) == ["a-fcm", "c-fcm"]
    assert endpoints(binding_type=["apn", "gcm"]) == ["a-apn", "b-gcm"]
    assert endpoints(identity=["alice", "carol"]) == ["a-apn", "a-fcm", "c-fcm"]
    assert endpoints(binding_type=["fcm"], identity=["alice"]) == ["a-fcm"]
    assert endpoints(binding_type=["twilsock"]) == []  # in the spec's enum; never registered
    assert endpoints(identity=["nobody"]) == []

    # the filters, repeated, travel with the paging links
    path = f"/v1/Services/{service}/Bindings"
    query = [("Identity", "alice"), ("Identity", "carol"), ("PageSize", "2")]
    page = api.get(path, params=query).json()
    assert [b["endpoint"] for b in page["bindings"]] == ["a-apn", "a-fcm"]
    assert page["meta"]["key"] == "bindings"
    assert "Identity=alice&Identity=carol" in page["meta"]["next_page_url"]
    following = api.get(page["meta"]["next_page_url"]).json()
    assert [b["endpoint"] for b in following["bindings"]] == ["c-fcm"]
    assert_twilio_error(api.get(path, params={"BindingType": "sms"}), 400, 20001)


def test_list_pages_at_most_a_hundred(api: Api, client: Client) -> None:
    service = new_service(client)
    for n in range(3):
        register(api, service, f"u{n}", "fcm", f"t{n}")
    path = f"/v1/Services/{service}/Bindings"
    page = api.get(path, params={"PageSize": 2}).json()
    assert [b["identity"] for b in page["bindings"]] == ["u0", "u1"]
    assert [b["identity"] for b in api.get(page["meta"]["next_page_url"]).json()["bindings"]] == [
        "u2"
    ]
    assert api.get(path, params={"PageSize": 500}).json()["meta"]["page_size"] == 100


def test_registering_an_address_again_replaces_its_binding(api: Api, client: Client) -> None:
    service = new_service(client)
    first = register(api, service, "alice", "fcm", "shared-device").json()
    again = register(api, service, "bob", "fcm", "shared-device", MessageTypes="new_message")
    assert again.status_code == 200, again.text
    replaced = again.json()
    assert replaced["sid"] == first["sid"] and replaced["identity"] == "bob"
    assert replaced["message_types"] == ["new_message"]
    assert replaced["date_created"] == first["date_created"]
    # the same address under another push technology is another binding
    assert register(api, service, "bob", "apn", "shared-device").status_code == 201
    listed = api.get(f"/v1/Services/{service}/Bindings").json()["bindings"]
    assert [(b["identity"], b["binding_type"]) for b in listed] == [("bob", "fcm"), ("bob", "apn")]


def test_invalid_registrations_are_refused_and_nothing_is_written(api: Api, client: Client) -> None:
    service = new_service(client)
    for bad in (
        {"BindingType": "fcm", "Address": "t"},  # no Identity
        {"Identity": "a", "Address": "t"},  # no BindingType
        {"Identity": "a", "BindingType": "sms", "Address": "t"},
        {"Identity": "a", "BindingType": "twilsock", "Address": "t"},
        {"Identity": "a", "BindingType": "fcm"},  # no Address
        {"Identity": "a" * 257, "BindingType": "fcm", "Address": "t"},
        {"Identity": "a", "BindingType": "fcm", "Address": "t", "CredentialSid": "CR1"},
        {"Identity": "a", "BindingType": "fcm", "Address": "t", "MessageTypes": "typing"},
    ):
        response = api.post(f"/chinwag/v1/Services/{service}/Bindings", bad)
        assert_twilio_error(response, 400, 20001)
    assert api.get(f"/v1/Services/{service}/Bindings").json()["bindings"] == []


def test_missing_bindings_and_services_are_404(api: Api, client: Client) -> None:
    service = new_service(client)
    for response in (
        api.get(f"/v1/Services/{service}/Bindings/BS{'0' * 32}"),
        api.get(f"/v1/Services/{service}/Bindings/nope"),
        api.delete(f"/v1/Services/{service}/Bindings/BS{'0' * 32}"),
    ):
        assert_twilio_error(response, 404, 20404)
    unknown = "IS" + "0" * 32
    assert_twilio_error(api.get(f"/v1/Services/{unknown}/Bindings"), 404, 20404)
    assert_twilio_error(register(api, unknown, "a", "fcm", "t"), 404, 20404)
    # a service's bindings are not another's
    other = new_service(client, "other")
    binding = register(api, other, "a", "fcm", "t").json()
    assert_twilio_error(api.get(f"/v1/Services/{service}/Bindings/{binding['sid']}"), 404, 20404)
    # Bindings exist only under a named service: no default-service family
    assert api.get("/v1/Bindings").status_code == 404


def test_deleting_the_user_or_service_removes_its_bindings(
    app_server: AppServer, api: Api, client: Client
) -> None:
    service = new_service(client)
    root = f"/v1/Services/{service}"
    api.post(f"{root}/Users", {"Identity": "alice"})
    gone = register(api, service, "alice", "fcm", "alice-phone").json()
    kept = register(api, service, "bob", "fcm", "bob-phone").json()
    assert api.delete(f"{root}/Users/alice").status_code == 204
    assert_twilio_error(api.get(gone["url"]), 404, 20404)
    assert api.get(f"{root}/Bindings").json()["bindings"] == [kept]

    assert api.delete(root).status_code == 204
    rows = "SELECT sid FROM bindings WHERE service_sid = :service"
    assert run_sql(app_server.database_url, rows, service=service) == []


def test_another_accounts_bindings_are_invisible(app_server: AppServer, api: Api) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "mine"}).json()["sid"]
    binding = register(api, service, "alice", "fcm", "t").json()
    intruder = other_account(app_server)
    assert_twilio_error(intruder.get(binding["url"]), 404, 20404)
    assert_twilio_error(intruder.get(f"/v1/Services/{service}/Bindings"), 404, 20404)
    assert_twilio_error(intruder.delete(binding["url"]), 404, 20404)
    assert_twilio_error(register(intruder, service, "eve", "fcm", "x"), 404, 20404)
    assert api.get(binding["url"]).json() == binding
