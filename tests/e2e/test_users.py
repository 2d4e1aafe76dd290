"""Conversation users through twilio-python and raw HTTP, on both path families."""

import re

from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error
from tests.e2e.families import Family, one_family
from tests.e2e.role_helpers import custom_role, default_roles

SID = re.compile(r"^US[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
WEBHOOK_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MISSING_ROLE = "RL" + "0" * 32
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
KEYS = {"sid", "account_sid", "chat_service_sid", "role_sid", "identity", "friendly_name"}
KEYS |= {"attributes", "is_online", "is_notifiable", "date_created", "date_updated"}
KEYS |= {"url", "links"}


def identities(api: Api, family: Family) -> list[str]:
    listed = api.get(f"{family.root}/Users", params={"PageSize": 50}).json()["users"]
    return [user["identity"] for user in listed]


def test_user_has_the_documented_shape(api: Api, family: Family) -> None:
    path = f"{family.root}/Users"
    body_in = {"Identity": "shape", "FriendlyName": "Shape", "Attributes": '{"a": 1}'}
    role = custom_role(api, family.root, "service")
    response = api.post(path, {**body_in, "RoleSid": role})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == KEYS
    assert SID.match(body["sid"])
    assert (body["identity"], body["friendly_name"], body["attributes"]) == (
        "shape",
        "Shape",
        '{"a": 1}',
    )
    assert body["role_sid"] == role
    assert body["chat_service_sid"].startswith("IS")
    if family.service_sid:
        assert body["chat_service_sid"] == family.service_sid
    assert body["is_online"] is None and body["is_notifiable"] is None
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    assert body["url"] == f"{api.base}{path}/{body['sid']}"
    assert body["links"] == {"user_conversations": f"{body['url']}/Conversations"}
    assert api.get(body["url"]).json() == body
    api.delete(body["url"])


def test_user_lifecycle_through_twilio_python(api: Api, family: Family) -> None:
    # Not an identity other tests give a participant: that would create the user (shared server).
    scope = family.scope.users
    role = custom_role(api, family.root, "service")
    created = scope.create(identity="ursula", friendly_name="Ursula")
    assert SID.match(created.sid)
    assert (created.identity, created.friendly_name, created.attributes) == (
        "ursula",
        "Ursula",
        "{}",
    )
    # the service's DefaultChatServiceRoleSid, "service user" unless changed
    assert created.role_sid == default_roles(api, family.root)["service user"]
    assert created.is_online is None
    assert created.date_created.tzinfo is not None

    assert scope(created.sid).fetch().identity == "ursula"
    # "This value can be either the `sid` or the `identity`" (spec)
    assert scope("ursula").fetch().sid == created.sid

    updated = scope("ursula").update(attributes='{"b": 2}', role_sid=role)
    assert (updated.attributes, updated.role_sid, updated.friendly_name) == (
        '{"b": 2}',
        role,
        "Ursula",
    )
    assert updated.identity == "ursula"
    assert created.sid in [user.sid for user in scope.list()]

    assert scope(created.sid).delete() is True
    assert created.sid not in [user.sid for user in scope.list()]


def test_list_pages_at_most_fifty(api: Api, client: Client) -> None:
    service = client.conversations.v1.services.create(friendly_name="many users").sid
    root = f"/v1/Services/{service}/Users"
    for n in range(3):
        api.post(root, {"Identity": f"u{n}"})
    page = api.get(root, params={"PageSize": 2}).json()
    assert [u["identity"] for u in page["users"]] == ["u0", "u1"]
    assert page["meta"]["key"] == "users" and page["meta"]["page_size"] == 2
    following = api.get(page["meta"]["next_page_url"]).json()
    assert [u["identity"] for u in following["users"]] == ["u2"]
    assert api.get(root, params={"PageSize": 500}).json()["meta"]["page_size"] == 50
    listed = client.conversations.v1.services(service).users.list()
    assert [u.identity for u in listed] == ["u0", "u1", "u2"]


def test_identity_is_unique_per_service(api: Api, client: Client) -> None:
    first = client.conversations.v1.services.create(friendly_name="one").sid
    second = client.conversations.v1.services.create(friendly_name="two").sid
    assert api.post(f"/v1/Services/{first}/Users", {"Identity": "dup"}).status_code == 201
    body = assert_twilio_error(
        api.post(f"/v1/Services/{first}/Users", {"Identity": "dup"}), 409, 50201
    )
    assert "'dup'" in body["message"]
    # another service has its own identities
    assert api.post(f"/v1/Services/{second}/Users", {"Identity": "dup"}).status_code == 201
    listed = api.get(f"/v1/Services/{first}/Users").json()["users"]
    assert [user["identity"] for user in listed] == ["dup"]


@one_family
def test_invalid_values_are_refused_and_nothing_is_written(api: Api, family: Family) -> None:
    path = f"{family.root}/Users"
    before = identities(api, family)
    assert_twilio_error(api.post(path, {"FriendlyName": "no identity"}), 400, 20001)
    assert_twilio_error(api.post(path, {"Identity": "x" * 257}), 400, 20001)
    assert_twilio_error(api.post(path, {"Identity": "bad", "RoleSid": "RL1"}), 400, 20001)
    assert_twilio_error(api.post(path, {"Identity": "bad", "RoleSid": MISSING_ROLE}), 400, 50100)
    conversation_role = custom_role(api, family.root, "conversation")
    refused = api.post(path, {"Identity": "bad", "RoleSid": conversation_role})
    assert "conversation role" in assert_twilio_error(refused, 400, 50100)["message"]
    assert_twilio_error(api.post(path, {"Identity": "bad", "Attributes": "{nope"}), 400, 50304)
    too_long = '{"a": "' + "x" * (16 * 1024) + '"}'
    assert_twilio_error(api.post(path, {"Identity": "bad", "Attributes": too_long}), 400, 50303)
    assert identities(api, family) == before

    user = api.post(path, {"Identity": "kept", "Attributes": '{"k": 1}'}).json()
    assert_twilio_error(api.post(user["url"], {"Attributes": "[oops"}), 400, 50304)
    assert_twilio_error(api.post(user["url"], {"RoleSid": "XX" + "a" * 32}), 400, 20001)
    assert_twilio_error(api.post(user["url"], {"RoleSid": MISSING_ROLE}), 400, 50100)
    assert api.get(user["url"]).json() == user
    api.delete(user["url"])


@one_family
def test_missing_users_and_services_are_404(api: Api, family: Family) -> None:
    missing = "US" + "0" * 32
    for response in (
        api.get(f"{family.root}/Users/{missing}"),
        api.get(f"{family.root}/Users/nobody"),
        api.post(f"{family.root}/Users/nobody", {"FriendlyName": "x"}),
        api.delete(f"{family.root}/Users/{missing}"),
    ):
        assert_twilio_error(response, 404, 20404)
    unknown = "IS" + "0" * 32
    assert_twilio_error(api.get(f"/v1/Services/{unknown}/Users"), 404, 20404)


def test_user_events_reach_the_service_webhook_only_with_the_header(
    api: Api, client: Client, webhook_receiver: WebhookReceiver
) -> None:
    service = client.conversations.v1.services.create(friendly_name="user events").sid
    root = f"/v1/Services/{service}"
    api.post(
        f"{root}/Configuration/Webhooks",
        {
            "PostWebhookUrl": webhook_receiver.url + "/users",
            "Filters": ["onUserAdded", "onUserUpdated"],
        },
    )
    # Without the header nothing is sent (the deliveries after these arrive first).
    quiet = api.post(f"{root}/Users", {"Identity": "quiet"}).json()
    api.post(quiet["url"], {"FriendlyName": "Quiet"})
    api.delete(quiet["url"], headers=ENABLED)  # no onUserRemoved exists

    role = custom_role(api, root, "service")
    created = api.post(
        f"{root}/Users",
        {"Identity": "dave", "FriendlyName": "Dave", "Attributes": '{"a": 1}', "RoleSid": role},
        headers=ENABLED,
    ).json()
    api.post(created["url"], {"FriendlyName": "David"}, headers=ENABLED)
    added, updated = webhook_receiver.wait_for(2)
    assert added.signature_valid and updated.signature_valid
    assert [name for name, _ in added.params] == [
        "EventType",
        "AccountSid",
        "ChatServiceSid",
        "UserSid",
        "Identity",
        "FriendlyName",
        "RoleSid",
        "Attributes",
        "DateCreated",
        "Source",
        "RetryCount",
    ]
    assert added.form["EventType"] == "onUserAdded"
    assert added.form["ChatServiceSid"] == service
    assert added.form["UserSid"] == created["sid"]
    assert (added.form["Identity"], added.form["FriendlyName"]) == ("dave", "Dave")
    assert (added.form["RoleSid"], added.form["Attributes"]) == (role, '{"a": 1}')
    assert WEBHOOK_DATE.match(added.form["DateCreated"])
    assert added.form["Source"] == "API"
    assert updated.form["EventType"] == "onUserUpdated"
    assert updated.form["FriendlyName"] == "David"
    assert WEBHOOK_DATE.match(updated.form["DateUpdated"])
    assert set(updated.form) == set(added.form) | {"DateUpdated"}
    assert "ConversationSid" not in updated.form and "isOnline" not in updated.form
    assert len(webhook_receiver.requests) == 2


def test_a_rejecting_pre_event_stops_the_update(
    api: Api, client: Client, webhook_receiver: WebhookReceiver
) -> None:
    service = client.conversations.v1.services.create(friendly_name="guarded users").sid
    root = f"/v1/Services/{service}"
    api.post(
        f"{root}/Configuration/Webhooks",
        {"PreWebhookUrl": webhook_receiver.url + "/pre", "Filters": ["onUserUpdate"]},
    )
    user = api.post(f"{root}/Users", {"Identity": "eve", "FriendlyName": "Eve"}).json()
    webhook_receiver.status = 403
    response = api.post(user["url"], {"FriendlyName": "Mallory"}, headers=ENABLED)
    body = assert_twilio_error(response, 403, 20403)
    assert "onUserUpdate" in body["message"]
    [asked] = webhook_receiver.wait_for(1)
    assert asked.signature_valid
    assert asked.form["EventType"] == "onUserUpdate"
    assert (asked.form["ChatServiceSid"], asked.form["UserSid"]) == (service, user["sid"])
    assert (asked.form["Identity"], asked.form["FriendlyName"]) == ("eve", "Mallory")
    assert "ConversationSid" not in asked.form
    assert api.get(user["url"]).json() == user  # nothing written
