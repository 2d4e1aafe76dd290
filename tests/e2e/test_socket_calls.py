"""The SDK's calls that create and administer, at the frame level: each is refused
(50107) without its role permission, asking no pre-event webhook and changing nothing;
allowed, it asks the webhook as the user (Source=SDK, ClientIdentity) and REST sees the
change. Calls: createConversation, conversation.delete, add / addNonChatParticipant /
join, participant.updateAttributes, user.updateFriendlyName / updateAttributes, and
the counts getMessagesCount / getParticipantsCount read."""

import asyncio
import json
import logging
from typing import Any

import pytest

from chinwag.testing import WebhookReceiver
from chinwag.twilsock import framing
from tests.e2e.tenants import Tenant, new_tenant
from tests.e2e.test_socket_isolation import Socket, _with_socket, token_for
from tests.e2e.test_socket_permissions import ask, code, roles_of
from tests.inprocess import AppServer


def as_user(app_server: AppServer, tenant: Tenant, identity: str, test: Any) -> Any:
    return asyncio.run(_with_socket(app_server.url, token_for(tenant, identity), test))


def hooked(tenant: Tenant, service: str, events: list[str]) -> WebhookReceiver:
    receiver = WebhookReceiver(tenant.auth_token).start()
    tenant.client.conversations.v1.services(service).configuration.webhooks().update(
        pre_webhook_url=receiver.url + "/pre", method="POST", filters=events
    )
    return receiver


def asked(receiver: WebhookReceiver) -> list[dict[str, str]]:
    """The pre-event requests, each asked as an SDK user (Source=SDK, ClientIdentity)."""
    forms = [dict(r.form) for r in receiver.requests]
    assert all(f["Source"] == "SDK" and f.get("ClientIdentity") for f in forms)
    return forms


def test_create_conversation_makes_the_creator_its_admin_and_asks_the_hook(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server, "creator")
    client = tenant.client.conversations.v1
    service = client.conversations.create().chat_service_sid
    roles = roles_of(tenant, service)
    cannot = client.services(service).roles.create(
        friendly_name="no creating", type="service", permission=["joinConversation"]
    )
    client.services(service).users.create(identity="mallory", role_sid=cannot.sid)
    receiver = hooked(tenant, service, ["onConversationAdd"])
    receiver.body = b'{"friendly_name": "Support (renamed)"}'
    body = {"friendly_name": "Support", "unique_name": "support-1", "attributes": '{"a": 1}'}
    try:
        refused = as_user(
            app_server,
            tenant,
            "mallory",
            lambda s: ask(s, "POST", "/Client/v2/Conversations", body),
        )
        assert code(refused) == 50107
        assert receiver.requests == []
        status, created = as_user(
            app_server, tenant, "alice", lambda s: ask(s, "POST", "/Client/v2/Conversations", body)
        )
    finally:
        receiver.stop()
    assert status == 200, created
    sid = created["sid"]
    assert created["sync_objects"]["conversation"] == f"{sid}.channel"
    assert created["links"]["participants"].endswith(f"/Conversations/{sid}/Participants")
    [form] = asked(receiver)
    assert (form["EventType"], form["ClientIdentity"], form["FriendlyName"]) == (
        "onConversationAdd",
        "alice",
        "Support",
    )
    rest = client.conversations(sid).fetch()
    assert (rest.friendly_name, rest.unique_name) == ("Support (renamed)", "support-1")
    assert json.loads(rest.attributes) == {"a": 1}
    [creator] = client.conversations(sid).participants.list()
    assert (creator.identity, creator.role_sid) == ("alice", roles["channel admin"])
    assert [c.unique_name for c in client.conversations.list()].count("support-1") == 1


def test_only_a_role_with_delete_conversation_deletes_it(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "deleter")
    client = tenant.client.conversations.v1
    conversation = client.conversations.create(friendly_name="to go")
    roles = roles_of(tenant, conversation.chat_service_sid)
    conversation.participants.create(identity="agent", role_sid=roles["channel admin"])
    conversation.participants.create(identity="customer")
    path = f"/Client/v2/Conversations/{conversation.sid}"
    receiver = hooked(tenant, conversation.chat_service_sid, ["onConversationRemove"])
    try:
        refused = as_user(app_server, tenant, "customer", lambda s: ask(s, "DELETE", path))
        assert code(refused) == 50107 and receiver.requests == []
        assert conversation.fetch().friendly_name == "to go"
        allowed = as_user(app_server, tenant, "agent", lambda s: ask(s, "DELETE", path))
    finally:
        receiver.stop()
    assert code(allowed) is None
    [form] = asked(receiver)
    assert (form["EventType"], form["ClientIdentity"]) == ("onConversationRemove", "agent")
    assert conversation.sid not in [c.sid for c in client.conversations.list()]


