"""User Conversations (.../Users/{UserSid}/Conversations) through twilio-python and raw HTTP,
on both path families, and the User a chat participant's identity creates."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from twilio.rest import Client

from chinwag.testing import WebhookReceiver
from tests.conftest import Api, assert_twilio_error, other_account
from tests.e2e.families import Family, one_family
from tests.e2e.role_helpers import default_roles
from tests.inprocess import AppServer

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
SMS = {"MessagingBinding.Address": "+15558675310", "MessagingBinding.ProxyAddress": "+15017122661"}
# spec: conversations.v1.user.user_conversation (the service schema has the same properties)
KEYS = {"account_sid", "chat_service_sid", "conversation_sid", "unread_messages_count"}
KEYS |= {"last_read_message_index", "participant_sid", "user_sid", "friendly_name"}
KEYS |= {"conversation_state", "timers", "attributes", "date_created", "date_updated"}
KEYS |= {"created_by", "notification_level", "unique_name", "url", "links"}


def unique(name: str) -> str:
    """Identities are per service and the default service is shared by the session's tests."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def join(api: Api, family: Family, identity: str, **conversation: str) -> dict[str, Any]:
    """A new conversation with `identity` as a participant; the participant's JSON."""
    created = api.post(f"{family.root}/Conversations", conversation)
    assert created.status_code == 201, created.text
    path = f"{family.root}/Conversations/{created.json()['sid']}/Participants"
    participant = api.post(path, {"Identity": identity})
    assert participant.status_code == 201, participant.text
    body: dict[str, Any] = participant.json()
    return body


def post_messages(api: Api, family: Family, conversation: str, count: int) -> list[str]:
    path = f"{family.root}/Conversations/{conversation}/Messages"
    return [api.post(path, {"Body": f"m{n}", "Author": "x"}).json()["sid"] for n in range(count)]


def test_a_chat_participant_is_backed_by_a_user(api: Api, family: Family) -> None:
    identity = unique("backed")
    join(api, family, identity)
    join(api, family, identity)  # the second conversation finds the user made by the first
    user = api.get(f"{family.root}/Users/{identity}")
    assert user.status_code == 200, user.text
    body = user.json()
    assert (body["identity"], body["attributes"], body["friendly_name"]) == (identity, "{}", None)
    assert body["role_sid"] == default_roles(api, family.root)["service user"]
    listed = api.get(f"{family.root}/Users", params={"PageSize": 50}).json()["users"]
    assert [u["identity"] for u in listed].count(identity) == 1
    # An SMS participant has no user (user-resource).
    conversation = api.post(f"{family.root}/Conversations", {}).json()["sid"]
    users_before = len(api.get(f"{family.root}/Users", params={"PageSize": 50}).json()["users"])
    api.post(f"{family.root}/Conversations/{conversation}/Participants", SMS)
    users = api.get(f"{family.root}/Users", params={"PageSize": 50}).json()["users"]
    assert len(users) == users_before


def test_joining_many_conversations_at_once_makes_one_user(api: Api, family: Family) -> None:
    """Each create locks only its own conversation: the user insert must not collide."""
    identity = unique("crowd")
    conversations = [api.post(f"{family.root}/Conversations", {}).json()["sid"] for _ in range(8)]

    def add(conversation: str) -> int:
        url = f"{api.base}{family.root}/Conversations/{conversation}/Participants"
        # a request of its own per thread: a requests.Session is not thread-safe
        response = requests.post(url, {"Identity": identity}, auth=api.session.auth, timeout=10)
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(add, conversations)) == [201] * 8
    listed = api.get(f"{family.root}/Users", params={"PageSize": 50}).json()["users"]
    assert [u["identity"] for u in listed].count(identity) == 1
    mine = api.get(f"{family.root}/Users/{identity}/Conversations").json()["conversations"]
    assert sorted(c["conversation_sid"] for c in mine) == sorted(conversations)


def test_an_existing_user_is_kept_as_it_is(api: Api, family: Family) -> None:
    identity = unique("kept")
    made = api.post(f"{family.root}/Users", {"Identity": identity, "FriendlyName": "Kept"}).json()
    join(api, family, identity)
    assert api.get(made["url"]).json() == made


