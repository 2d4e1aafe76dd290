"""Service-level pre-event webhooks are asked before a change and can stop or modify it."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from chinwag.testing import Answer, WebhookReceiver, access_token
from tests.conftest import Api, assert_twilio_error, customer_number
from tests.e2e.role_helpers import custom_role, default_roles
from tests.e2e.test_twilsock_socket import exchange, init, message
from tests.inprocess import AppServer

ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
ALL_PRE_EVENTS = ["onConversationAdd", "onConversationUpdate", "onConversationRemove"]


@pytest.fixture
def guarded(api: Api, webhook_receiver: WebhookReceiver) -> Iterator[tuple[str, WebhookReceiver]]:
    """A service whose pre-event webhook is the receiver; yields the service's root path."""
    service = api.post("/v1/Services", {"FriendlyName": "guarded"}).json()["sid"]
    root = f"/v1/Services/{service}"
    api.post(
        f"{root}/Configuration/Webhooks",
        {"PreWebhookUrl": webhook_receiver.url + "/pre", "Filters": ALL_PRE_EVENTS},
    )
    yield root, webhook_receiver


def conversation_names(api: Api, root: str) -> list[str]:
    listed = api.get(f"{root}/Conversations", params={"PageSize": 100}).json()["conversations"]
    return [c["friendly_name"] for c in listed]


