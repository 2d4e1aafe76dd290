"""Recorded pushes: what Twilio would push (a new message, added to / removed from a
conversation), recorded for each subscribed binding of each recipient and listed by
`GET /chinwag/v1/Services/{ChatServiceSid}/Pushes`, the CLI and the pytest helper.

Each test works in a fresh account (`tenant`): credentials are the account's."""

import json
import re
from typing import Any

import pytest
from sqlalchemy import Connection
from typer.testing import CliRunner

from chinwag.cli import app
from chinwag.domain.events import Origin
from chinwag.domain.messages import MessageFields, create_message
from chinwag.store import conversations as conversation_store
from chinwag.store import messages as message_store
from chinwag.testing import pushes, wait_for_push
from tests.conftest import assert_twilio_error
from tests.dashboard import Dashboard
from tests.databases import on_database
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer

RU = re.compile(r"^RU[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KEYS = {"sid", "account_sid", "chat_service_sid", "conversation_sid", "message_sid"}
KEYS |= {"message_type", "identity", "binding_sid", "binding_type", "address"}
KEYS |= {"credential_sid", "payload", "date_created"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class Desk:
    """A service of a tenant with a conversation, its participants and push settings."""

    def __init__(self, tenant: Tenant, members: tuple[str, ...] = ("alice", "bob")) -> None:
        self.tenant = tenant
        self.service = tenant.client.conversations.v1.services.create(friendly_name="desk").sid
        self.scope = tenant.client.conversations.v1.services(self.service)
        self.chat = self.scope.conversations.create(friendly_name="Help")
        for identity in members:
            self.chat.participants.create(identity=identity)

    def notify(self, **settings: Any) -> None:
        self.scope.configuration.notifications().update(**settings)

    def register(self, identity: str, kind: str, address: str, *types: str) -> dict[str, Any]:
        params: dict[str, Any] = {"Identity": identity, "BindingType": kind, "Address": address}
        if types:
            params["MessageTypes"] = list(types)
        answer = self.tenant.api.post(f"/chinwag/v1/Services/{self.service}/Bindings", params)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def pushes(self, **filters: str) -> list[dict[str, Any]]:
        answer = self.tenant.api.get(self.list_path, params=filters)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["pushes"]
        return found

    @property
    def list_path(self) -> str:
        return f"/chinwag/v1/Services/{self.service}/Pushes"

    def say(self, author: str, body: str, **more: Any) -> Any:
        return self.chat.messages.create(author=author, body=body, **more)


@pytest.fixture
def desk(tenant: Tenant) -> Desk:
    return Desk(tenant)


def test_a_new_message_is_pushed_to_each_binding_of_each_other_participant(desk: Desk) -> None:
    desk.notify(new_message_enabled=True)
    android = desk.register("bob", "fcm", "bob-android")
    iphone = desk.register("bob", "apn", "bob-iphone")
    desk.register("alice", "fcm", "alice-android")
    desk.chat.participants.create(
        messaging_binding_address="+15551230000", messaging_binding_proxy_address="+15557650000"
    )
    message = desk.say("alice", "Hi bob")  # REST, no X-Twilio-Webhook-Enabled: pushed all the same

    listed = desk.pushes()
    assert [(p["identity"], p["binding_type"]) for p in listed] == [("bob", "apn"), ("bob", "fcm")]
    apn, fcm = listed  # newest first
    assert set(fcm) == KEYS and RU.match(fcm["sid"]) and DATE.match(fcm["date_created"])
    assert fcm["account_sid"] == desk.tenant.sid and fcm["chat_service_sid"] == desk.service
    assert (fcm["conversation_sid"], fcm["message_sid"]) == (desk.chat.sid, message.sid)
    assert (fcm["binding_sid"], fcm["address"]) == (android["sid"], "bob-android")
    assert (apn["binding_sid"], apn["address"]) == (iphone["sid"], "bob-iphone")
    assert fcm["message_type"] == "new_message" and fcm["credential_sid"] is None
    assert fcm["payload"] == {
        "data": {
            "twi_message_type": "twilio.conversations.new_message",
            "twi_message_id": fcm["sid"],
            "twi_body": "Help;alice: Hi bob",  # the default template
            "conversation_sid": desk.chat.sid,
            "conversation_title": "Help",
            "message_sid": message.sid,
            "message_index": "0",
            "author": "alice",
        }
    }
    assert apn["payload"] == {
        "aps": {"alert": "Help;alice: Hi bob"},  # no sound or badge configured
        "twi_message_type": "twilio.conversations.new_message",
        "twi_message_id": apn["sid"],
        "conversation_sid": desk.chat.sid,
        "conversation_title": "Help",
        "message_sid": message.sid,
        "message_index": 0,
        "author": "alice",
    }


def test_nothing_is_pushed_while_the_service_enables_nothing(desk: Desk) -> None:
    desk.register("bob", "fcm", "bob-android")
    desk.say("alice", "not configured")
    desk.notify(added_to_conversation_enabled=True)
    desk.say("alice", "new messages are off")
    desk.notify(added_to_conversation_enabled=False, new_message_enabled=True)
    carol = desk.chat.participants.create(identity="carol")
    desk.register("carol", "fcm", "carol-android")
    desk.chat.participants(carol.sid).delete()
    assert desk.pushes() == []


def test_a_muted_user_and_a_binding_not_subscribed_are_pushed_nothing(desk: Desk) -> None:
    desk.notify(new_message_enabled=True)
    desk.chat.participants.create(identity="carol")
    desk.register("bob", "fcm", "bob-android")
    desk.register("carol", "fcm", "carol-android", "added_to_conversation")
    bob = desk.scope.users("bob").fetch()
    desk.scope.users(bob.sid).user_conversations(desk.chat.sid).update(notification_level="muted")
    desk.say("alice", "anyone?")
    assert desk.pushes() == []

    desk.scope.users(bob.sid).user_conversations(desk.chat.sid).update(notification_level="default")
    desk.say("alice", "bob?")
    assert [p["identity"] for p in desk.pushes()] == ["bob"]


def test_templates_sound_and_badge_name_what_the_service_configured(desk: Desk) -> None:
    desk.notify(
        new_message_enabled=True,
        new_message_template="${PARTICIPANT} (${PARTICIPANT_IDENTITY}) in ${CONVERSATION_SID}: "
        "${MESSAGE} ${UNKNOWN}",
        new_message_sound="chime.caf",
        new_message_badge_count_enabled=True,
    )
    desk.scope.users("alice").update(friendly_name="Alice L.")
    desk.register("bob", "apn", "bob-iphone")
    other = desk.scope.conversations.create(unique_name="other")
    bob_elsewhere = other.participants.create(identity="bob")
    other.messages.create(author="carol", body="unread elsewhere")
    desk.say("alice", "Hello")

    [latest, earlier] = desk.pushes()
    assert earlier["payload"]["aps"]["badge"] == 1 and earlier["conversation_sid"] == other.sid
    assert earlier["payload"]["aps"]["alert"].startswith("carol (carol) in ")
    assert "conversation_title" not in earlier["payload"]  # it has a unique name only
    assert latest["payload"]["aps"] == {
        "alert": f"Alice L. (alice) in {desk.chat.sid}: Hello ${{UNKNOWN}}",
        "sound": "chime.caf",
        "badge": 2,  # bob's conversations with messages he has not read
    }
    bob = desk.chat.participants(desk.chat.participants("bob").fetch().sid)
    bob.update(last_read_message_index=0)  # bob reads Help
    desk.say("alice", "Again")
    assert desk.pushes()[0]["payload"]["aps"]["badge"] == 2  # Help has news again
    other.participants(bob_elsewhere.sid).update(last_read_message_index=0)
    bob.update(last_read_message_index=1)
    desk.say("alice", "Thrice")
    assert desk.pushes()[0]["payload"]["aps"]["badge"] == 1


def test_a_media_message_uses_the_media_template(desk: Desk) -> None:
    desk.notify(new_message_enabled=True, new_message_with_media_enabled=True)
    desk.register("bob", "fcm", "bob-android")
    upload = desk.tenant.api.post(
        f"/chinwag/v1/Services/{desk.service}/Media",
        data=PNG,
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="a.png"',
        },
    )
    assert upload.status_code == 201, upload.text
    medium = upload.json()
    desk.chat.messages.create(author="alice", media_sid=medium["sid"])

    [pushed] = desk.pushes()
    data = pushed["payload"]["data"]
    assert data["twi_body"] == "Help;alice: 1 file(s)"
    assert data["media_count"] == "1"
    assert json.loads(data["media"]) == {
        "sid": medium["sid"],
        "filename": "a.png",
        "content_type": "image/png",
        "size": len(PNG),
    }


def test_added_and_removed_are_pushed_to_that_participant(desk: Desk) -> None:
    desk.notify(
        added_to_conversation_enabled=True,
        removed_from_conversation_enabled=True,
        removed_from_conversation_template="Out of ${CONVERSATION}",
        removed_from_conversation_sound="bye",
    )
    desk.register("carol", "fcm", "carol-android")
    desk.register("bob", "fcm", "bob-android")
    carol = desk.chat.participants.create(identity="carol")
    desk.chat.participants(carol.sid).delete()

    removed, added = desk.pushes()
    assert {removed["identity"], added["identity"]} == {"carol"}
    assert (added["message_type"], removed["message_type"]) == (
        "added_to_conversation",
        "removed_from_conversation",
    )
    assert added["message_sid"] is None
    assert added["payload"]["data"] == {
        "twi_message_type": "twilio.conversations.added_to_conversation",
        "twi_message_id": added["sid"],
        "twi_body": "You have been added to the conversation Help by",  # REST: no one
        "conversation_sid": desk.chat.sid,
        "conversation_title": "Help",
    }
    assert removed["payload"]["data"]["twi_body"] == "Out of Help"
    assert removed["payload"]["data"]["twi_sound"] == "bye"


def test_pushes_are_paged_newest_first_and_filtered(desk: Desk) -> None:
    desk.notify(new_message_enabled=True, added_to_conversation_enabled=True)
    desk.register("bob", "fcm", "bob-android")
    desk.register("alice", "fcm", "alice-android")
    for n in range(5):
        desk.say("alice", f"message {n}")
    desk.say("bob", "to alice")
    api = desk.tenant.api

    first = api.get(desk.list_path, params={"PageSize": 2, "Identity": "bob"}).json()
    assert [p["payload"]["data"]["twi_body"] for p in first["pushes"]] == [
        "Help;alice: message 4",
        "Help;alice: message 3",
    ]
    meta = first["meta"]
    assert (meta["key"], meta["page_size"], meta["previous_page_url"]) == ("pushes", 2, None)
    assert meta["url"].startswith(f"{api.base}{desk.list_path}?Identity=bob&PageSize=2")
    second = api.get(meta["next_page_url"]).json()
    assert [p["payload"]["data"]["twi_body"][-1] for p in second["pushes"]] == ["2", "1"]
    third = api.get(second["meta"]["next_page_url"]).json()
    assert len(third["pushes"]) == 1 and third["meta"]["next_page_url"] is None

    assert [p["identity"] for p in desk.pushes(Identity="alice")] == ["alice"]
    assert len(desk.pushes(ConversationSid=desk.chat.sid, MessageType="new_message")) == 6
    assert desk.pushes(MessageType="added_to_conversation") == []
    assert desk.pushes(ConversationSid="CH" + "0" * 32) == []
    refused = api.get(desk.list_path, params={"MessageType": "typing"})
    assert_twilio_error(refused, 400, 20001)


def test_another_account_sees_none_of_them(desk: Desk, app_server: AppServer) -> None:
    desk.notify(new_message_enabled=True)
    desk.register("bob", "fcm", "bob-android")
    desk.say("alice", "private")
    intruder = new_tenant(app_server, "intruder")
    assert_twilio_error(intruder.api.get(desk.list_path), 404, 20404)
    own = intruder.client.conversations.v1.services.create(friendly_name="own").sid
    assert intruder.api.get(f"/chinwag/v1/Services/{own}/Pushes").json()["pushes"] == []
    assert_twilio_error(
        desk.tenant.api.get("/chinwag/v1/Services/IS" + "0" * 32 + "/Pushes"), 404, 20404
    )


def test_a_push_is_written_with_its_message_or_not_at_all(
    desk: Desk, app_server: AppServer
) -> None:
    desk.notify(new_message_enabled=True)
    desk.register("bob", "fcm", "bob-android")

    class Abandoned(Exception):
        pass

    def send_then_fail(conn: Connection) -> None:
        conversation = conversation_store.get_conversation(conn, desk.chat.sid)
        assert conversation is not None
        create_message(conn, conversation, MessageFields(author="alice", body="lost"), Origin())
        raise Abandoned  # after the message and its push were written, before the commit

    with pytest.raises(Abandoned):
        on_database(app_server.database_url, send_then_fail)
    assert desk.pushes() == []
    count = on_database(
        app_server.database_url, lambda c: message_store.count_messages(c, desk.chat.sid)
    )
    assert count == 0


def test_the_cli_lists_pushes_of_every_account(desk: Desk, app_server: AppServer) -> None:
    desk.notify(new_message_enabled=True)
    desk.register("bob", "apn", "bob-iphone")
    desk.say("alice", "for the operator")
    [pushed] = desk.pushes()

    def chinwag(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--database", app_server.database_url])
        assert result.exit_code == 0, result.output
        return result.output

    line = f"{pushed['sid']} {pushed['date_created']} new_message apn bob {desk.chat.sid} "
    listed = chinwag("pushes", "list", "--service", desk.service)
    assert listed == line + "'Help;alice: for the operator'\n"
    as_json = chinwag("pushes", "list", "--service", desk.service, "--identity", "bob", "--json")
    assert [json.loads(text) for text in as_json.splitlines()] == [pushed]
    assert chinwag("pushes", "list", "--service", desk.service, "--identity", "alice") == ""
    other_type = ["--message-type", "removed_from_conversation"]
    assert chinwag("pushes", "list", "--service", desk.service, *other_type) == ""


def test_the_pytest_helper_waits_for_a_push(desk: Desk, app_server: AppServer) -> None:
    desk.notify(new_message_enabled=True)
    desk.register("bob", "fcm", "bob-android")
    server = TenantServer(app_server, desk.tenant)
    desk.say("alice", "found")

    found = wait_for_push(server, desk.service, identity="bob", message_type="new_message")
    assert found["payload"]["data"]["twi_body"] == "Help;alice: found"
    assert pushes(server, desk.service, "bob") == [found]
    with pytest.raises(AssertionError, match=r"no push with \{'identity': 'alice'\}"):
        wait_for_push(server, desk.service, timeout=0.2, identity="alice")


class TenantServer:
    """The shared server as the tenant's account: what `chinwag.testing`'s helpers need."""

    def __init__(self, server: AppServer, tenant: Tenant) -> None:
        self.url = server.url
        self.account_sid, self.auth_token = tenant.sid, tenant.auth_token


def test_the_dashboard_lists_the_accounts_pushes(
    desk: Desk, dashboard: Dashboard, app_server: AppServer
) -> None:
    desk.notify(new_message_enabled=True)
    desk.register("bob", "apn", "bob-iphone")
    desk.say("alice", "on the dashboard")
    [pushed] = desk.pushes()

    page = dashboard.get(f"/pushes?service={desk.service}")
    assert page.status_code == 200
    assert 'href="/chinwag/ui/pushes"' in page.text  # in the navigation
    shown = ("Help;alice: on the dashboard", "<td>bob</td>", "<td>new_message</td>")
    assert all(text in page.text for text in shown)
    assert f'"twi_message_id": "{pushed["sid"]}"' in page.text  # the payload
    assert "No pushes" in dashboard.get("/pushes").text  # the default service: none

    intruder = new_tenant(app_server, "intruder")
    theirs = Dashboard(app_server)
    assert theirs.sign_in(intruder.sid, intruder.auth_token).status_code == 200
    assert pushed["sid"] not in theirs.get(f"/pushes?service={desk.service}").text