def test_user_conversation_has_the_documented_shape(api: Api, family: Family) -> None:
    identity = unique("shape")
    name = unique("room")
    participant = join(
        api,
        family,
        identity,
        UniqueName=name,
        FriendlyName="Room",
        Attributes='{"topic": 1}',
        **{"Timers.Closed": "PT1H"},
    )
    conversation = participant["conversation_sid"]
    user = api.get(f"{family.root}/Users/{identity}").json()
    path = f"{family.root}/Users/{identity}/Conversations/{name}"  # identity and unique name
    response = api.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == KEYS
    assert body["account_sid"] == user["account_sid"]
    assert body["chat_service_sid"] == user["chat_service_sid"]
    if family.service_sid:
        assert body["chat_service_sid"] == family.service_sid
    assert (body["conversation_sid"], body["participant_sid"]) == (conversation, participant["sid"])
    assert body["user_sid"] == user["sid"]
    assert (body["friendly_name"], body["unique_name"]) == ("Room", name)
    assert (body["attributes"], body["conversation_state"]) == ('{"topic": 1}', "active")
    assert set(body["timers"]) == {"date_closed"} and DATE.match(body["timers"]["date_closed"])
    assert DATE.match(body["date_created"]) and DATE.match(body["date_updated"])
    assert body["created_by"] is None
    assert body["notification_level"] == "default"
    # No read horizon yet: no unread count either.
    assert body["unread_messages_count"] is None and body["last_read_message_index"] is None
    base = f"{api.base}{family.root}"
    assert body["url"] == f"{base}/Users/{user['sid']}/Conversations/{conversation}"
    assert body["links"] == {
        "participant": f"{base}/Conversations/{conversation}/Participants/{participant['sid']}",
        "conversation": f"{base}/Conversations/{conversation}",
    }
    assert api.get(body["url"]).json() == body  # the SIDs address it too


def test_unread_count_follows_the_read_horizon(api: Api, family: Family) -> None:
    identity = unique("reader")
    participant = join(api, family, identity)
    conversation = participant["conversation_sid"]
    messages = post_messages(api, family, conversation, 4)  # indexes 0-3
    path = f"{family.root}/Users/{identity}/Conversations/{conversation}"

    body = api.post(path, {"LastReadMessageIndex": "1"}).json()
    assert (body["last_read_message_index"], body["unread_messages_count"]) == (1, 2)
    # written through to the participant
    assert api.get(participant["url"]).json()["last_read_message_index"] == 1
    # and the participant's own update shows here
    api.post(participant["url"], {"LastReadMessageIndex": "0"})
    assert api.get(path).json()["unread_messages_count"] == 3
    # a deleted message after the horizon is no longer unread
    api.delete(f"{family.root}/Conversations/{conversation}/Messages/{messages[3]}")
    assert api.get(path).json()["unread_messages_count"] == 2
    # an empty value clears the horizon, and the count with it
    body = api.post(path, {"LastReadMessageIndex": ""}).json()
    assert (body["last_read_message_index"], body["unread_messages_count"]) == (None, None)


def test_update_sets_the_notification_level_and_refuses_bad_values(
    api: Api, family: Family
) -> None:
    identity = unique("muter")
    conversation = join(api, family, identity)["conversation_sid"]
    path = f"{family.root}/Users/{identity}/Conversations/{conversation}"
    stamp = "2024-01-02T03:04:05Z"
    body = api.post(path, {"NotificationLevel": "muted", "LastReadTimestamp": stamp}).json()
    assert body["notification_level"] == "muted"
    before = api.get(path).json()
    assert before == body
    assert_twilio_error(api.post(path, {"NotificationLevel": "loud"}), 400, 20001)
    bad_index = {"NotificationLevel": "default", "LastReadMessageIndex": "-1"}
    assert_twilio_error(api.post(path, bad_index), 400, 20001)
    assert_twilio_error(api.post(path, {"LastReadMessageIndex": "two"}), 400, 20001)
    assert api.get(path).json() == before  # nothing written
    participant = api.get(body["links"]["participant"]).json()
    assert participant["last_read_timestamp"] == stamp
    assert api.post(path, {"NotificationLevel": "default"}).json()["notification_level"] == (
        "default"
    )


