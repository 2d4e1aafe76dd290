"""Roles through twilio-python and raw HTTP, on both path families."""

import re
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.conftest import Api, assert_twilio_error, other_account
from tests.databases import run_sql
from tests.e2e.families import Family, one_family
from tests.e2e.role_helpers import custom_role, default_roles
from tests.inprocess import AppServer

SID = re.compile(r"^RL[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KEYS = {"sid", "account_sid", "chat_service_sid", "friendly_name", "type", "permissions"}
KEYS |= {"date_created", "date_updated", "url"}
CHANNEL_USER = [
    "sendMessage",
    "sendMediaMessage",
    "leaveConversation",
    "editNotificationLevel",
    "editOwnParticipantAttributes",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "deleteOwnMessage",
]


def roles(api: Api, root: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.get(f"{root}/Roles", params={"PageSize": 50}).json()["roles"]
    return listed


def test_every_service_starts_with_twilios_default_roles(api: Api, family: Family) -> None:
    found = roles(api, family.root)[:4]  # the default service may have others' roles after
    assert [(role["friendly_name"], role["type"]) for role in found] == [
        ("channel admin", "conversation"),
        ("channel user", "conversation"),
        ("service admin", "service"),
        ("service user", "service"),
    ]
    by_name = {role["friendly_name"]: role for role in found}
    assert by_name["channel user"]["permissions"] == CHANNEL_USER
    assert by_name["service user"]["permissions"] == [
        "createConversation",
        "joinConversation",
        "editOwnUserInfo",
    ]
    assert len(by_name["channel admin"]["permissions"]) == 18
    assert "sendMessage" in by_name["channel admin"]["permissions"]
    assert "editAnyUserInfo" in by_name["service admin"]["permissions"]
    # The service configuration names them.
    service = found[0]["chat_service_sid"]
    config = api.get(f"/v1/Services/{service}/Configuration").json()
    assert config["default_conversation_creator_role_sid"] == by_name["channel admin"]["sid"]
    assert config["default_conversation_role_sid"] == by_name["channel user"]["sid"]
    assert config["default_chat_service_role_sid"] == by_name["service user"]["sid"]


def test_role_has_the_documented_shape(api: Api, family: Family) -> None:
    path = f"{family.root}/Roles"
    body_in = {"FriendlyName": "Moderator", "Type": "conversation"}
    response = api.post(path, {**body_in, "Permission": ["sendMessage", "deleteAnyMessage"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == KEYS
    assert SID.match(body["sid"])
    assert (body["friendly_name"], body["type"]) == ("Moderator", "conversation")
    assert body["permissions"] == ["sendMessage", "deleteAnyMessage"]
    assert body["chat_service_sid"].startswith("IS")
    if family.service_sid:
        assert body["chat_service_sid"] == family.service_sid
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    assert body["url"] == f"{api.base}{path}/{body['sid']}"
    assert api.get(body["url"]).json() == body


def test_role_lifecycle_through_twilio_python(family: Family) -> None:
    scope = family.scope.roles
    created = scope.create(
        friendly_name="Agent", type="service", permission=["joinConversation", "editOwnUserInfo"]
    )
    assert SID.match(created.sid) and created.type == "service"
    assert created.permissions == ["joinConversation", "editOwnUserInfo"]
    assert created.date_created.tzinfo is not None

    assert scope(created.sid).fetch().friendly_name == "Agent"
    # "the update action replaces all previously assigned permissions" (spec)
    updated = scope(created.sid).update(permission=["createConversation"])
    assert updated.permissions == ["createConversation"]
    assert (updated.friendly_name, updated.type) == ("Agent", "service")
    assert updated.date_updated >= created.date_updated
    assert scope(created.sid).fetch().permissions == ["createConversation"]
    assert created.sid in [role.sid for role in scope.list()]

    assert scope(created.sid).delete() is True
    assert created.sid not in [role.sid for role in scope.list()]
    with pytest.raises(TwilioRestException) as missing:
        scope(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_a_permission_given_twice_is_kept_once_in_order(api: Api) -> None:
    body = {"FriendlyName": "dup", "Type": "conversation"}
    permissions = ["sendMessage", "leaveConversation", "sendMessage"]
    created = api.post("/v1/Roles", {**body, "Permission": permissions}).json()
    assert created["permissions"] == ["sendMessage", "leaveConversation"]


@one_family
def test_invalid_roles_are_refused_and_nothing_is_written(api: Api, family: Family) -> None:
    path = f"{family.root}/Roles"
    before = roles(api, family.root)
    good = {"FriendlyName": "ok", "Type": "conversation", "Permission": "sendMessage"}
    for body, code in (
        ({**good, "FriendlyName": ""}, 20001),
        ({"Type": "conversation", "Permission": "sendMessage"}, 20001),
        ({**good, "FriendlyName": "x" * 65}, 20001),
        ({"FriendlyName": "ok", "Permission": "sendMessage"}, 20001),
        ({**good, "Type": "channel"}, 50105),  # Programmable Chat's name is not Conversations'
        ({**good, "Type": "deployment"}, 50105),
        ({"FriendlyName": "ok", "Type": "conversation"}, 20001),
        ({**good, "Permission": ["sendMessage", "joinConversation"]}, 50104),  # service-only
        ({**good, "Type": "service", "Permission": "sendMessage"}, 50104),  # conversation-only
        ({**good, "Permission": "sendmessage"}, 50104),  # case-sensitive
    ):
        body_out = assert_twilio_error(api.post(path, body), 400, code)
        assert body_out["message"]
    assert roles(api, family.root) == before
    assert api.post(path, {**good, "FriendlyName": "x" * 64}).status_code == 201

    role = api.post(path, good).json()
    assert_twilio_error(api.post(role["url"], {}), 400, 20001)
    refused = api.post(role["url"], {"Permission": ["leaveConversation", "editAnyUserInfo"]})
    assert "'editAnyUserInfo'" in assert_twilio_error(refused, 400, 50104)["message"]
    assert api.get(role["url"]).json() == role


@one_family
def test_missing_roles_and_services_are_404(api: Api, family: Family) -> None:
    for sid in ("RL" + "0" * 32, "nonsense"):
        for response in (
            api.get(f"{family.root}/Roles/{sid}"),
            api.post(f"{family.root}/Roles/{sid}", {"Permission": "sendMessage"}),
            api.delete(f"{family.root}/Roles/{sid}"),
        ):
            assert_twilio_error(response, 404, 20404)
    assert_twilio_error(api.get(f"/v1/Services/IS{'0' * 32}/Roles"), 404, 20404)


def test_roles_belong_to_their_service(api: Api) -> None:
    first = api.post("/v1/Services", {"FriendlyName": "one"}).json()["sid"]
    second = api.post("/v1/Services", {"FriendlyName": "two"}).json()["sid"]
    role = custom_role(api, f"/v1/Services/{first}")
    assert_twilio_error(api.get(f"/v1/Services/{second}/Roles/{role}"), 404, 20404)
    assert_twilio_error(api.get(f"/v1/Roles/{role}"), 404, 20404)  # the default service
    assert role not in default_roles(api, f"/v1/Services/{second}").values()
    # ... and cannot be given in another service
    conversation = api.post(f"/v1/Services/{second}/Conversations", {}).json()["sid"]
    path = f"/v1/Services/{second}/Conversations/{conversation}/Participants"
    assert_twilio_error(api.post(path, {"Identity": "a", "RoleSid": role}), 400, 50109)


def test_list_pages_at_most_fifty(api: Api) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "many roles"}).json()["sid"]
    root = f"/v1/Services/{service}/Roles"
    for n in range(3):
        custom_role(api, f"/v1/Services/{service}", name=f"r{n}")
    page = api.get(root, params={"PageSize": 3}).json()
    assert [r["friendly_name"] for r in page["roles"]] == [
        "channel admin",
        "channel user",
        "service admin",
    ]
    assert page["meta"]["key"] == "roles" and page["meta"]["page_size"] == 3
    following = api.get(page["meta"]["next_page_url"]).json()
    assert [r["friendly_name"] for r in following["roles"]] == ["service user", "r0", "r1"]
    last = api.get(following["meta"]["next_page_url"]).json()
    assert [r["friendly_name"] for r in last["roles"]] == ["r2"]
    assert last["meta"]["next_page_url"] is None
    assert api.get(root, params={"PageSize": 500}).json()["meta"]["page_size"] == 50


def test_a_role_in_use_cannot_be_deleted(api: Api, family: Family) -> None:
    root = family.root
    conversation_role = custom_role(api, root)
    service_role = custom_role(api, root, "service")
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]
    participants = f"{root}/Conversations/{conversation}/Participants"
    participant = api.post(participants, {"Identity": "a", "RoleSid": conversation_role}).json()
    holder = {"Identity": "role holder", "RoleSid": service_role}
    user = api.post(f"{root}/Users", holder).json()

    refused = assert_twilio_error(api.delete(f"{root}/Roles/{conversation_role}"), 400, 20001)
    assert participant["sid"] in refused["message"]
    refused = assert_twilio_error(api.delete(f"{root}/Roles/{service_role}"), 400, 20001)
    assert user["sid"] in refused["message"]
    defaults = default_roles(api, root)
    for name in ("channel admin", "channel user", "service user"):  # the configuration's
        refused = assert_twilio_error(api.delete(f"{root}/Roles/{defaults[name]}"), 400, 20001)
        assert "configuration" in refused["message"]

    # Once nothing has it, it goes.
    api.post(
        f"{participants}/{participant['sid']}",
        {"RoleSid": default_roles(api, root)["channel user"]},
    )
    assert api.delete(f"{root}/Roles/{conversation_role}").status_code == 204
    api.delete(user["url"])
    assert api.delete(f"{root}/Roles/{service_role}").status_code == 204
    if family.service_sid:  # not in the default service other tests share
        admin = defaults["service admin"]  # the one default role nothing names
        assert api.delete(f"{root}/Roles/{admin}").status_code == 204


def test_another_accounts_roles_are_invisible(app_server: AppServer, api: Api) -> None:
    intruder = other_account(app_server)
    role = custom_role(api, "/v1", name="secret")
    service = api.get(f"/v1/Roles/{role}").json()["chat_service_sid"]
    for path in (f"/v1/Roles/{role}", f"/v1/Services/{service}/Roles/{role}"):
        assert_twilio_error(intruder.get(path), 404, 20404)
        assert_twilio_error(intruder.post(path, {"Permission": "leaveConversation"}), 404, 20404)
        assert_twilio_error(intruder.delete(path), 404, 20404)
    assert_twilio_error(intruder.get(f"/v1/Services/{service}/Roles"), 404, 20404)
    assert role not in [r["sid"] for r in roles(intruder, "/v1")]  # its own default service
    assert api.get(f"/v1/Roles/{role}").json()["permissions"] == ["sendMessage"]


def test_deleting_a_service_deletes_its_roles_and_configuration(
    api: Api, app_server: AppServer
) -> None:
    service = api.post("/v1/Services", {"FriendlyName": "doomed"}).json()["sid"]
    custom_role(api, f"/v1/Services/{service}")
    api.post(f"/v1/Services/{service}/Configuration/Notifications", {"LogEnabled": "true"})
    url = app_server.database_url
    for table in ("roles", "service_configurations", "service_notifications"):
        query = f"SELECT count(*) FROM {table} WHERE service_sid = '{service}'"
        assert run_sql(url, query) != [(0,)]
    assert api.delete(f"/v1/Services/{service}").status_code == 204
    for table in ("roles", "service_configurations", "service_notifications"):
        query = f"SELECT count(*) FROM {table} WHERE service_sid = '{service}'"
        assert run_sql(url, query) == [(0,)]
