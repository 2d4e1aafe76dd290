"""The real SDK (tests/node/sdk_push.js) registering for push: `setPushRegistrationId`
settles and makes Bindings REST lists, with the credential the token names (apn) or the
account's (fcm); what chinwag records where Twilio would push is parsed by the SDK's own
`handlePushNotification`; a muted user gets none; `unsetPushRegistrationId` and
`removePushRegistrations` remove the bindings."""

from pathlib import Path
from typing import Any

from twilio.rest import Client

from tests.conftest import Api
from tests.e2e.test_client_sdk import (  # noqa: F401 (api_key, node_sdk: fixtures)
    NODE_DIR,
    api_key,
    node_sdk,
    run_sdk_live,
)
from tests.inprocess import AppServer

SCRIPT = NODE_DIR / "sdk_push.js"
PUSH_TYPES = ["new_message", "added_to_conversation", "removed_from_conversation"]


def test_the_sdk_registers_for_push_and_parses_what_chinwag_records(
    node_sdk: Path,  # noqa: F811
    client: Client,
    api: Api,
    app_server: AppServer,
    api_key: tuple[str, str],  # noqa: F811
) -> None:
    service = client.conversations.v1.services.create(friendly_name="push")
    scope = client.conversations.v1.services(service.sid)
    scope.configuration.notifications().update(
        new_message_enabled=True,
        new_message_sound="ding",
        new_message_badge_count_enabled=True,
        added_to_conversation_enabled=True,
    )
    apn = client.conversations.v1.credentials.create(type="apn", friendly_name="ios")
    fcm = client.conversations.v1.credentials.create(type="fcm", friendly_name="android")
    chat = scope.conversations.create(friendly_name="Pushes chat")
    for identity in ("alice", "bob", "carol"):
        chat.participants.create(identity=identity)
    scope.users("alice").update(friendly_name="Alice Liddell")
    # alice has a device too: as the author she is not pushed her own message
    api.post(
        f"/chinwag/v1/Services/{service.sid}/Bindings",
        {"Identity": "alice", "BindingType": "fcm", "Address": "fcm-token-alice"},
    )
    sent: dict[str, Any] = {}

    def bob_is_written_to_and_added() -> None:
        sent["message"] = chat.messages.create(author="alice", body="Hello bob")
        second = scope.conversations.create(friendly_name="Second")
        second.participants.create(identity="bob")
        sent["second"] = second.sid

    key_sid, secret = api_key
    config = {"url": app_server.url, "accountSid": app_server.auth[0]}
    config |= {"authToken": app_server.auth[1], "keySid": key_sid, "secret": secret}
    config |= {"serviceSid": service.sid, "conversationSid": chat.sid, "apnCredentialSid": apn.sid}
    lines = run_sdk_live(config, bob_is_written_to_and_added, SCRIPT)
    said = {line["event"]: line for line in lines}

    # setPushRegistrationId settled, as Bindings of each user, each with its credential
    registered = sorted(
        (b["identity"], b["type"], b["address"], b["credential"])
        for b in said["bindings"]["bindings"]
    )
    assert registered == [
        ("alice", "fcm", "fcm-token-alice", None),  # chinwag's POST: as given
        ("bob", "apn", "apn-token-bob", apn.sid),  # the token's push_credential_sid
        ("bob", "fcm", "fcm-token-bob", fcm.sid),  # the account's fcm credential
        ("carol", "fcm", "fcm-token-carol", fcm.sid),
    ]
    assert all(b["messageTypes"] == PUSH_TYPES for b in said["bindings"]["bindings"])
    assert said["registered"]["level"] == "muted"  # carol's, the last "registered" line

    message = sent["message"]
    parsed = {
        (line["bindingType"], line["notification"]["type"]): line
        for line in lines
        if line["event"] == "parsed"
    }
    assert set(parsed) == {
        ("fcm", "twilio.conversations.new_message"),
        ("apn", "twilio.conversations.new_message"),
        ("fcm", "twilio.conversations.added_to_conversation"),
        ("apn", "twilio.conversations.added_to_conversation"),
    }
    new_message_data = {
        "conversationSid": chat.sid,
        "conversationTitle": "Pushes chat",
        "messageSid": message.sid,
        "messageIndex": 0,
    }
    assert parsed["fcm", "twilio.conversations.new_message"]["notification"] == {
        "title": None,
        "body": "Pushes chat;Alice Liddell: Hello bob",
        "sound": "ding",
        "badge": None,  # FCM carries none
        "action": None,
        "type": "twilio.conversations.new_message",
        "data": new_message_data,
    }
    apn_message = parsed["apn", "twilio.conversations.new_message"]
    assert apn_message["notification"] == {
        **parsed["fcm", "twilio.conversations.new_message"]["notification"],
        "badge": 1,  # bob's conversations with unread messages
    }
    assert apn_message["pushed"]["aps"] == {
        "alert": "Pushes chat;Alice Liddell: Hello bob",
        "sound": "ding",
        "badge": 1,
    }
    assert apn_message["pushed"]["author"] == "alice"
    added = parsed["fcm", "twilio.conversations.added_to_conversation"]["notification"]
    assert added["body"] == "You have been added to the conversation Second by"
    assert added["data"] == {"conversationSid": sent["second"], "conversationTitle": "Second"}
    assert added["sound"] is None  # none configured for additions

    # the author and the muted user were pushed nothing
    for identity in ("alice", "carol"):
        listed = api.get(
            f"/chinwag/v1/Services/{service.sid}/Pushes", params={"Identity": identity}
        )
        assert listed.json()["pushes"] == [], identity

    # unsetPushRegistrationId("apn"), then removePushRegistrations("fcm", token)
    remaining = {(b["identity"], b["type"]) for b in said["unset"]["bindings"]}
    assert remaining == {("alice", "fcm"), ("bob", "fcm"), ("carol", "fcm")}
    remaining = {(b["identity"], b["type"]) for b in said["removed"]["bindings"]}
    assert remaining == {("alice", "fcm"), ("carol", "fcm")}
    assert {b.identity for b in scope.bindings.list()} == {"alice", "carol"}
