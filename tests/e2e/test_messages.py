"""Messages on both path families: CRUD, indexes, Order and paging, validation, events."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, other_account
from tests.databases import run_sql
from tests.e2e.families import Family, one_family
from tests.inprocess import AppServer

SID = re.compile(r"^IM[0-9a-f]{32}$")
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
MILLISECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UNKNOWN_MESSAGE = "IM" + "0" * 32


def new_conversation(api: Api, family: Family, **body: str) -> str:
    response = api.post(f"{family.root}/Conversations", body)
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def post_message(api: Api, root: str, conversation: str, **body: str) -> dict[str, Any]:
    response = api.post(f"{root}/Conversations/{conversation}/Messages", {"Body": "hi", **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def all_messages(api: Api, root: str, conversation: str) -> list[dict[str, Any]]:
    page = api.get(f"{root}/Conversations/{conversation}/Messages", params={"PageSize": 100})
    assert page.status_code == 200, page.text
    found: list[dict[str, Any]] = page.json()["messages"]
    return found


def add_participant(api: Api, root: str, conversation: str, identity: str) -> str:
    response = api.post(f"{root}/Conversations/{conversation}/Participants", {"Identity": identity})
    assert response.status_code == 201, response.text
    sid: str = response.json()["sid"]
    return sid


def test_create_fetch_update_delete(api: Api, family: Family) -> None:
    conversation = family.scope.conversations.create()
    messages = family.scope.conversations(conversation.sid).messages
    created = messages.create(author="alice", body="Hello", attributes='{"importance": "high"}')
    assert SID.match(created.sid)
    assert created.index == 0
    assert (created.author, created.body) == ("alice", "Hello")
    assert created.attributes == '{"importance": "high"}'
    assert created.media is None and created.delivery is None and created.content_sid is None
    assert created.participant_sid is None
    assert created.conversation_sid == conversation.sid
    assert created.account_sid == conversation.account_sid
    url = f"{api.base}{family.root}/Conversations/{conversation.sid}/Messages/{created.sid}"
    assert created.url == url
    assert created.links == {
        "delivery_receipts": f"{url}/Receipts",
        "channel_metadata": f"{url}/ChannelMetadata",
    }

    fetched = messages(created.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.index) == (created.sid, "Hello", 0)
    updated = messages(created.sid).update(body="Edited", author="bob")
    assert (updated.body, updated.author, updated.index) == ("Edited", "bob", 0)
    assert updated.attributes == created.attributes
    assert updated.date_created == created.date_created
    assert messages(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        messages(created.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_json_shape_follows_the_family(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    body = post_message(api, family.root, conversation)
    keys = {
        "account_sid", "conversation_sid", "sid", "index", "author", "body", "media",
        "attributes", "participant_sid", "date_created", "date_updated", "url", "delivery",
        "links", "content_sid",
    }  # fmt: skip
    if family.service_sid:
        assert body["chat_service_sid"] == family.service_sid
        keys.add("chat_service_sid")
    assert set(body) == keys


@one_family
def test_defaults_of_a_bare_message(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    created = post_message(api, family.root, conversation)
    assert created["author"] == "system"  # spec: "Defaults to `system`."
    assert created["attributes"] == "{}"
    assert created["participant_sid"] is None
    assert created["date_created"] == created["date_updated"]


@one_family
def test_dates_can_be_given(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    created = post_message(
        api,
        family.root,
        conversation,
        DateCreated="2015-12-16T22:18:37Z",
        DateUpdated="2015-12-16T22:18:38Z",
    )
    assert (created["date_created"], created["date_updated"]) == (
        "2015-12-16T22:18:37Z",
        "2015-12-16T22:18:38Z",
    )
    path = f"{family.root}/Conversations/{conversation}/Messages/{created['sid']}"
    updated = api.post(path, {"DateUpdated": "2016-01-01T00:00:00Z"}).json()
    assert updated["date_updated"] == "2016-01-01T00:00:00Z"
    assert updated["date_created"] == "2015-12-16T22:18:37Z"


def test_the_conversation_unique_name_works_in_the_path(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family, UniqueName=f"messages-{family.name}")
    created = post_message(api, family.root, f"messages-{family.name}")
    assert created["conversation_sid"] == conversation
    assert created["url"].endswith(f"/Conversations/{conversation}/Messages/{created['sid']}")


@one_family
def test_indexes_count_up_and_deleting_frees_none(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    first, second, third = (post_message(api, family.root, conversation) for _ in range(3))
    assert [m["index"] for m in (first, second, third)] == [0, 1, 2]
    root = f"{family.root}/Conversations/{conversation}/Messages"
    assert api.delete(f"{root}/{third['sid']}").status_code == 204
    assert api.delete(f"{root}/{second['sid']}").status_code == 204
    assert post_message(api, family.root, conversation)["index"] == 3
    assert [m["index"] for m in all_messages(api, family.root, conversation)] == [0, 3]
    other = new_conversation(api, family)
    assert post_message(api, family.root, other)["index"] == 0  # a counter per conversation


def test_concurrent_posts_get_every_index_once(app_server: AppServer, api: Api) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    url = f"{app_server.url}/v1/Conversations/{conversation}/Messages"

    def post(i: int) -> int:
        response = requests.post(url, data={"Body": f"m{i}"}, auth=app_server.auth, timeout=10)
        assert response.status_code == 201, response.text
        index: int = response.json()["index"]
        return index

    with ThreadPoolExecutor(max_workers=30) as pool:
        indexes = list(pool.map(post, range(30)))
    assert sorted(indexes) == list(range(30))
    listed = all_messages(api, "/v1", conversation)
    assert [m["index"] for m in listed] == list(range(30))


@one_family
def test_order_and_paging_walk_every_message_once(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    created = [post_message(api, family.root, conversation, Body=f"m{i}")["sid"] for i in range(7)]
    root = f"{family.root}/Conversations/{conversation}/Messages"

    def walk(order: str | None) -> list[str]:
        params = f"?PageSize=3&Order={order}" if order else "?PageSize=3"
        seen, url, pages = [], f"{root}{params}", 0
        while url:
            page = api.get(url).json()
            seen += [m["sid"] for m in page["messages"]]
            assert page["meta"]["key"] == "messages" and page["meta"]["page"] == pages
            if order:
                assert f"Order={order}" in page["meta"]["url"]
            url = page["meta"]["next_page_url"]
            assert url is None or url.startswith(api.base)
            pages += 1
        assert pages == 3
        return seen

    assert walk(None) == created
    assert walk("asc") == created
    assert walk("desc") == created[::-1]
    mixed_case = api.get(root, params={"Order": "DeSc", "PageSize": 2}).json()  # spec examples
    assert [m["sid"] for m in mixed_case["messages"]] == created[:-3:-1]
    last_page = api.get(root, params={"Order": "desc", "PageSize": 3, "Page": 2}).json()
    back = api.get(last_page["meta"]["previous_page_url"]).json()
    assert [m["sid"] for m in back["messages"]] == created[3:0:-1]
    messages = family.scope.conversations(conversation).messages
    assert [m.sid for m in messages.list(order="desc", limit=500)] == created[::-1]
    assert [m.index for m in messages.list(page_size=2)] == list(range(7))
    assert_twilio_error(api.get(root, params={"Order": "newest"}), 400, 20001)
    assert_twilio_error(api.get(root, params={"PageToken": "XX1"}), 400, 21481)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 50503),
        ({"Body": ""}, 50503),
        ({"Author": "alice", "Attributes": "{}"}, 50503),
        ({"Body": "x" * (32 * 1024 + 1)}, 50504),
        ({"Body": "é" * (16 * 1024 + 1)}, 50504),  # the limit is in bytes
        ({"Body": "hi", "Attributes": "{not json"}, 50304),
        ({"Body": "hi", "Attributes": json.dumps({"k": "v" * 4096})}, 50303),
        ({"Body": "hi", "MediaSid": "ME" + "a" * 32}, 50507),  # no such media
        ({"MediaSid": "ME" + "a" * 32}, 50507),
        ({"Body": "hi", "MediaSid": "MEa"}, 50510),
        ({"Body": "hi", "ContentSid": "HX123"}, 50526),
        ({"Body": "hi", "DateCreated": "yesterday"}, 20001),
        ({"Body": "hi", "DateUpdated": "soon"}, 20001),
    ],
)
@one_family
def test_invalid_create_is_rejected_and_consumes_no_index(
    api: Api, family: Family, body: dict[str, str], code: int
) -> None:
    conversation = new_conversation(api, family)
    response = api.post(f"{family.root}/Conversations/{conversation}/Messages", body)
    error = assert_twilio_error(response, 400, code)
    for name in ("MediaSid", "ContentSid"):
        if name in body:
            assert name in error["message"]
    assert all_messages(api, family.root, conversation) == []
    assert post_message(api, family.root, conversation)["index"] == 0


@one_family
def test_limits_are_inclusive(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    attributes = json.dumps({"k": "v" * (4096 - 9)})
    assert len(attributes) == 4096
    created = post_message(
        api, family.root, conversation, Body="x" * (32 * 1024), Attributes=attributes
    )
    assert len(created["body"]) == 32 * 1024 and created["attributes"] == attributes


@one_family
@pytest.mark.parametrize("subject", ["Re: a subject line", "{not json"], ids=["text", "braces"])
def test_subject_is_accepted_and_goes_nowhere(
    api: Api, family: Family, webhook_receiver: WebhookReceiver, subject: str
) -> None:
    """docs/compatibility.md: accepted and not stored. (ContentVariables need a ContentSid
    now: test_media.py.)"""
    conversation = new_conversation(api, family)
    root = f"{family.root}/Conversations/{conversation}"
    hook = {
        "Target": "webhook",
        "Configuration.Url": webhook_receiver.url + "/added",
        "Configuration.Filters": "onMessageAdded",
    }
    assert api.post(f"{root}/Webhooks", hook).status_code == 201
    given = {"Subject": subject}
    plain = api.post(f"{root}/Messages", {"Body": "hi"}, headers=ENABLED)
    with_both = api.post(f"{root}/Messages", {"Body": "hi", **given}, headers=ENABLED)
    assert (plain.status_code, with_both.status_code) == (201, 201), with_both.text

    created = with_both.json()
    unique = {"sid", "index", "date_created", "date_updated", "url", "links"}
    assert {k: v for k, v in created.items() if k not in unique} == {
        k: v for k, v in plain.json().items() if k not in unique
    }
    fetched = api.get(created["url"])
    listed = api.get(f"{root}/Messages")
    without, with_them = webhook_receiver.wait_for(2)
    assert [name for name, _ in with_them.params] == [name for name, _ in without.params]
    seen = [with_both.text, fetched.text, listed.text, *with_them.form.values()]
    for value in given.values():
        assert not any(value in text for text in seen), value


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"Body": ""}, 50503),
        ({"Body": "x" * (32 * 1024 + 1)}, 50504),
        ({"Attributes": "[1, 2"}, 50304),
        ({"Attributes": json.dumps({"k": "v" * 4096})}, 50303),
        ({"DateCreated": "not a date"}, 20001),
    ],
)
@one_family
def test_invalid_update_is_rejected_and_nothing_changes(
    api: Api, family: Family, body: dict[str, str], code: int
) -> None:
    conversation = new_conversation(api, family)
    created = post_message(api, family.root, conversation, Attributes='{"a": 1}')
    path = f"{family.root}/Conversations/{conversation}/Messages/{created['sid']}"
    assert_twilio_error(api.post(path, {"Author": "changed", **body}), 400, code)
    assert api.get(path).json() == created


@one_family
def test_an_empty_attributes_on_update_resets_it(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    created = post_message(api, family.root, conversation, Attributes='{"a": 1}')
    path = f"{family.root}/Conversations/{conversation}/Messages/{created['sid']}"
    assert api.post(path, {"Attributes": ""}).json()["attributes"] == "{}"


@one_family
def test_a_closed_conversation_takes_no_new_messages(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    earlier = post_message(api, family.root, conversation)
    closed = api.post(f"{family.root}/Conversations/{conversation}", {"State": "closed"})
    assert closed.json()["state"] == "closed"
    response = api.post(f"{family.root}/Conversations/{conversation}/Messages", {"Body": "late"})
    assert_twilio_error(response, 400, 50377)
    assert all_messages(api, family.root, conversation) == [earlier]
    path = f"{family.root}/Conversations/{conversation}/Messages/{earlier['sid']}"
    assert api.get(path).status_code == 200


def test_missing_conversation_and_missing_message_are_20404(api: Api, family: Family) -> None:
    nowhere = f"{family.root}/Conversations/CH{'0' * 32}/Messages"
    # Apps match on this text (seen in public app code): the path without /v1.
    shown = nowhere.removeprefix("/v1")
    body = assert_twilio_error(api.get(nowhere), 404, 20404)
    assert body["message"] == f"The requested resource {shown} was not found"
    assert_twilio_error(api.post(nowhere, {"Body": "hi"}), 404, 20404)
    assert_twilio_error(api.get(f"{nowhere}/{UNKNOWN_MESSAGE}"), 404, 20404)
    assert_twilio_error(api.post(f"{nowhere}/{UNKNOWN_MESSAGE}", {"Body": "x"}), 404, 20404)
    assert_twilio_error(api.delete(f"{nowhere}/{UNKNOWN_MESSAGE}"), 404, 20404)

    conversation = new_conversation(api, family)
    root = f"{family.root}/Conversations/{conversation}/Messages"
    created = post_message(api, family.root, conversation)
    missing = assert_twilio_error(api.get(f"{root}/{UNKNOWN_MESSAGE}"), 404, 20404)
    assert missing["message"] == (
        f"The requested resource {root.removeprefix('/v1')}/{UNKNOWN_MESSAGE} was not found"
    )
    assert_twilio_error(api.post(f"{root}/{UNKNOWN_MESSAGE}", {"Body": "x"}), 404, 20404)
    assert_twilio_error(api.delete(f"{root}/{UNKNOWN_MESSAGE}"), 404, 20404)
    # The spec's Sid is `^IM[0-9a-fA-F]{32}$`: an index does not stand in for it.
    assert_twilio_error(api.get(f"{root}/0"), 404, 20404)
    # A message is found only under its own conversation.
    other = new_conversation(api, family)
    elsewhere = f"{family.root}/Conversations/{other}/Messages/{created['sid']}"
    assert_twilio_error(api.get(elsewhere), 404, 20404)
    assert_twilio_error(api.delete(elsewhere), 404, 20404)
    assert api.get(f"{root}/{created['sid']}").status_code == 200


@one_family
def test_participant_sid_is_the_authors_participant(api: Api, family: Family) -> None:
    conversation = new_conversation(api, family)
    alice = add_participant(api, family.root, conversation, "alice")
    by_alice = post_message(api, family.root, conversation, Author="alice")
    assert by_alice["participant_sid"] == alice
    assert post_message(api, family.root, conversation, Author="carol")["participant_sid"] is None
    path = f"{family.root}/Conversations/{conversation}/Messages/{by_alice['sid']}"
    assert api.post(path, {"Author": "carol"}).json()["participant_sid"] is None
    assert api.post(path, {"Author": "alice"}).json()["participant_sid"] == alice
    assert api.post(path, {"Body": "kept"}).json()["participant_sid"] == alice
    # Identities are per conversation.
    other = new_conversation(api, family)
    assert post_message(api, family.root, other, Author="alice")["participant_sid"] is None


def test_another_accounts_messages_are_invisible(app_server: AppServer, api: Api) -> None:
    intruder = other_account(app_server)
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    message = post_message(api, "/v1", conversation, Body="private")
    root = f"/v1/Conversations/{conversation}/Messages"

    assert_twilio_error(intruder.get(root), 404, 20404)
    assert_twilio_error(intruder.post(root, {"Body": "sneaky"}), 404, 20404)
    assert_twilio_error(intruder.get(f"{root}/{message['sid']}"), 404, 20404)
    assert_twilio_error(intruder.post(f"{root}/{message['sid']}", {"Body": "x"}), 404, 20404)
    assert_twilio_error(intruder.delete(f"{root}/{message['sid']}"), 404, 20404)
    assert all_messages(api, "/v1", conversation) == [message]


def test_deleting_the_conversation_deletes_its_messages(app_server: AppServer, api: Api) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    post_message(api, "/v1", conversation)
    assert api.delete(f"/v1/Conversations/{conversation}").status_code == 204
    left = run_sql(
        app_server.database_url,
        "SELECT count(*) FROM messages WHERE conversation_sid = :sid",
        sid=conversation,
    )
    assert left == [(0,)]


@one_family
def test_changes_fire_message_events(
    api: Api, family: Family, webhook_receiver: WebhookReceiver
) -> None:
    conversation = new_conversation(api, family)
    alice = add_participant(api, family.root, conversation, "alice")
    hook = {
        "Target": "webhook",
        "Configuration.Url": webhook_receiver.url + "/hook",
        "Configuration.Filters": ["onMessageAdded", "onMessageUpdated", "onMessageRemoved"],
    }
    root = f"{family.root}/Conversations/{conversation}"
    assert api.post(f"{root}/Webhooks", hook).status_code == 201

    post_message(api, family.root, conversation, Body="silent")  # no header: no event
    created = api.post(
        f"{root}/Messages", {"Body": "hello", "Author": "alice"}, headers=ENABLED
    ).json()
    path = f"{root}/Messages/{created['sid']}"
    api.post(path, {"Body": "edited"}, headers=ENABLED)
    assert api.delete(path, headers=ENABLED).status_code == 204

    added, updated, removed = (r.form for r in webhook_receiver.wait_for(3))
    assert all(r.signature_valid for r in webhook_receiver.requests)
    assert [added["EventType"], updated["EventType"], removed["EventType"]] == [
        "onMessageAdded",
        "onMessageUpdated",
        "onMessageRemoved",
    ]
    assert added["MessageSid"] == created["sid"]
    assert added["Index"] == "1"
    assert (added["Author"], added["Body"], added["Attributes"]) == ("alice", "hello", "{}")
    assert added["ParticipantSid"] == alice
    assert added["ConversationSid"] == conversation
    assert "ChatServiceSid" not in added  # Twilio lists it for conversation events only
    assert added["Source"] == "API"
    assert MILLISECONDS.match(added["DateCreated"])
    assert "DateUpdated" not in added
    assert updated["Body"] == "edited" and MILLISECONDS.match(updated["DateUpdated"])
    assert removed["MessageSid"] == created["sid"] and MILLISECONDS.match(removed["DateUpdated"])
    assert MILLISECONDS.match(removed["DateRemoved"])
    assert len(webhook_receiver.requests) == 3


def test_a_trigger_webhook_fires_on_a_keyword_in_the_body(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    conversation = api.post("/v1/Conversations", {}).json()["sid"]
    trigger = {
        "Target": "trigger",
        "Configuration.Url": webhook_receiver.url + "/trigger",
        "Configuration.Triggers": "help",
    }
    assert api.post(f"/v1/Conversations/{conversation}/Webhooks", trigger).status_code == 201
    root = f"/v1/Conversations/{conversation}/Messages"
    api.post(root, {"Body": "I need HELP now"}, headers=ENABLED)  # not as given
    api.post(root, {"Body": "how helpful"}, headers=ENABLED)  # present in the body
    [request] = webhook_receiver.wait_for(1)
    assert request.form["Body"] == "how helpful"
    assert request.form["Index"] == "1"
