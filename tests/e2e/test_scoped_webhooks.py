"""Conversation-scoped webhooks through twilio-python and raw HTTP, on both path families."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.conftest import Api, assert_twilio_error
from tests.e2e.families import Family, one_family

SEED_BODY = (
    "Target=webhook&Configuration.Url=https%3A%2F%2Fexample.com&Configuration.Method=get"
    "&Configuration.Filters=onMessageSent&Configuration.Filters=onConversationDestroyed"
    "&Configuration.ReplayAfter=7"
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FLOW_SID = "FW" + "0123456789abcdef" * 2


def new_conversation(family: Family) -> str:
    sid: str = family.scope.conversations.create(friendly_name="webhook test").sid
    return sid


def test_seed_request_returns_the_documented_shape(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    response = api.post(
        f"{family.root}/Conversations/{conversation}/Webhooks", SEED_BODY, headers=FORM
    )
    assert response.status_code == 201, response.text
    body = response.json()
    expected_keys = {"account_sid", "conversation_sid", "sid", "target", "configuration"}
    expected_keys |= {"date_created", "date_updated", "url"}
    if family.service_sid:
        expected_keys.add("chat_service_sid")
        assert body["chat_service_sid"] == family.service_sid
    assert set(body) == expected_keys
    assert re.fullmatch(r"WH[0-9a-f]{32}", body["sid"])
    assert body["conversation_sid"] == conversation
    assert body["target"] == "webhook"
    assert body["configuration"] == {
        "url": "https://example.com",
        "method": "get",
        "filters": ["onMessageSent", "onConversationDestroyed"],
    }
    assert DATE.match(body["date_created"]) and DATE.match(body["date_updated"])
    assert (
        body["url"]
        == f"{api.base}{family.root}/Conversations/{conversation}/Webhooks/{body['sid']}"
    )


def test_create_list_fetch_update_delete_through_twilio_python(family: Family) -> None:
    conversation = new_conversation(family)
    webhooks = family.scope.conversations(conversation).webhooks
    created = webhooks.create(
        target="webhook",
        configuration_url="https://example.com/hook",
        configuration_method="post",
        configuration_filters=["onMessageAdded", "onParticipantAdded"],
    )
    trigger = webhooks.create(
        target="trigger",
        configuration_url="http://127.0.0.1:9/trigger",
        configuration_triggers=["help", "urgent"],
    )
    studio = webhooks.create(target="studio", configuration_flow_sid=FLOW_SID)

    assert [w.sid for w in webhooks.list()] == [created.sid, trigger.sid, studio.sid]
    fetched = webhooks(created.sid).fetch()
    assert fetched.configuration == {
        "url": "https://example.com/hook",
        "method": "post",
        "filters": ["onMessageAdded", "onParticipantAdded"],
    }
    assert fetched.date_created.tzinfo is not None  # twilio-python parsed the date
    assert webhooks(trigger.sid).fetch().configuration == {
        "url": "http://127.0.0.1:9/trigger",
        "method": "post",
        "filters": ["help", "urgent"],  # Twilio echoes trigger keywords under "filters"
    }
    assert webhooks(studio.sid).fetch().configuration == {"flow_sid": FLOW_SID}

    updated = webhooks(created.sid).update(
        configuration_url="https://example.com/other",
        configuration_method="get",
        configuration_filters=["onMessageRemoved"],
    )
    assert updated.configuration == {
        "url": "https://example.com/other",
        "method": "get",
        "filters": ["onMessageRemoved"],
    }
    assert webhooks(trigger.sid).update(configuration_triggers=["sos"]).configuration[
        "filters"
    ] == ["sos"]
    other_flow = "FW" + "f" * 32
    assert webhooks(studio.sid).update(configuration_flow_sid=other_flow).configuration == {
        "flow_sid": other_flow
    }

    assert webhooks(created.sid).delete() is True
    assert [w.sid for w in webhooks.list()] == [trigger.sid, studio.sid]
    with pytest.raises(TwilioRestException) as missing:
        webhooks(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 50360)


def test_conversation_unique_name_works_in_the_webhook_path(family: Family) -> None:
    conversation = family.scope.conversations.create(unique_name="support-42")
    webhooks = family.scope.conversations("support-42").webhooks
    created = webhooks.create(target="studio", configuration_flow_sid=FLOW_SID)
    assert created.conversation_sid == conversation.sid
    assert webhooks(created.sid).fetch().sid == created.sid


@one_family
def test_replay_after_is_stored_and_the_configuration_survives_a_fetch(
    api: Api, family: Family
) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Webhooks"
    created = api.post(path, SEED_BODY, headers=FORM).json()
    fetched = api.get(f"{path}/{created['sid']}").json()
    assert fetched == created


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 50368),
        ({"Target": ""}, 50368),
        ({"Target": "email"}, 50364),
        ({"Target": "webhook", "Configuration.Filters": "onMessageAdded"}, 50369),
        (
            {
                "Target": "webhook",
                "Configuration.Url": "ftp://example.com",
                "Configuration.Filters": "onMessageAdded",
            },
            50369,
        ),
        (
            {
                "Target": "webhook",
                "Configuration.Url": "/relative",
                "Configuration.Filters": "onMessageAdded",
            },
            50369,
        ),
        (
            {
                "Target": "webhook",
                "Configuration.Url": "https://example.com/" + "x" * 600,
                "Configuration.Filters": "onMessageAdded",
            },
            50372,
        ),
        ({"Target": "webhook", "Configuration.Url": "https://example.com"}, 50370),
        (
            {
                "Target": "webhook",
                "Configuration.Url": "https://example.com",
                "Configuration.Filters": "onMessageAdd",
            },
            50365,
        ),
        (
            {
                "Target": "webhook",
                "Configuration.Url": "https://example.com",
                "Configuration.Filters": "onUserAdded",
            },
            50365,
        ),
        ({"Target": "trigger", "Configuration.Triggers": "help"}, 50369),
        ({"Target": "trigger", "Configuration.Url": "https://example.com"}, 50371),
        (
            {
                "Target": "trigger",
                "Configuration.Url": "https://example.com",
                "Configuration.Triggers": "",
            },
            50366,
        ),
        (
            {
                "Target": "trigger",
                "Configuration.Url": "https://example.com",
                "Configuration.Triggers": "k" * 249,
            },
            50366,
        ),
        (
            {
                "Target": "trigger",
                "Configuration.Url": "https://example.com",
                "Configuration.Triggers": ["a", "b", "c", "d", "e", "f"],
            },
            50362,
        ),
        ({"Target": "studio"}, 50367),
        ({"Target": "studio", "Configuration.FlowSid": "FW123"}, 50367),
        ({"Target": "studio", "Configuration.FlowSid": "XX" + "a" * 32}, 50367),
        (
            {
                "Target": "studio",
                "Configuration.FlowSid": FLOW_SID,
                "Configuration.ReplayAfter": "seven",
            },
            20001,
        ),
        (
            {
                "Target": "studio",
                "Configuration.FlowSid": FLOW_SID,
                "Configuration.ReplayAfter": "-1",
            },
            20001,
        ),
        (
            {
                "Target": "webhook",
                "Configuration.Url": "https://example.com",
                "Configuration.Filters": "onMessageAdded",
                "Configuration.Method": "put",
            },
            20001,
        ),
    ],
)
@one_family
def test_invalid_configuration_is_rejected_with_twilios_code(
    api: Api, family: Family, body: dict[str, object], code: int
) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Webhooks"
    assert_twilio_error(api.post(path, body), 400, code)
    assert api.get(path).json()["webhooks"] == []  # nothing half-written


@one_family
def test_values_at_the_limits_are_accepted(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Webhooks"
    url = "https://example.com/" + "x" * (512 - len("https://example.com/"))
    triggers = ["k" * 248, "b", "c", "d", "e"]
    body = {"Target": "trigger", "Configuration.Url": url, "Configuration.Triggers": triggers}
    created = api.post(
        path, {**body, "Configuration.Method": "POST", "Configuration.ReplayAfter": "0"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["configuration"] == {"url": url, "method": "post", "filters": triggers}


@one_family
def test_update_is_validated_against_the_target_and_leaves_the_webhook_unchanged(
    family: Family, api: Api
) -> None:
    conversation = new_conversation(family)
    webhooks = family.scope.conversations(conversation).webhooks
    created = webhooks.create(
        target="webhook",
        configuration_url="https://example.com",
        configuration_filters=["onMessageAdded"],
    )
    path = f"{family.root}/Conversations/{conversation}/Webhooks/{created.sid}"
    assert_twilio_error(api.post(path, {"Configuration.Filters": "onNothing"}), 400, 50365)
    assert_twilio_error(api.post(path, {"Configuration.Url": "mailto:x@example.com"}), 400, 50369)
    assert webhooks(created.sid).fetch().configuration == created.configuration


@one_family
def test_sixth_webhook_is_refused(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Webhooks"
    for _ in range(5):
        assert (
            api.post(path, {"Target": "studio", "Configuration.FlowSid": FLOW_SID}).status_code
            == 201
        )
    assert_twilio_error(
        api.post(path, {"Target": "studio", "Configuration.FlowSid": FLOW_SID}), 400, 50361
    )
    assert len(api.get(path).json()["webhooks"]) == 5


@one_family
def test_scoped_webhook_limit_is_five_even_under_concurrency(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Webhooks"
    start = threading.Barrier(20)

    def create(_: int) -> int:
        start.wait()
        response = requests.post(
            api.base + path, SEED_BODY, headers=FORM, auth=api.session.auth, timeout=10
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert statuses.count(201) == 5
    assert statuses.count(400) == 15
    listed = api.get(path, params={"PageSize": 5}).json()
    assert len(listed["webhooks"]) == 5 and listed["meta"]["next_page_url"] is None


@one_family
def test_unknown_conversation_and_webhook(api: Api, family: Family) -> None:
    missing_conversation = f"{family.root}/Conversations/CH{'0' * 32}/Webhooks"
    assert_twilio_error(api.get(missing_conversation), 404, 20404)
    assert_twilio_error(api.post(missing_conversation, SEED_BODY, headers=FORM), 404, 20404)
    conversation = new_conversation(family)
    base = f"{family.root}/Conversations/{conversation}/Webhooks"
    assert_twilio_error(api.get(f"{base}/WH{'0' * 32}"), 404, 50360)
    assert_twilio_error(
        api.post(f"{base}/WH{'0' * 32}", {"Configuration.Url": "https://x.io"}), 404, 50360
    )
    assert_twilio_error(api.delete(f"{base}/WH{'0' * 32}"), 404, 50360)
    assert_twilio_error(api.get(f"{base}/not-a-sid"), 404, 50363)


@one_family
def test_deleting_a_conversation_deletes_its_webhooks(api: Api, family: Family) -> None:
    conversation = family.scope.conversations.create(unique_name="short-lived")
    path = f"{family.root}/Conversations/{conversation.sid}/Webhooks"
    webhook = api.post(path, SEED_BODY, headers=FORM).json()
    assert family.scope.conversations(conversation.sid).delete() is True
    # A new conversation may reuse the unique name; the old webhooks are not visible anywhere.
    again = family.scope.conversations.create(unique_name="short-lived")
    assert_twilio_error(api.get(f"{path}/{webhook['sid']}"), 404, 20404)
    assert api.get(f"{family.root}/Conversations/{again.sid}/Webhooks").json()["webhooks"] == []


@one_family
def test_list_pages_at_most_five_and_caps_larger_page_sizes(api: Api, family: Family) -> None:
    conversation = new_conversation(family)
    path = f"{family.root}/Conversations/{conversation}/Webhooks"
    created = [api.post(path, SEED_BODY, headers=FORM).json()["sid"] for _ in range(5)]
    capped = api.get(path, params={"PageSize": 50}).json()
    assert capped["meta"]["page_size"] == 5
    assert [w["sid"] for w in capped["webhooks"]] == created
    first = api.get(path, params={"PageSize": 2}).json()
    second = api.get(first["meta"]["next_page_url"]).json()
    third = api.get(second["meta"]["next_page_url"]).json()
    assert [w["sid"] for w in first["webhooks"] + second["webhooks"] + third["webhooks"]] == created
    assert third["meta"]["next_page_url"] is None
    back = api.get(third["meta"]["previous_page_url"]).json()
    assert [w["sid"] for w in back["webhooks"]] == created[2:4]