def test_a_rejecting_answer_stops_the_change(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    root, receiver = guarded
    receiver.status = 403
    response = api.post(f"{root}/Conversations", {"FriendlyName": "denied"}, headers=ENABLED)
    body = assert_twilio_error(response, 403, 20403)
    assert "onConversationAdd" in body["message"]
    [asked] = receiver.wait_for(1)
    assert asked.signature_valid
    assert asked.form["EventType"] == "onConversationAdd"
    assert asked.form["FriendlyName"] == "denied"
    assert conversation_names(api, root) == []  # nothing written


def test_a_server_error_also_rejects_and_removal_can_be_refused(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    root, receiver = guarded
    created = api.post(
        f"{root}/Conversations", {"FriendlyName": "kept"}
    ).json()  # no header: not asked
    assert receiver.requests == []
    receiver.status = 500
    assert_twilio_error(
        api.delete(f"{root}/Conversations/{created['sid']}", headers=ENABLED), 403, 20403
    )
    assert receiver.wait_for(1)[0].form["ConversationSid"] == created["sid"]
    assert conversation_names(api, root) == ["kept"]


def test_a_json_answer_modifies_the_change_and_is_validated(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    root, receiver = guarded
    receiver.body = b'{"friendly_name": "renamed by the hook", "unique_name": "ignored"}'
    created = api.post(
        f"{root}/Conversations", {"FriendlyName": "original"}, headers=ENABLED
    ).json()
    assert created["friendly_name"] == "renamed by the hook"
    assert created["unique_name"] is None  # only friendly_name may be changed
    receiver.body = b'{"friendly_name": "' + b"x" * 300 + b'"}'
    update = api.post(
        f"{root}/Conversations/{created['sid']}", {"FriendlyName": "ok"}, headers=ENABLED
    )
    assert_twilio_error(update, 400, 20001)
    assert conversation_names(api, root) == ["renamed by the hook"]


def test_an_empty_answer_lets_the_change_through_unchanged(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    root, receiver = guarded
    for answer in (b"", b"{}"):
        receiver.body = answer
        api.post(f"{root}/Conversations", {"FriendlyName": f"as sent {answer!r}"}, headers=ENABLED)
    assert conversation_names(api, root) == ["as sent b''", "as sent b'{}'"]


def test_no_answer_within_five_seconds_lets_the_change_through(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    root, receiver = guarded
    receiver.delay = 6.0
    receiver.status = 403  # would reject, but too late
    created = api.post(f"{root}/Conversations", {"FriendlyName": "patient"}, headers=ENABLED)
    assert created.status_code == 201
    assert conversation_names(api, root) == ["patient"]


def test_a_redirect_is_not_followed_and_lets_the_change_through(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    """Twilio's table rejects on "HTTP 40x" and "HTTP 50x" only; chinwag follows no
    redirect, so a 3xx is no answer: the change is written as sent."""
    root, receiver = guarded
    receiver.body = b'{"friendly_name": "from a redirect"}'
    receiver.scripts["/denied"] = [403]  # what the redirect's target would say
    moved = {"Location": receiver.url + "/denied"}
    receiver.answers = [Answer(302, moved), Answer(307, moved), Answer(308, moved)]
    for status in (302, 307, 308):
        name = f"moved {status}"
        created = api.post(f"{root}/Conversations", {"FriendlyName": name}, headers=ENABLED)
        assert created.status_code == 201, created.text
        assert created.json()["friendly_name"] == name
    # asked once each, synchronously: the redirect's target was never called
    assert [r.url.rsplit("/", 1)[-1] for r in receiver.requests] == ["pre"] * 3
    assert conversation_names(api, root) == ["moved 302", "moved 307", "moved 308"]


def test_message_pre_events_can_reject_or_rewrite(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    root, receiver = guarded
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]  # no header: not asked
    filters = [*ALL_PRE_EVENTS, "onMessageAdd", "onMessageUpdate", "onParticipantAdd"]
    api.post(f"{root}/Configuration/Webhooks", {"Filters": filters})
    messages = f"{root}/Conversations/{conversation}/Messages"

    receiver.body = b'{"body": "[redacted]", "author": "moderator", "attributes": "{\\"ok\\": 1}"}'
    rewritten = api.post(messages, {"Body": "my card is 4111", "Author": "bob"}, headers=ENABLED)
    assert rewritten.status_code == 201, rewritten.text
    assert (rewritten.json()["body"], rewritten.json()["author"]) == ("[redacted]", "moderator")
    assert rewritten.json()["attributes"] == '{"ok": 1}'
    asked = receiver.wait_for(1)[0]
    assert (asked.form["EventType"], asked.form["Body"]) == ("onMessageAdd", "my card is 4111")
    assert asked.form["ConversationSid"] == conversation and asked.signature_valid

    receiver.body = b'{"attributes": "not json"}'  # validated like the request's own value
    assert_twilio_error(api.post(messages, {"Body": "x"}, headers=ENABLED), 400, 50304)
    receiver.body, receiver.status = b"", 400
    assert_twilio_error(api.post(messages, {"Body": "spam"}, headers=ENABLED), 403, 20403)
    participants = f"{root}/Conversations/{conversation}/Participants"
    assert_twilio_error(api.post(participants, {"Identity": "eve"}, headers=ENABLED), 403, 20403)
    listed = api.get(messages).json()["messages"]
    assert [m["body"] for m in listed] == ["[redacted]"]  # nothing else written
    assert api.get(participants).json()["participants"] == []
    # the rejected message took no index
    receiver.status = 200
    assert api.post(messages, {"Body": "fine"}, headers=ENABLED).json()["index"] == 1


PRE_EVENTS_OF_EVERY_KIND = [
    *ALL_PRE_EVENTS,
    *("onMessageAdd", "onMessageUpdate", "onMessageRemove"),
    *("onParticipantAdd", "onParticipantUpdate", "onParticipantRemove"),
]
DATE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def test_pre_events_carry_the_whole_resource_as_twilio_lists_it(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    """Twilio's parameter tables (docs/events.md): Update and Remove describe the stored
    resource, with the request's new values in place."""
    service = api.post("/v1/Services", {"FriendlyName": "described"}).json()["sid"]
    root = f"/v1/Services/{service}"
    hooks = {"PreWebhookUrl": webhook_receiver.url + "/pre", "Filters": PRE_EVENTS_OF_EVERY_KIND}
    api.post(f"{root}/Configuration/Webhooks", hooks)
    conversation = api.post(
        f"{root}/Conversations", {"UniqueName": "case-7", "Attributes": '{"a": 1}'}
    ).json()["sid"]
    at = f"{root}/Conversations/{conversation}"
    alice = api.post(f"{at}/Participants", {"Identity": "alice"}).json()["sid"]
    message = api.post(f"{at}/Messages", {"Author": "alice", "Body": "one"}).json()["sid"]

    def asked(method: str, path: str, data: dict[str, str] | None = None) -> dict[str, str]:
        before = len(webhook_receiver.requests)
        api.request(method, path, data=data, headers=ENABLED)
        request = webhook_receiver.wait_for(before + 1)[-1]
        assert request.signature_valid
        return request.form

    added = asked("POST", f"{at}/Messages", {"Author": "alice", "Body": "two"})
    assert (added["Author"], added["Body"], added["ParticipantSid"]) == ("alice", "two", alice)
    assert added["Attributes"] == "{}"

    updated = asked("POST", f"{at}/Messages/{message}", {"Body": "one, edited"})
    assert updated["EventType"] == "onMessageUpdate"
    assert (updated["MessageSid"], updated["Index"], updated["Author"]) == (message, "0", "alice")
    assert (updated["Body"], updated["ParticipantSid"]) == ("one, edited", alice)
    assert re.fullmatch(DATE, updated["DateCreated"]) and re.fullmatch(DATE, updated["DateUpdated"])

    removed = asked("DELETE", f"{at}/Messages/{message}")
    assert (removed["EventType"], removed["Body"], removed["Index"]) == (
        "onMessageRemove",
        "one, edited",
        "0",
    )

    sms = {
        "MessagingBinding.Address": customer_number(),
        "MessagingBinding.ProxyAddress": "+15017122661",
    }
    joining = asked("POST", f"{at}/Participants", sms)
    assert (joining["EventType"], joining["MessagingBinding.Type"]) == ("onParticipantAdd", "SMS")
    leaving = asked("DELETE", f"{at}/Participants/{alice}")
    assert (leaving["EventType"], leaving["ParticipantSid"]) == ("onParticipantRemove", alice)
    assert (leaving["Identity"], leaving["MessagingBinding.Type"]) == ("alice", "CHAT")
    assert re.fullmatch(DATE, leaving["DateCreated"])

    renamed = asked("POST", at, {"FriendlyName": "renamed"})
    assert renamed["EventType"] == "onConversationUpdate"
    assert (renamed["FriendlyName"], renamed["UniqueName"]) == ("renamed", "case-7")
    assert (renamed["State"], renamed["Attributes"]) == ("active", '{"a": 1}')
    assert re.fullmatch(DATE, renamed["DateCreated"])
    gone = asked("DELETE", at)
    assert (gone["EventType"], gone["UniqueName"], gone["State"]) == (
        "onConversationRemove",
        "case-7",
        "active",
    )


def test_a_refused_participant_never_reaches_the_pre_event(
    api: Api, webhook_receiver: WebhookReceiver
) -> None:
    """onParticipantAdd is asked only of a participant that passes every rule: a bad or
    taken address is refused first, so the webhook never sees it."""
    service = api.post("/v1/Services", {"FriendlyName": "checked first"}).json()["sid"]
    root = f"/v1/Services/{service}"
    hooks = {"PreWebhookUrl": webhook_receiver.url + "/pre", "Filters": ["onParticipantAdd"]}
    api.post(f"{root}/Configuration/Webhooks", hooks)
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]
    participants = f"{root}/Conversations/{conversation}/Participants"
    taken = customer_number()
    api.post(participants, {"MessagingBinding.Address": taken})  # webhooks not enabled

    for address, status in (("not a number", 400), ("+1", 400), (taken, 409)):
        refused = api.post(participants, {"MessagingBinding.Address": address}, headers=ENABLED)
        assert refused.status_code == status, refused.text  # not 403: the webhook said nothing
    fine = customer_number()
    added = api.post(participants, {"MessagingBinding.Address": fine}, headers=ENABLED)
    assert added.status_code == 201, added.text
    [asked] = webhook_receiver.wait_for(1)
    assert asked.form["MessagingBinding.Address"] == fine
    assert len(webhook_receiver.requests) == 1


def test_on_participant_add_names_the_role_the_participant_will_get(
    app_server: AppServer, api: Api, webhook_receiver: WebhookReceiver
) -> None:
    """Twilio's onParticipantAdd table lists RoleSid: without one in the request it is the
    service's DefaultConversationRoleSid, for a REST add and an SDK `join()` alike."""
    service = api.post("/v1/Services", {"FriendlyName": "roles asked"}).json()["sid"]
    root = f"/v1/Services/{service}"
    hooks = {"PreWebhookUrl": webhook_receiver.url + "/pre", "Filters": ["onParticipantAdd"]}
    api.post(f"{root}/Configuration/Webhooks", hooks)
    conversation = api.post(f"{root}/Conversations", {}).json()["sid"]
    participants = f"{root}/Conversations/{conversation}/Participants"

    added = api.post(participants, {"Identity": "ann"}, headers=ENABLED).json()
    [asked] = webhook_receiver.wait_for(1)
    assert asked.form["RoleSid"] == added["role_sid"] == default_roles(api, root)["channel user"]
    moderator = custom_role(api, root, name="moderator")
    api.post(f"{root}/Configuration", {"DefaultConversationRoleSid": moderator})
    sms = {"MessagingBinding.Address": customer_number()}
    added = api.post(participants, sms, headers=ENABLED).json()
    assert webhook_receiver.wait_for(2)[1].form["RoleSid"] == added["role_sid"] == moderator

    join: dict[str, Any] = {
        "host": "x",
        "path": f"/Client/v2/Conversations/{conversation}/Participants",
        "method": "POST",
        "params": {},
        "headers": {"Content-Type": "application/json"},
    }
    webhook_receiver.status = 403
    token = access_token(app_server, "bob", service)
    refused = exchange(app_server.url, init(token), message(join, {}))[1]
    assert refused.header["http_status"]["code"] == 403
    asked = webhook_receiver.wait_for(3)[2]
    assert (asked.form["EventType"], asked.form["Source"]) == ("onParticipantAdd", "SDK")
    assert (asked.form["Identity"], asked.form["RoleSid"]) == ("bob", moderator)
    assert asked.form["MessagingBinding.Type"] == "CHAT" and asked.signature_valid
    webhook_receiver.status = 200
    joined = exchange(app_server.url, init(token), message(join, {}))[1]
    assert joined.header["http_status"]["code"] == 200, joined.payload
    roster = api.get(participants).json()["participants"]
    assert [p["identity"] for p in roster if p["identity"]] == ["ann", "bob"]


def test_on_conversation_add_names_the_messaging_service_it_will_have(
    api: Api, guarded: tuple[str, WebhookReceiver]
) -> None:
    """Twilio's onConversationAdd table lists MessagingServiceSid: the one given, else the
    account's default Messaging Service, which the conversation then has. A REST-created
    conversation has no creator: no MessagingBinding.* and no MessageBody."""
    root, receiver = guarded
    default = api.get("/v1/Configuration").json()["default_messaging_service_sid"]
    plain = api.post(f"{root}/Conversations", {}, headers=ENABLED).json()
    given = {"MessagingServiceSid": "MG" + "c" * 32}
    chosen = api.post(f"{root}/Conversations", given, headers=ENABLED).json()
    first, second = receiver.wait_for(2)
    assert first.signature_valid and second.signature_valid
    assert first.form["MessagingServiceSid"] == plain["messaging_service_sid"] == default
    assert second.form["MessagingServiceSid"] == chosen["messaging_service_sid"] == "MG" + "c" * 32
    creator = {"MessagingBinding.Address", "MessagingBinding.ProxyAddress", "MessageBody"}
    assert not creator & set(first.form)
