"""The real Twilio Conversations JS SDK (3.0.1, Node) against chinwag, on both engines.

Each test runs tests/node/sdk_clients.js, which prints one JSON line per thing its
clients saw. The Node packages are installed by `node_sdk` when missing (npm ci).
"""

import fcntl
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.rest import Client

from chinwag.testing import WebhookReceiver, access_token, twilio_client
from tests.inprocess import AppServer

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SCRIPT = NODE_DIR / "sdk_clients.js"


def installed_as_pinned(node_dir: Path) -> bool:
    """Whether node_modules holds each package at the version package.json pins."""
    pins: dict[str, str] = json.loads((node_dir / "package.json").read_text())["dependencies"]
    for name, version in pins.items():
        installed = node_dir / "node_modules" / name / "package.json"
        if not installed.exists() or json.loads(installed.read_text())["version"] != version:
            return False
    return True


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """tests/node installed (npm ci) when its node_modules is absent or holds other
    versions than package.json pins; Node is required."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"'{tool}' is not installed: the client SDK tests need Node.js 20+ and npm "
                "(https://nodejs.org, or `apt-get install nodejs npm`).",
                pytrace=False,
            )
    # One installer at a time: xdist runs a worker per engine, each with this fixture.
    with (NODE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed_as_pinned(NODE_DIR):
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR)], check=True
            )
    return NODE_DIR


@pytest.fixture(scope="session")
def api_key(app_server: AppServer) -> tuple[str, str]:
    """An API key made with `chinwag keys create` (once: the CLI takes seconds to start)."""
    output = app_server.cli("keys", "create", "--account", app_server.auth[0])
    key_sid = re.search(r"SK[0-9a-f]{32}", output)
    secret = re.search(r"Secret:\s+(\S+)", output)
    assert key_sid and secret, output
    return key_sid.group(0), secret.group(1)


def run_sdk(config: dict[str, Any], timeout: float = 60) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(SCRIPT), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=NODE_DIR,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, (lines, done.stderr[-3000:])
    return lines


def run_sdk_live(
    config: dict[str, Any], when_ready: Callable[[], None], script: Path = SCRIPT
) -> list[dict[str, Any]]:
    """The script's lines, calling `when_ready` once its clients have subscribed."""
    lines: list[dict[str, Any]] = []
    with subprocess.Popen(
        ["node", str(script), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=NODE_DIR,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            lines.append(json.loads(line))
            if lines[-1]["event"] == "ready":
                when_ready()
            if lines[-1]["event"] in ("done", "error"):
                break
        process.wait(timeout=30)
        errors = process.stderr.read()
    assert lines and lines[-1]["event"] == "done", (lines, errors[-3000:])
    return lines


@pytest.fixture
def conversation(
    client: Client,
    app_server: AppServer,
    webhook_receiver: WebhookReceiver,
    api_key: tuple[str, str],
) -> Iterator[dict[str, Any]]:
    """A fresh service (its post-event webhook at the receiver) with alice and bob in a
    conversation, and an API key to mint their tokens."""
    service = client.conversations.v1.services.create(friendly_name="sdk")
    client.conversations.v1.services(service.sid).configuration.webhooks().update(
        post_webhook_url=webhook_receiver.url + "/sdk", filters=["onMessageAdded"]
    )
    created = client.conversations.v1.services(service.sid).conversations.create(
        friendly_name="sdk chat"
    )
    # alice renames and re-attributes the conversation: a channel user may not (roles)
    roles = client.conversations.v1.services(service.sid).roles.list()
    admin = next(role.sid for role in roles if role.friendly_name == "channel admin")
    participants = (
        client.conversations.v1.services(service.sid).conversations(created.sid).participants
    )
    participants.create(identity="alice", role_sid=admin)
    for identity in ("bob", "carol"):
        participants.create(identity=identity)
    key_sid, secret = api_key
    yield {
        "url": app_server.url,
        "accountSid": app_server.auth[0],
        "keySid": key_sid,
        "secret": secret,
        "serviceSid": service.sid,
        "conversationSid": created.sid,
        "identities": ["alice", "bob", "carol"],
    }


def test_two_sdk_clients_hear_each_other_rest_and_webhooks(
    node_sdk: Path,
    client: Client,
    app_server: AppServer,
    conversation: dict[str, Any],
    webhook_receiver: WebhookReceiver,
) -> None:
    service, sid = conversation["serviceSid"], conversation["conversationSid"]
    chat = client.conversations.v1.services(service).conversations(sid)
    chat.messages.create(author="system", body="before connect")
    other = AppServer(app_server.database_url)  # carol's server: same database
    other.account_sid, other.auth_token = app_server.auth
    other.start()
    config = {**conversation, "scenario": "twoClients", "otherUrl": other.url}

    def write_through_rest() -> None:  # the clients subscribed: REST writes now
        chat.messages.create(author="system", body="from REST")
        chat.participants.create(identity="dave")
        second = client.conversations.v1.services(service).conversations.create(
            friendly_name="second"
        )
        second.participants.create(identity="bob")

    try:
        lines = run_sdk_live(config, write_through_rest)
    finally:
        other.stop()
    assert {"identities": ["alice", "bob"], "event": "connected"} in lines
    assert {"event": "participants", "identities": ["alice", "bob", "carol"]} in lines
    assert {"event": "history", "bodies": ["before connect"]} in lines
    added = [(x["identity"], x["body"]) for x in lines if x["event"] == "messageAdded"]
    assert ("alice", "from REST") in added and ("bob", "from REST") in added
    assert ("bob", "hello from the SDK") in added
    assert ("carol", "from REST") in added and ("carol", "hello from the SDK") in added
    assert {"event": "participantJoined", "identity": "alice", "who": "dave"} in lines
    edits = [(x["identity"], x["body"]) for x in lines if x["event"] == "messageUpdated"]
    assert ("bob", "hello again from the SDK") in edits
    assert {"event": "messageRemoved", "identity": "bob", "index": 3} in lines
    assert {"event": "conversationJoined", "identity": "bob", "friendlyName": "second"} in lines
    sent = next(x for x in lines if x["event"] == "sent")
    assert sent["index"] == 2
    assert {"event": "typingStarted", "identity": "bob", "who": "alice"} in lines
    horizon = [x for x in lines if x["event"] == "readHorizon" and x["identity"] == "alice"]
    assert horizon and horizon[-1] == {
        "event": "readHorizon",
        "identity": "alice",
        "who": "bob",
        "index": 2,
    }
    updated = [x for x in lines if x["event"] == "conversationUpdated" and x["identity"] == "bob"]
    assert any(x["attributes"] == {"topic": "tests"} for x in updated)
    # The SDK's message is a real message: REST sees it, with its author's participant.
    messages = chat.messages.list()
    assert [m.body for m in messages] == ["before connect", "from REST", "hello again from the SDK"]
    alice = next(p for p in chat.participants.list() if p.identity == "alice")
    assert messages[2].author == "alice" and messages[2].participant_sid == alice.sid
    assert json.loads(messages[2].attributes) == {"mood": "sunny"}
    # ... the read horizon is the user's, as REST's user conversations show it.
    bob_user = client.conversations.v1.services(service).users("bob").fetch()
    mine = client.conversations.v1.services(service).users(bob_user.sid).user_conversations(sid)
    assert mine.fetch().last_read_message_index == 2
    # ... and it fired the signed webhook as an SDK change.
    hooks = [r for r in webhook_receiver.wait_for(1) if r.url.endswith("/sdk")]
    from_sdk = [r for r in hooks if r.form.get("Source") == "SDK"]  # onMessageAdded only
    assert len(from_sdk) == 1 and from_sdk[0].signature_valid
    assert from_sdk[0].form["ClientIdentity"] == "alice"
    assert from_sdk[0].form["ParticipantSid"] == alice.sid


def test_a_forged_or_expired_token_is_refused(node_sdk: Path, conversation: dict[str, Any]) -> None:
    lines = run_sdk({**conversation, "scenario": "refused"})
    refused = {x["name"] for x in lines if x["event"] == "refused"}
    assert refused == {"forged", "expired"}, lines
    codes = [x["errorCode"] for x in lines if x["event"] == "connectionError"]
    assert codes == [20107, 20104], lines  # Twilio's codes: bad signature, then expired
    assert {"event": "tokenExpired", "identity": "alice"} in lines


def test_a_client_catches_up_after_a_server_restart(
    node_sdk: Path, fresh_app: AppServer, database_url: str
) -> None:
    """A message written (on another server) while the client's server is down reaches
    the client when it is back: its subscriptions replay from their last event."""
    fresh_server = fresh_app
    rest = twilio_client(fresh_server)
    chat = rest.conversations.v1.conversations.create(friendly_name="restart")
    chat.participants.create(identity="alice")
    config = {
        "url": fresh_server.url,
        "conversationSid": chat.sid,
        "identities": ["alice"],
        "tokens": {"alice": access_token(fresh_server, "alice")},
        "scenario": "catchUp",
        "expect": "while you were away",
    }

    def restart_meanwhile() -> None:
        fresh_server.stop()
        other = AppServer(database_url)
        other.account_sid, other.auth_token = fresh_server.auth
        other.start()
        try:
            twilio_client(other).conversations.v1.conversations(chat.sid).messages.create(
                author="bob", body="while you were away"
            )
        finally:
            other.stop()
        fresh_server.start()

    lines = run_sdk_live(config, restart_meanwhile)
    assert {
        "event": "messageAdded",
        "identity": "alice",
        "index": 0,
        "body": "while you were away",
        "author": "bob",
        "attributes": {},
        "participantSid": None,
    } in lines


def test_a_support_desk_on_the_sdk_roles_and_a_moderation_hook(
    node_sdk: Path, client: Client, app_server: AppServer, api_key: tuple[str, str]
) -> None:
    """Agents are channel admins, customers channel users, and a pre-event hook moderates
    messages: the customer's first is rewritten, the second blocked, their attempts at the agent's
    message, the conversation's name and the agent are refused with 50107, the agent's
    at the customer's are not (docs/client-sdk.md, "Roles")."""
    service = client.conversations.v1.services.create(friendly_name="desk")
    desk = client.conversations.v1.services(service.sid)
    moderator = WebhookReceiver(app_server.auth_token).start()
    try:
        moderator.body = b'{"body": "this **** parcel"}'
        moderator.answers = [200, 403]  # rewrites the first message, blocks the second
        desk.configuration.webhooks().update(
            pre_webhook_url=moderator.url + "/moderate", filters=["onMessageAdd"]
        )
        admin = next(r.sid for r in desk.roles.list() if r.friendly_name == "channel admin")
        chat = desk.conversations.create(friendly_name="Order #42")
        chat.participants.create(identity="agent", role_sid=admin)
        chat.participants.create(identity="customer")
        chat.messages.create(author="agent", body="How can I help?")  # REST: no hook asked
        key_sid, secret = api_key
        config = {"url": app_server.url, "accountSid": app_server.auth[0], "keySid": key_sid}
        config |= {"secret": secret, "serviceSid": service.sid, "conversationSid": chat.sid}
        lines = run_sdk({**config, "scenario": "supportDesk", "identities": ["agent", "customer"]})
    finally:
        moderator.stop()
    outcomes = {line["name"]: line for line in lines if line["event"] in ("allowed", "refused")}
    assert {name: line["event"] for name, line in outcomes.items()} == {
        "customer sends": "allowed",
        "customer sends spam": "refused",
        "customer edits the agent's": "refused",
        "customer deletes the agent's": "refused",
        "customer renames": "refused",
        "customer removes the agent": "refused",
        "agent edits the customer's": "allowed",
        "agent removes the customer": "allowed",
    }, lines
    for name, line in outcomes.items():
        if line["event"] == "refused":
            refused_by = 20403 if name == "customer sends spam" else 50107  # the hook; roles
            assert (line["status"], line["body"]["code"]) == (403, refused_by), line
    [stored] = [line["bodies"] for line in lines if line["event"] == "stored"]
    assert stored == ["How can I help?", "this **** parcel"]
    assert [m.body for m in chat.messages.list()] == ["How can I help?", "edited by the agent"]
    assert chat.fetch().friendly_name == "Order #42"
    assert [p.identity for p in chat.participants.list()] == ["agent"]


def test_the_demo_apps_flow_creates_adds_sends_renames_and_leaves(
    node_sdk: Path, client: Client, app_server: AppServer, api_key: tuple[str, str]
) -> None:
    """createConversation, join (already the creator: nothing changes), add a chat and an
    SMS participant, send, rename, a new friendly name bob sees live, the counts, leave."""
    created = client.conversations.v1.services.create(friendly_name="demo app")
    service = client.conversations.v1.services(created.sid)
    key_sid, secret = api_key
    config = {"url": app_server.url, "accountSid": app_server.auth[0], "keySid": key_sid}
    config |= {"secret": secret, "serviceSid": created.sid, "scenario": "demoApp"}
    lines = run_sdk({**config, "identities": ["alice", "bob"]})
    events = {line["event"]: line for line in lines}
    assert "error" not in events, lines
    sid = events["created"]["sid"]
    assert events["created"]["friendlyName"] == "Demo"
    assert events["userSeen"]["friendlyName"] == "Alice A."
    assert (events["counts"]["messages"], events["counts"]["participants"]) == (1, 3)
    assert events["types"]["types"] == [[None, "sms"], ["alice", "chat"], ["bob", "chat"]]
    assert "left" in events
    conversation = service.conversations(sid).fetch()
    assert (conversation.friendly_name, json.loads(conversation.attributes)) == (
        "Demo renamed",
        {"topic": "demo"},
    )
    listed = service.conversations(sid).participants.list()
    assert sorted(p.identity or p.messaging_binding["address"] for p in listed) == [
        "+15550001111",
        "bob",
    ]
    assert [m.body for m in service.conversations(sid).messages.list()] == ["hello from the demo"]
    assert service.users("alice").fetch().friendly_name == "Alice A."


def test_the_sdk_finds_peeks_joins_and_tunes_a_conversation(
    node_sdk: Path, client: Client, app_server: AppServer, api_key: tuple[str, str]
) -> None:
    """getConversationByUniqueName, peekConversationBySid then join by a non-member,
    updateUniqueName, updateLastReadMessageIndex, setAllMessagesUnread,
    setUserNotificationLevel, a message's updateAttributes and leave (participantLeft,
    conversationLeft), each checked in the REST view."""
    created = client.conversations.v1.services.create(friendly_name="lookups")
    service = client.conversations.v1.services(created.sid)
    chat = service.conversations.create(friendly_name="Orders", unique_name="orders")
    admin = next(r.sid for r in service.roles.list() if r.friendly_name == "channel admin")
    chat_ref = service.conversations(chat.sid)
    chat_ref.participants.create(identity="alice", role_sid=admin)
    for body in ("one", "two", "three"):
        chat_ref.messages.create(author="alice", body=body)
    key_sid, secret = api_key
    config = {"url": app_server.url, "accountSid": app_server.auth[0], "keySid": key_sid}
    config |= {"secret": secret, "serviceSid": created.sid, "scenario": "lookups"}
    config |= {"conversationSid": chat.sid, "uniqueName": "orders", "newUniqueName": "orders-2"}
    lines = run_sdk({**config, "identities": ["alice", "bob"]})
    events = {line["event"]: line for line in lines}
    assert "error" not in events, lines
    assert events["byUniqueName"]["sid"] == chat.sid
    assert (events["peeked"]["friendlyName"], events["peeked"]["status"]) == (
        "Orders",
        "notParticipating",
    )
    assert events["joined"]["status"] == "joined"
    assert events["renamed"]["uniqueName"] == "orders-2"
    assert chat_ref.fetch().unique_name == "orders-2"
    # No read horizon, no count: null, as the SDK documents for getUnreadMessagesCount
    assert (events["readUpTo"]["unread"], events["allUnread"]["unread"]) == (1, None)
    assert events["muted"]["level"] == "muted"
    assert "attributes" in events["messageAttributes"]["reasons"]
    assert events["messageAttributes"]["attributes"] == {"starred": True}
    assert events["left"]["participantLeft"] == "bob"
    assert events["left"]["conversationLeft"] == chat.sid
    assert json.loads(chat_ref.messages.list()[0].attributes) == {"starred": True}
    assert [p.identity for p in chat_ref.participants.list()] == ["alice"]
    mine = service.users("alice").user_conversations(chat.sid).fetch()
    assert (mine.last_read_message_index, mine.notification_level) == (None, "muted")


def test_the_sdks_other_calls_answer_as_on_twilio(
    node_sdk: Path, client: Client, app_server: AppServer, api_key: tuple[str, str]
) -> None:
    """updateToken, getSubscribedUsers, getAttributes, participant lookups and getUser, a
    participant's updateAttributes, paging back and forth, a message's getParticipant /
    getContentData / getChannelMetadata / getMediaByCategories, buildAndSend,
    advanceLastReadMessageIndex, a user's updateAttributes and unsubscribe, a
    participant's remove and a conversation's delete; REST shows each write."""
    created = client.conversations.v1.services.create(friendly_name="other calls")
    service = client.conversations.v1.services(created.sid)
    chat = service.conversations.create(friendly_name="Returns", attributes='{"queue": 7}')
    admin = next(r.sid for r in service.roles.list() if r.friendly_name == "channel admin")
    chat_ref = service.conversations(chat.sid)
    chat_ref.participants.create(identity="alice", role_sid=admin)
    chat_ref.participants.create(identity="bob")
    for body in ("one", "two", "three"):
        chat_ref.messages.create(author="alice", body=body)
    key_sid, secret = api_key
    config = {"url": app_server.url, "accountSid": app_server.auth[0], "keySid": key_sid}
    config |= {"secret": secret, "serviceSid": created.sid, "scenario": "otherCalls"}
    lines = run_sdk({**config, "conversationSid": chat.sid, "identities": ["alice", "bob"]})
    events = {line["event"]: line for line in lines}
    assert "error" not in events, lines
    assert events["tokenUpdated"]["state"] == "connected"
    assert events["subscribedUsers"]["identities"] == ["alice"]  # none other asked for yet
    assert events["attributes"]["attributes"] == {"queue": 7}
    assert events["participantLookups"] == {
        "event": "participantLookups",
        "identity": "bob",
        "user": "bob",
    }
    pages = events["pages"]
    assert (pages["first"], pages["older"], pages["back"]) == (
        ["two", "three"],
        ["one"],
        ["two", "three"],
    )
    lookups = events["messageLookups"]
    assert (lookups["participant"], lookups["content"], lookups["channelMetadata"]) == (
        "alice",
        None,
        None,
    )
    assert (lookups["media"], lookups["byCategory"], lookups["recipients"]) == (0, 0, 0)
    assert lookups["email"] == [None, None]  # no email channel: no email body or history
    assert events["built"]["index"] == 3
    assert (events["advanced"]["unread"], events["advanced"]["index"]) == (2, 1)
    assert events["removed"] == {
        "event": "removed",
        "participantLeft": "bob",
        "conversationLeft": chat.sid,
    }
    assert events["deleted"]["conversationRemoved"] == chat.sid
    assert json.loads(service.users("alice").fetch().attributes) == {"team": "support"}
    assert [c.sid for c in service.conversations.list()] == []  # with its participants
    assert service.participant_conversations.list(identity="alice") == []


# The SDK's classes an app calls methods of (the others are its internals).
PUBLIC_CLASSES = {"Client", "Conversation", "Message", "Participant", "User", "Media"}
PUBLIC_CLASSES |= {"MessageBuilder", "UnsentMessage", "RestPaginator", "ContentTemplateVariable"}
SDK_CALLS_DOC = Path(__file__).resolve().parents[2] / "docs" / "client-sdk.md"


def sdk_methods(node_dir: Path) -> set[str]:
    """`Class.method` for every public method the installed SDK declares (lib.d.ts)."""
    declarations = node_dir / "node_modules" / "@twilio" / "conversations" / "builds" / "lib.d.ts"
    found = set()
    for block in declarations.read_text().split("\ndeclare class ")[1:]:
        name = re.split(r"[\s<]", block, maxsplit=1)[0]
        if name in PUBLIC_CLASSES:
            body = block[: block.find("\n}\n")]
            for method in re.findall(r"\n    (?:async )?(\w+)\(", body):
                if method != "constructor" and not method.startswith("_"):
                    found.add(f"{name}.{method}")
    return found


def test_the_list_of_sdk_calls_names_every_public_method_and_its_test(node_sdk: Path) -> None:
    """docs/client-sdk.md's table has a row for each public method of the SDK installed
    here, and a row that names a script of tests/node as its test names a script that
    calls the method."""
    row = re.compile(r"^\| `(\w+\.\w+)` \| [^|]+ \| ([^|]*) \|$", re.M)
    rows = {match[1]: match[2] for match in row.finditer(SDK_CALLS_DOC.read_text())}
    assert sorted(sdk_methods(node_sdk) - rows.keys()) == []
    for call, tested_by in rows.items():
        for script in re.findall(r"sdk_\w+\.js", tested_by):
            method = call.partition(".")[2]
            assert f".{method}(" in (node_sdk / script).read_text(), (call, script)