def test_lifecycle_through_twilio_python(api: Api, family: Family) -> None:
    identity = unique("py")
    conversation = join(api, family, identity)["conversation_sid"]
    post_messages(api, family, conversation, 3)
    mine = family.scope.users(identity).user_conversations
    [listed] = mine.list()
    assert listed.conversation_sid == conversation
    assert listed.notification_level == "default"
    assert listed.date_created.tzinfo is not None  # twilio-python parsed the date

    fetched = mine(conversation).fetch()
    assert fetched.participant_sid == listed.participant_sid
    updated = mine(conversation).update(notification_level="muted", last_read_message_index=0)
    assert (updated.notification_level, updated.last_read_message_index) == ("muted", 0)
    assert updated.unread_messages_count == 2

    assert mine(conversation).delete() is True
    participants = family.scope.conversations(conversation).participants.list()
    assert identity not in [p.identity for p in participants]
    assert mine.list() == []
    # the user stays: leaving a conversation is not deleting the user
    assert family.scope.users(identity).fetch().identity == identity


def test_unknown_user_conversation_or_membership_is_404(api: Api, family: Family) -> None:
    identity = unique("member")
    conversation = join(api, family, identity)["conversation_sid"]
    stranger = unique("stranger")
    api.post(f"{family.root}/Users", {"Identity": stranger})
    missing_user, missing_conversation = "US" + "0" * 32, "CH" + "0" * 32
    users = f"{family.root}/Users"
    for path in (
        f"{users}/{missing_user}/Conversations",
        f"{users}/nobody-{uuid.uuid4().hex}/Conversations/{conversation}",
        f"{users}/{identity}/Conversations/{missing_conversation}",
        f"{users}/{identity}/Conversations/no-such-name",
        f"{users}/{stranger}/Conversations/{conversation}",  # a user who is not in it
    ):
        body = assert_twilio_error(api.get(path), 404, 20404)
        assert body["message"] == f"The requested resource {path.removeprefix('/v1')} was not found"
    for path in (
        f"{users}/{stranger}/Conversations/{conversation}",
        f"{users}/{identity}/Conversations/{missing_conversation}",
    ):
        assert_twilio_error(api.post(path, {"NotificationLevel": "muted"}), 404, 20404)
        assert_twilio_error(api.delete(path), 404, 20404)
    assert api.get(f"{users}/{stranger}/Conversations").json()["conversations"] == []


@one_family
def test_another_accounts_user_conversations_are_invisible(
    app_server: AppServer, api: Api, family: Family
) -> None:
    intruder = other_account(app_server)
    identity = unique("private")
    conversation = join(api, family, identity)["conversation_sid"]
    path = f"/v1/Users/{identity}/Conversations"
    assert_twilio_error(intruder.get(path), 404, 20404)
    assert_twilio_error(intruder.get(f"{path}/{conversation}"), 404, 20404)
    assert_twilio_error(intruder.post(f"{path}/{conversation}", {}), 404, 20404)
    assert_twilio_error(intruder.delete(f"{path}/{conversation}"), 404, 20404)
    service = api.get(f"{path}/{conversation}").json()["chat_service_sid"]
    service_path = f"/v1/Services/{service}/Users/{identity}/Conversations"
    assert_twilio_error(intruder.get(service_path), 404, 20404)
    assert len(api.get(path).json()["conversations"]) == 1


