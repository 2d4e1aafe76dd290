"""Conversation participants through twilio-python and raw HTTP, on both path families."""

import json
import re
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, customer_number, other_account
from tests.e2e.families import Family, one_family
from tests.e2e.role_helpers import custom_role, default_roles
from tests.inprocess import AppServer

SID = re.compile(r"^MB[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
WEBHOOK_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MISSING_ROLE = "RL" + "0" * 32
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
PROXY = "+15017122661"


def sms() -> dict[str, str]:
    """An SMS participant's binding with a customer number no open conversation holds."""
    return {"MessagingBinding.Address": customer_number(), "MessagingBinding.ProxyAddress": PROXY}


def new_conversation(family: Family) -> str:
    sid: str = family.scope.conversations.create(friendly_name="participant test").sid
    return sid


def listed(api: Api, path: str) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = api.get(path, params={"PageSize": 100}).json()["participants"]
    return body


def test_sms_participant_has_the_documented_shape(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Participants"
    binding, role = sms(), custom_role(api, family.root)
    response = api.post(path, {**binding, "Attributes": '{ "role": "driver" }', "RoleSid": role})
    assert response.status_code == 201, response.text
    body = response.json()
    expected_keys = {"account_sid", "conversation_sid", "sid", "identity", "attributes"}
    expected_keys |= {"messaging_binding", "role_sid", "date_created", "date_updated", "url"}
    expected_keys |= {"last_read_message_index", "last_read_timestamp"}
    if family.service_sid:
        expected_keys.add("chat_service_sid")
        assert body["chat_service_sid"] == family.service_sid
    assert set(body) == expected_keys
    assert SID.match(body["sid"])
    assert body["conversation_sid"] == conversation
    assert body["identity"] is None
    assert body["attributes"] == '{ "role": "driver" }'
    assert body["messaging_binding"] == {
        "type": "sms",
        "address": binding["MessagingBinding.Address"],
        "proxy_address": PROXY,
    }
    assert body["role_sid"] == role
    assert DATE.match(body["date_created"]) and body["date_created"] == body["date_updated"]
    assert body["url"] == f"{api.base}{path}/{body['sid']}"
    assert body["last_read_message_index"] is None and body["last_read_timestamp"] is None
    assert api.get(body["url"]).json() == body


def test_chat_participant_through_twilio_python(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    role = custom_role(api, family.root)
    participants = family.scope.conversations(conversation).participants
    created = participants.create(identity="alice", attributes='{"a": 1}')
    assert SID.match(created.sid)
    assert created.identity == "alice"
    assert created.messaging_binding is None
    # the service's DefaultConversationRoleSid, "channel user" unless changed
    assert created.role_sid == default_roles(api, family.root)["channel user"]
    assert created.date_created.tzinfo is not None  # twilio-python parsed the date

    assert participants(created.sid).fetch().identity == "alice"
    # "Alternatively, you can pass a Participant's `identity` rather than the SID." (spec)
    assert participants("alice").fetch().sid == created.sid

    updated = participants(created.sid).update(
        attributes='{"a": 2}', role_sid=role, last_read_message_index=4
    )
    assert (updated.attributes, updated.role_sid) == ('{"a": 2}', role)
    assert updated.last_read_message_index == 4
    assert updated.identity == "alice"

    bob = participants.create(identity="bob")
    assert [p.sid for p in participants.list()] == [created.sid, bob.sid]
    assert participants(created.sid).delete() is True
    assert [p.sid for p in participants.list()] == [bob.sid]
    with pytest.raises(TwilioRestException) as missing:
        participants(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


@one_family
def test_group_mms_participant_and_whatsapp_binding(family: Family) -> None:
    participants = family.scope.conversations(new_conversation(family)).participants
    gmms = participants.create(identity="carol", messaging_binding_projected_address="+15017122661")
    assert gmms.messaging_binding == {"type": "sms", "projected_address": "+15017122661"}
    whatsapp = participants.create(
        messaging_binding_address="whatsapp:+15558675310",
        messaging_binding_proxy_address="whatsapp:+15017122661",
    )
    assert whatsapp.messaging_binding == {
        "type": "whatsapp",
        "address": "whatsapp:+15558675310",
        "proxy_address": "whatsapp:+15017122661",
    }
    bare = participants.create(messaging_binding_address="+15550000001")
    assert bare.messaging_binding == {"type": "sms", "address": "+15550000001"}
    assert bare.attributes == "{}"


@one_family
def test_dates_may_be_given(api: Api, family: Family) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    body = api.post(
        path,
        {
            "Identity": "dated",
            "DateCreated": "2015-12-16T22:18:37Z",
            "DateUpdated": "2015-12-16T22:18:38Z",
        },
    ).json()
    assert (body["date_created"], body["date_updated"]) == (
        "2015-12-16T22:18:37Z",
        "2015-12-16T22:18:38Z",
    )
    changed = api.post(f"{path}/{body['sid']}", {"DateUpdated": "2016-01-01T00:00:00Z"}).json()
    assert (changed["date_created"], changed["date_updated"]) == (
        "2015-12-16T22:18:37Z",
        "2016-01-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 20001),
        ({"Attributes": "{}"}, 20001),
        ({"MessagingBinding.ProxyAddress": "+15017122661"}, 20001),
        ({"Identity": "x" * 257}, 20001),
        ({"Identity": "dora", "RoleSid": "RL123"}, 20001),
        ({"Identity": "dora", "RoleSid": "XX" + "a" * 32}, 20001),
        ({"Identity": "dora", "DateCreated": "yesterday"}, 20001),
        ({"Identity": "dora", "Attributes": "{not json"}, 50304),
        ({"Identity": "dora", "MessagingBinding.Address": "+15558675310"}, 50211),
        ({"Identity": "dora", "MessagingBinding.ProxyAddress": "+15017122661"}, 50211),
        ({"MessagingBinding.Address": ""}, 50411),
        ({"MessagingBinding.Address": "+15558675310", "MessagingBinding.ProxyAddress": ""}, 50412),
        (
            {
                "MessagingBinding.Address": "+15558675310",
                "MessagingBinding.ProxyAddress": "+15558675310",
            },
            50409,
        ),
    ],
)
@one_family
def test_invalid_create_is_rejected_and_nothing_is_written(
    api: Api, family: Family, body: dict[str, str], code: int
) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    assert_twilio_error(api.post(path, body), 400, code)
    assert listed(api, path) == []


@one_family
def test_values_at_the_limits_are_accepted(api: Api, family: Family) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    role = custom_role(api, family.root)
    created = api.post(path, {"Identity": "x" * 256, "RoleSid": role})
    assert created.status_code == 201, created.text
    assert created.json()["identity"] == "x" * 256


@one_family
def test_duplicates_conflict_with_409_and_nothing_is_written(api: Api, family: Family) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    first = api.post(path, {"Identity": "erin"}).json()
    pair = sms()
    texting = api.post(path, pair).json()
    again = assert_twilio_error(api.post(path, {"Identity": "erin"}), 409, 50433)
    # Twilio's title first, word for word: apps match on it (`indexOf`).
    assert again["message"].startswith("Participant already exists: ")
    assert "'erin'" in again["message"]
    assert_twilio_error(api.post(path, pair), 409, 50416)
    other_proxy = {**pair, "MessagingBinding.ProxyAddress": "+15017120000"}
    assert_twilio_error(api.post(path, other_proxy), 409, 50416)
    assert [p["sid"] for p in listed(api, path)] == [first["sid"], texting["sid"]]
    # An identity is unique per conversation; an address pair per account (next test).
    elsewhere = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    assert api.post(elsewhere, {"Identity": "erin"}).status_code == 201
    assert api.post(elsewhere, other_proxy).status_code == 201


@one_family
def test_update_rules_and_nothing_half_written(api: Api, family: Family) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    chat = api.post(path, {"Identity": "frank", "Attributes": '{"v": 1}'}).json()
    texting = api.post(path, sms()).json()
    chat_path, sms_path = f"{path}/{chat['sid']}", f"{path}/{texting['sid']}"
    refused = [
        (chat_path, {"Attributes": "nope", "RoleSid": custom_role(api, family.root)}, 400, 50304),
        (chat_path, {"RoleSid": "RL1", "Attributes": '{"v": 2}'}, 400, 20001),
        (chat_path, {"RoleSid": MISSING_ROLE, "Attributes": '{"v": 2}'}, 400, 50109),
        (chat_path, {"LastReadMessageIndex": "-1", "Attributes": '{"v": 2}'}, 400, 20001),
        (chat_path, {"LastReadMessageIndex": "three"}, 400, 20001),
        (chat_path, {"Identity": "someone-else", "Attributes": '{"v": 2}'}, 400, 50444),
        (chat_path, {"MessagingBinding.ProxyAddress": "+15017122661"}, 400, 50441),
        (sms_path, {"Identity": "frank"}, 400, 50444),
        (
            sms_path,
            {"MessagingBinding.ProxyAddress": texting["messaging_binding"]["address"]},
            400,
            50409,
        ),
        (sms_path, {"DateUpdated": "soon", "Attributes": '{"v": 2}'}, 400, 20001),
    ]
    for url, body, status, code in refused:
        assert_twilio_error(api.post(url, body), status, code)
    assert api.get(chat_path).json() == chat
    assert api.get(sms_path).json() == texting


@one_family
def test_update_sets_and_clears_nullable_values(api: Api, family: Family) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    binding = sms()
    url = f"{path}/{api.post(path, binding).json()['sid']}"
    read = api.post(
        url, {"LastReadMessageIndex": "0", "LastReadTimestamp": "2024-01-01T00:00:00Z"}
    ).json()
    assert read["last_read_message_index"] == 0
    assert read["last_read_timestamp"] == "2024-01-01T00:00:00Z"
    assert read["identity"] is None
    cleared = api.post(url, {"LastReadMessageIndex": "", "LastReadTimestamp": ""}).json()
    assert cleared["last_read_message_index"] is None and cleared["last_read_timestamp"] is None
    moved = api.post(url, {"MessagingBinding.ProxyAddress": "+15017120000"}).json()
    assert moved["messaging_binding"]["proxy_address"] == "+15017120000"
    # "'null' value will remove it." (spec)
    removed = api.post(url, {"MessagingBinding.ProxyAddress": "null"}).json()
    address = binding["MessagingBinding.Address"]
    assert removed["messaging_binding"] == {"type": "sms", "address": address}
    reset = api.post(url, {"Attributes": ""}).json()
    assert reset["attributes"] == "{}"


def test_unknown_conversation_and_participant(api: Api, family: Family) -> None:
    missing = f"{family.root}/Conversations/CH{'0' * 32}/Participants"
    assert_twilio_error(api.get(missing), 404, 20404)
    assert_twilio_error(api.post(missing, {"Identity": "x"}), 404, 20404)
    assert_twilio_error(api.get(f"{missing}/MB{'0' * 32}"), 404, 20404)
    assert_twilio_error(api.delete(f"{missing}/MB{'0' * 32}"), 404, 20404)
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    api.post(path, {"Identity": "gina"})
    for unknown in (f"MB{'0' * 32}", "not-a-sid", "nobody"):
        body = assert_twilio_error(api.get(f"{path}/{unknown}"), 404, 20404)
        assert (
            body["message"]
            == f"The requested resource {path.removeprefix('/v1')}/{unknown} was not found"
        )
        assert_twilio_error(api.post(f"{path}/{unknown}", {"Attributes": "{}"}), 404, 20404)
        assert_twilio_error(api.delete(f"{path}/{unknown}"), 404, 20404)
    # Only fetch takes an identity in place of the SID (spec).
    assert api.get(f"{path}/gina").status_code == 200
    assert_twilio_error(api.post(f"{path}/gina", {"Attributes": "{}"}), 404, 20404)
    assert_twilio_error(api.delete(f"{path}/gina"), 404, 20404)


def test_a_conversation_unique_name_works_in_the_participant_path(family: Family) -> None:
    conversation = family.scope.conversations.create(unique_name=f"p-{family.name}")
    participants = family.scope.conversations(f"p-{family.name}").participants
    created = participants.create(identity="hank")
    assert created.conversation_sid == conversation.sid
    assert created.url.endswith(f"/Conversations/{conversation.sid}/Participants/{created.sid}")


@one_family
def test_deleting_a_conversation_deletes_its_participants(api: Api, family: Family) -> None:
    conversation = family.scope.conversations.create(unique_name=f"gone-{family.name}")
    path = f"{family.root}/Conversations/{conversation.sid}/Participants"
    participant = api.post(path, {"Identity": "ivan"}).json()
    assert family.scope.conversations(conversation.sid).delete() is True
    again = family.scope.conversations.create(unique_name=f"gone-{family.name}")
    assert_twilio_error(api.get(f"{path}/{participant['sid']}"), 404, 20404)
    again_path = f"{family.root}/Conversations/{again.sid}/Participants"
    assert listed(api, again_path) == []
    assert_twilio_error(api.get(f"{again_path}/{participant['sid']}"), 404, 20404)
    # The identity is free again in the new conversation.
    assert api.post(again_path, {"Identity": "ivan"}).status_code == 201


@one_family
def test_pagination_walks_every_participant_once(api: Api, family: Family) -> None:
    path = f"{family.root}/Conversations/{new_conversation(family)}/Participants"
    created = [api.post(path, {"Identity": f"p{i}"}).json()["sid"] for i in range(7)]
    default = api.get(path).json()
    assert default["meta"]["page_size"] == 50 and default["meta"]["key"] == "participants"
    assert api.get(path, params={"PageSize": 500}).json()["meta"]["page_size"] == 100
    seen, url, pages = [], f"{path}?PageSize=3", []
    while url:
        page = api.get(url).json()
        pages.append(page)
        seen += [p["sid"] for p in page["participants"]]
        url = page["meta"]["next_page_url"]
        assert url is None or url.startswith(f"{api.base}{path}?")
    assert seen == created
    back = api.get(pages[2]["meta"]["previous_page_url"]).json()
    assert [p["sid"] for p in back["participants"]] == created[3:6]
    assert_twilio_error(api.get(path, params={"PageToken": "bogus"}), 400, 21481)


def test_another_accounts_participants_are_invisible(app_server: AppServer, api: Api) -> None:
    intruder = other_account(app_server)
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    path = f"/v1/Conversations/{conversation}/Participants"
    participant = api.post(path, {"Identity": "secret"}).json()["sid"]

    assert_twilio_error(intruder.get(path), 404, 20404)
    assert_twilio_error(intruder.post(path, {"Identity": "mallory"}), 404, 20404)
    assert_twilio_error(intruder.get(f"{path}/{participant}"), 404, 20404)
    assert_twilio_error(intruder.post(f"{path}/{participant}", {"Attributes": "{}"}), 404, 20404)
    assert_twilio_error(intruder.delete(f"{path}/{participant}"), 404, 20404)
    assert [p["identity"] for p in listed(api, path)] == ["secret"]


def scoped_webhook(api: Api, conversation: str, url: str) -> None:
    body = {
        "Target": "webhook",
        "Configuration.Url": url,
        "Configuration.Filters": [
            "onParticipantAdded",
            "onParticipantUpdated",
            "onParticipantRemoved",
        ],
    }
    response = api.post(f"/v1/Conversations/{conversation}/Webhooks", body)
    assert response.status_code == 201, response.text


def test_changes_fire_participant_events_with_their_parameters(
    api: Api, webhook_receiver: WebhookReceiver, app_server: AppServer
) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    scoped_webhook(api, conversation, webhook_receiver.url + "/participants")
    path = f"/v1/Conversations/{conversation}/Participants"
    api.post(path, {"Identity": "silent"})  # no header: no event
    binding, role = sms(), custom_role(api, "/v1")
    texting = api.post(path, {**binding, "RoleSid": role}, headers=ENABLED).json()
    api.post(
        f"{path}/{texting['sid']}",
        {"Attributes": '{"seen": true}', "LastReadMessageIndex": "3"},
        headers=ENABLED,
    )
    api.delete(f"{path}/{texting['sid']}", headers=ENABLED)

    added, updated, removed = (r.form for r in webhook_receiver.wait_for(3))
    assert all(r.signature_valid for r in webhook_receiver.requests)
    assert added == {
        "EventType": "onParticipantAdded",
        "AccountSid": app_server.account_sid,
        "ConversationSid": conversation,
        "ParticipantSid": texting["sid"],
        "MessagingBinding.Type": "SMS",
        "MessagingBinding.Address": binding["MessagingBinding.Address"],
        "MessagingBinding.ProxyAddress": PROXY,
        "RoleSid": role,
        "Attributes": "{}",
        "DateCreated": added["DateCreated"],
        "Source": "API",
        "RetryCount": "0",
    }
    assert WEBHOOK_DATE.match(added["DateCreated"])
    assert updated["EventType"] == "onParticipantUpdated"
    assert updated["Attributes"] == '{"seen": true}'
    assert updated["LastReadMessageIndex"] == "3"
    assert WEBHOOK_DATE.match(updated["DateUpdated"])
    assert removed["EventType"] == "onParticipantRemoved"
    assert removed["ParticipantSid"] == texting["sid"]
    assert "Identity" not in added
    assert WEBHOOK_DATE.match(removed["DateUpdated"]) and WEBHOOK_DATE.match(removed["DateRemoved"])


def test_a_closed_conversation_takes_no_participant_changes_but_removals(
    client: Client,
) -> None:
    conversation = client.conversations.v1.conversations.create()
    kept = conversation.participants.create(identity="stays-on")
    leaving = conversation.participants.create(identity="leaving")
    conversation.update(state="closed")

    with pytest.raises(TwilioRestException) as added:
        conversation.participants.create(identity="late")
    with pytest.raises(TwilioRestException) as updated:
        conversation.participants(kept.sid).update(attributes='{"a": 1}')
    for failure in (added, updated):
        assert (failure.value.status, failure.value.code) == (400, 50377)
    assert conversation.participants(leaving.sid).delete()
    assert [p.identity for p in conversation.participants.list()] == ["stays-on"]
    assert conversation.participants(kept.sid).fetch().attributes == "{}"


def test_an_address_pair_is_held_by_one_open_conversation_of_the_account(
    client: Client, api: Api
) -> None:
    conversations = client.conversations.v1.conversations
    customer = customer_number()
    first = conversations.create()
    first.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=PROXY
    )
    second = conversations.create()
    with pytest.raises(TwilioRestException) as taken:
        second.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=PROXY
        )
    assert (taken.value.status, taken.value.code) == (409, 50416)
    assert "Participant and proxy address pair is already in use" in taken.value.msg
    # Another proxy number is another pair; so is the same pair in another account.
    second.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address="+15017120000"
    )
    with pytest.raises(TwilioRestException) as at_creation:
        client.conversations.v1.conversation_with_participants.create(
            participant=[
                json.dumps({"identity": "agent"}),
                json.dumps({"messaging_binding": {"address": customer, "proxy_address": PROXY}}),
            ]
        )
    assert (at_creation.value.status, at_creation.value.code) == (409, 50425)
    pairs_in_use = "Participant and proxy address pairs for one or more participants already in use"
    assert pairs_in_use in at_creation.value.msg

    first.update(state="inactive")  # inactive still holds it
    with pytest.raises(TwilioRestException):
        second.participants.create(
            messaging_binding_address=customer, messaging_binding_proxy_address=PROXY
        )
    first.update(state="closed")  # closed releases it
    third = conversations.create()
    third.participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=PROXY
    )
    third.delete()  # so does deleting the conversation
    conversations.create().participants.create(
        messaging_binding_address=customer, messaging_binding_proxy_address=PROXY
    )