def test_the_body_names_whom_to_add_and_a_whatsapp_participant_shows_as_whatsapp(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server, "adder")
    client = tenant.client.conversations.v1
    conversation = client.conversations.create()
    roles = roles_of(tenant, conversation.chat_service_sid)
    conversation.participants.create(identity="agent", role_sid=roles["channel admin"])
    conversation.participants.create(identity="customer")
    path = f"/Client/v2/Conversations/{conversation.sid}/Participants"
    whatsapp = {
        "messaging_binding": {
            "address": "whatsapp:+15550001111",
            "proxy_address": "whatsapp:+15550002222",
        },
        "attributes": '{"from": "sdk"}',
    }
    receiver = hooked(tenant, conversation.chat_service_sid, ["onParticipantAdd"])

    async def as_customer(socket: Socket) -> list[int | None]:
        return [
            code(await ask(socket, "POST", path, {"identity": "bob"})),
            code(await ask(socket, "POST", path, whatsapp)),
        ]

    async def as_agent(socket: Socket) -> list[Any]:
        bob = await ask(socket, "POST", path, {"identity": "bob"})
        customer = await ask(socket, "POST", path, whatsapp)
        roster = await ask(socket, "GET", f"/v3/Maps/{conversation.sid}.roster/Items")
        return [bob, customer, roster]

    async def join(socket: Socket) -> Any:
        return await ask(socket, "POST", path, {"identity": "outsider"})

    try:
        assert as_user(app_server, tenant, "customer", as_customer) == [50107, 50107]
        assert receiver.requests == []
        bob, customer, roster = as_user(app_server, tenant, "agent", as_agent)
        joined = as_user(app_server, tenant, "outsider", join)
    finally:
        receiver.stop()
    assert bob[0] == 200 and bob[1]["identity"] == "bob"
    assert customer[0] == 200, customer
    assert customer[1]["messaging_binding"]["type"] == "whatsapp"
    assert joined[0] == 200 and joined[1]["identity"] == "outsider"
    types = {
        item["data"]["identity"] or item["data"]["sid"]: item["data"]["type"]
        for item in roster[1]["items"]
    }
    assert types[customer[1]["sid"]] == "whatsapp" and types["bob"] == "chat"
    forms = asked(receiver)
    assert [(f["ClientIdentity"], f.get("Identity")) for f in forms] == [
        ("agent", "bob"),
        ("agent", None),
        ("outsider", "outsider"),
    ]
    assert forms[1]["MessagingBinding.Address"] == "whatsapp:+15550001111"
    listed = {
        p.identity or p.messaging_binding["address"] for p in conversation.participants.list()
    }
    assert listed == {"agent", "customer", "bob", "outsider", "whatsapp:+15550001111"}


def test_participant_attributes_own_with_the_channel_user_anyone_with_the_admin(
    app_server: AppServer,
) -> None:
    tenant = new_tenant(app_server, "attrs")
    client = tenant.client.conversations.v1
    conversation = client.conversations.create()
    roles = roles_of(tenant, conversation.chat_service_sid)
    agent = conversation.participants.create(identity="agent", role_sid=roles["channel admin"])
    customer = conversation.participants.create(identity="customer")
    base = f"/Client/v2/Conversations/{conversation.sid}/Participants"
    receiver = hooked(tenant, conversation.chat_service_sid, ["onParticipantUpdate"])

    async def as_customer(socket: Socket) -> list[int | None]:
        return [
            code(await ask(socket, "POST", f"{base}/{agent.sid}", {"attributes": '{"x": 1}'})),
            code(await ask(socket, "POST", f"{base}/{customer.sid}", {"attributes": '{"me": 1}'})),
        ]

    async def as_agent(socket: Socket) -> int | None:
        return code(
            await ask(socket, "POST", f"{base}/{customer.sid}", {"attributes": '{"vip": 1}'})
        )

    try:
        assert as_user(app_server, tenant, "customer", as_customer) == [50107, None]
        assert json.loads(conversation.participants(customer.sid).fetch().attributes) == {"me": 1}
        assert as_user(app_server, tenant, "agent", as_agent) is None
    finally:
        receiver.stop()
    assert json.loads(conversation.participants(customer.sid).fetch().attributes) == {"vip": 1}
    assert json.loads(conversation.participants(agent.sid).fetch().attributes) == {}
    forms = asked(receiver)
    assert [(f["ClientIdentity"], f["Attributes"]) for f in forms] == [
        ("customer", '{"me": 1}'),
        ("agent", '{"vip": 1}'),
    ]