def test_pages_follow_the_joins_and_stay_correct_while_joining(
    api: Api, client: Client, family: Family
) -> None:
    identity = unique("pager")
    joined = [join(api, family, identity)["conversation_sid"] for _ in range(3)]
    path = f"{family.root}/Users/{identity}/Conversations"
    first = api.get(path, params={"PageSize": 2}).json()
    assert [c["conversation_sid"] for c in first["conversations"]] == joined[:2]
    assert first["meta"]["key"] == "conversations" and first["meta"]["page_size"] == 2
    user_sid = api.get(f"{family.root}/Users/{identity}").json()["sid"]
    assert first["meta"]["url"].startswith(
        f"{api.base}{family.root}/Users/{user_sid}/Conversations?"
    )
    joined.append(join(api, family, identity)["conversation_sid"])  # while paging
    second = api.get(first["meta"]["next_page_url"]).json()
    assert [c["conversation_sid"] for c in second["conversations"]] == joined[2:]
    assert second["meta"]["next_page_url"] is None
    back = api.get(second["meta"]["previous_page_url"]).json()
    assert [c["conversation_sid"] for c in back["conversations"]] == joined[:2]
    assert api.get(path, params={"PageSize": 500}).json()["meta"]["page_size"] == 50
    listed = family.scope.users(identity).user_conversations.list(page_size=1)
    assert [c.conversation_sid for c in listed] == joined


def test_changes_fire_the_participants_events(
    api: Api, client: Client, webhook_receiver: WebhookReceiver
) -> None:
    service = client.conversations.v1.services.create(friendly_name="user conversations").sid
    root = f"/v1/Services/{service}"
    api.post(
        f"{root}/Configuration/Webhooks",
        {
            "PostWebhookUrl": webhook_receiver.url + "/service",
            "Filters": ["onUserAdded", "onParticipantUpdated", "onParticipantRemoved"],
        },
    )
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]
    participants = f"{root}/Conversations/{conversation}/Participants"
    api.post(participants, {"Identity": "quiet"})  # no header: its user comes silently
    api.post(participants, {"Identity": "dana"}, headers=ENABLED)
    path = f"{root}/Users/dana/Conversations/{conversation}"
    api.post(path, {"NotificationLevel": "muted", "LastReadMessageIndex": "0"}, headers=ENABLED)
    api.delete(path, headers=ENABLED)

    user_added, updated, removed = (r.form for r in webhook_receiver.wait_for(3))
    assert all(r.signature_valid for r in webhook_receiver.requests)
    user = api.get(f"{root}/Users/dana").json()
    assert user_added["EventType"] == "onUserAdded"
    assert (user_added["UserSid"], user_added["Identity"]) == (user["sid"], "dana")
    assert user_added["ChatServiceSid"] == service and "ConversationSid" not in user_added
    assert updated["EventType"] == "onParticipantUpdated"
    assert updated["ConversationSid"] == conversation
    assert (updated["Identity"], updated["LastReadMessageIndex"]) == ("dana", "0")
    assert removed["EventType"] == "onParticipantRemoved"
    assert removed["ParticipantSid"] == updated["ParticipantSid"]
    assert len(webhook_receiver.requests) == 3


def test_a_rejecting_pre_event_stops_the_update_and_the_delete(
    api: Api, client: Client, webhook_receiver: WebhookReceiver
) -> None:
    service = client.conversations.v1.services.create(friendly_name="guarded members").sid
    root = f"/v1/Services/{service}"
    api.post(
        f"{root}/Configuration/Webhooks",
        {
            "PreWebhookUrl": webhook_receiver.url + "/pre",
            "Filters": ["onParticipantUpdate", "onParticipantRemove"],
        },
    )
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]
    participant = api.post(
        f"{root}/Conversations/{conversation}/Participants", {"Identity": "erin"}
    ).json()
    path = f"{root}/Users/erin/Conversations/{conversation}"
    before = api.get(path).json()
    webhook_receiver.status = 403
    update = api.post(path, {"NotificationLevel": "muted"}, headers=ENABLED)
    assert "onParticipantUpdate" in assert_twilio_error(update, 403, 20403)["message"]
    assert_twilio_error(api.delete(path, headers=ENABLED), 403, 20403)
    asked_update, asked_remove = (r.form for r in webhook_receiver.wait_for(2))
    assert asked_update["EventType"] == "onParticipantUpdate"
    assert asked_remove["EventType"] == "onParticipantRemove"
    for asked in (asked_update, asked_remove):
        assert asked["ConversationSid"] == conversation
        assert (asked["ParticipantSid"], asked["Identity"]) == (participant["sid"], "erin")
    assert api.get(path).json() == before  # nothing written
    # without the header the pre-event is not asked (as for the participant's own update)
    assert api.post(path, {"NotificationLevel": "muted"}).status_code == 200