async def _next_event(socket: Socket, event_type: str) -> dict[str, Any]:
    while True:
        frame = framing.parse((await socket.ws.receive(10)).data)
        if frame.method == "notification" and frame.json().get("event_type") == event_type:
            event: dict[str, Any] = frame.json()["event"]
            return event


def test_a_user_edits_their_own_info_and_subscribed_clients_hear_it(
    app_server: AppServer,
) -> None:
    """editOwnUserInfo (the default service user) for oneself, editAnyUserInfo for another;
    a client holding the user's `US….info` map gets map_item_updated, on PostgreSQL too."""
    tenant = new_tenant(app_server, "users")
    client = tenant.client.conversations.v1
    service_sid = client.conversations.create().chat_service_sid
    service = client.services(service_sid)
    alice = service.users.create(identity="alice")
    service.users.create(identity="bob")
    receiver = hooked(tenant, service_sid, ["onUserUpdate"])

    async def scenario() -> tuple[list[int | None], dict[str, Any]]:
        async def watch(socket: Socket) -> dict[str, Any]:
            assert await socket.subscribe(f"{alice.sid}.info", "map") == "subscription_established"
            ready.set()
            # both changes heard before closing: a socket closed mid-read leaves the
            # server's database connection to the garbage collector
            renamed = await _next_event(socket, "map_item_updated")
            await _next_event(socket, "map_item_updated")
            return renamed

        async def act(socket: Socket) -> list[int | None]:
            await ready.wait()
            return [
                code(await ask(socket, "POST", "/Client/v2/Users/bob", {"friendly_name": "B"})),
                code(await ask(socket, "POST", "/Client/v2/Users/alice", {"friendly_name": "Al"})),
                code(
                    await ask(socket, "POST", "/Client/v2/Users/alice", {"attributes": '{"t": 1}'})
                ),
            ]

        ready = asyncio.Event()
        url = app_server.url
        heard, answers = await asyncio.gather(
            _with_socket(url, token_for(tenant, "bob"), watch),
            _with_socket(url, token_for(tenant, "alice"), act),
        )
        return answers, heard

    try:
        answers, heard = asyncio.run(scenario())
    finally:
        receiver.stop()
    assert answers == [50107, None, None]
    assert heard["item_key"] == "friendlyName" and heard["item_data"] == {"value": "Al"}
    fetched = service.users("alice").fetch()
    assert (fetched.friendly_name, json.loads(fetched.attributes)) == ("Al", {"t": 1})
    assert service.users("bob").fetch().friendly_name is None
    forms = asked(receiver)
    assert [(f["ClientIdentity"], f.get("FriendlyName")) for f in forms] == [
        ("alice", "Al"),
        ("alice", None),
    ]


def test_counts_are_in_the_conversation_answer(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "counts")
    conversation = tenant.client.conversations.v1.conversations.create()
    conversation.participants.create(identity="alice")
    conversation.participants.create(identity="bob")
    for body in ("one", "two", "three"):
        conversation.messages.create(author="alice", body=body)
    path = f"/Client/v2/Conversations/{conversation.sid}"
    status, body = as_user(app_server, tenant, "alice", lambda s: ask(s, "GET", path))
    assert status == 200
    assert (body["messages_count"], body["participants_count"]) == (3, 2)


def test_a_refused_tunnelled_request_is_logged_with_its_path_status_and_code(
    app_server: AppServer, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = new_tenant(app_server, "logged")
    conversation = tenant.client.conversations.v1.conversations.create()
    conversation.participants.create(identity="customer")
    path = f"/Client/v2/Conversations/{conversation.sid}"
    with caplog.at_level(logging.INFO, logger="chinwag.twilsock"):
        answer = as_user(app_server, tenant, "customer", lambda s: ask(s, "DELETE", path))
    assert code(answer) == 50107
    [record] = [r for r in caplog.records if r.name == "chinwag.twilsock" and "failed" in r.msg]
    extra = record.__dict__
    assert (record.levelno, extra["path"]) == (logging.INFO, path)
    assert (extra["http_status"], extra["twilio_code"]) == (403, 50107)
