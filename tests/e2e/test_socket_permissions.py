"""Roles decide what an SDK user may do, as on Twilio: a web-chat customer (a default
channel user) cannot edit or delete the agent's messages, rename the conversation or
remove the agent; an agent (channel admin) can. A refusal is 403 50107, changes
nothing and asks no pre-event webhook (domain/permissions.py)."""

import asyncio
import json
from typing import Any

from chinwag.testing import WebhookReceiver
from tests.e2e.tenants import Tenant, new_tenant
from tests.e2e.test_socket_isolation import Socket, _with_socket, token_for
from tests.inprocess import AppServer

ASKED = ["onMessageUpdate", "onMessageRemove", "onParticipantAdd", "onMessageAdd"]


def ask(socket: Socket, method: str, path: str, body: Any = None) -> Any:
    return socket.ask(method, path, json.dumps(body) if body is not None else None)


def code(answer: tuple[int, Any]) -> int | None:
    status, body = answer
    return None if status < 300 else int(body["code"])


def roles_of(tenant: Tenant, service: str) -> dict[str, str]:
    listed = tenant.client.conversations.v1.services(service).roles.list()
    return {role.friendly_name: role.sid for role in listed}


def test_a_customer_cannot_touch_the_agents_messages_an_agent_can(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "desk")
    client = tenant.client.conversations.v1
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        conversation = client.conversations.create(friendly_name="Order #42")
        service = conversation.chat_service_sid
        client.services(service).configuration.webhooks().update(
            pre_webhook_url=receiver.url + "/pre", method="POST", filters=ASKED
        )
        roles = roles_of(tenant, service)
        conversation.participants.create(identity="agent", role_sid=roles["channel admin"])
        conversation.participants.create(identity="customer")
        sid = conversation.sid
        agents = conversation.messages.create(author="agent", body="How can I help?")
        customers = conversation.messages.create(author="customer", body="Where is it?")
        base = f"/Client/v2/Conversations/{sid}"

        async def as_customer(socket: Socket) -> dict[str, int | None]:
            return {
                "edit the agent's": code(
                    await ask(socket, "POST", f"{base}/Messages/{agents.sid}", {"body": "x"})
                ),
                "delete the agent's": code(
                    await ask(socket, "DELETE", f"{base}/Messages/{agents.sid}")
                ),
                "rename": code(await ask(socket, "POST", base, {"friendly_name": "mine"})),
                "attributes": code(await ask(socket, "POST", base, {"attributes": "{}"})),
                "remove the agent": code(await ask(socket, "DELETE", f"{base}/Participants/agent")),
                "send": code(await ask(socket, "POST", f"{base}/Messages", {"body": "hello?"})),
                "edit own": code(
                    await ask(
                        socket, "POST", f"{base}/Messages/{customers.sid}", {"body": "Where?"}
                    )
                ),
            }

        before = len(receiver.requests)
        refused = asyncio.run(
            _with_socket(app_server.url, token_for(tenant, "customer"), as_customer)
        )
        assert refused == {
            "edit the agent's": 50107,
            "delete the agent's": 50107,
            "rename": 50107,
            "attributes": 50107,
            "remove the agent": 50107,
            "send": None,
            "edit own": None,
        }
        asked = [r.form["EventType"] for r in receiver.requests[before:]]
        assert asked == ["onMessageAdd", "onMessageUpdate"]  # only for what was allowed
        assert conversation.messages(agents.sid).fetch().body == "How can I help?"
        assert conversation.fetch().friendly_name == "Order #42"
        assert sorted(p.identity for p in conversation.participants.list()) == ["agent", "customer"]

        async def as_agent(socket: Socket) -> list[int | None]:
            return [
                code(
                    await ask(
                        socket, "POST", f"{base}/Messages/{customers.sid}", {"body": "edited"}
                    )
                ),
                code(await ask(socket, "POST", base, {"friendly_name": "Order #42 (late)"})),
                code(await ask(socket, "DELETE", f"{base}/Messages/{customers.sid}")),
                code(await ask(socket, "DELETE", f"{base}/Participants/customer")),
            ]

        assert (
            asyncio.run(_with_socket(app_server.url, token_for(tenant, "agent"), as_agent))
            == [None] * 4
        )
        assert conversation.fetch().friendly_name == "Order #42 (late)"
        assert [p.identity for p in conversation.participants.list()] == ["agent"]
    finally:
        receiver.stop()


def test_a_role_without_send_and_a_user_without_join_are_refused(app_server: AppServer) -> None:
    tenant = new_tenant(app_server, "roles")
    client = tenant.client.conversations.v1
    conversation = client.conversations.create()
    service = client.services(conversation.chat_service_sid)
    mute = service.roles.create(
        friendly_name="mute", type="conversation", permission=["leaveConversation"]
    )
    cannot_join = service.roles.create(
        friendly_name="no joining", type="service", permission=["editOwnUserInfo"]
    )
    conversation.participants.create(identity="muted", role_sid=mute.sid)
    base = f"/Client/v2/Conversations/{conversation.sid}"

    async def muted(socket: Socket) -> list[int | None]:
        return [
            code(await ask(socket, "POST", f"{base}/Messages", {"body": "hi"})),
            code(await ask(socket, "DELETE", f"{base}/Participants/muted")),  # leaving is held
        ]

    assert asyncio.run(_with_socket(app_server.url, token_for(tenant, "muted"), muted)) == [
        50107,
        None,
    ]
    assert conversation.messages.list() == []

    async def join(socket: Socket) -> int | None:
        return code(await ask(socket, "POST", f"{base}/Participants", {}))

    token = token_for(tenant, "outsider")
    assert asyncio.run(_with_socket(app_server.url, token, join)) is None  # service user may
    [joined] = conversation.participants.list()
    joined.delete()
    service.users("outsider").update(role_sid=cannot_join.sid)
    assert asyncio.run(_with_socket(app_server.url, token, join)) == 50107
    assert [p.identity for p in conversation.participants.list()] == []


def test_every_sdk_change_asks_the_pre_event_webhook_as_the_user(app_server: AppServer) -> None:
    """Renaming (onConversationUpdate, whose answer may rename), the read horizon
    (onParticipantUpdate) and leaving (onParticipantRemove, here refused) are asked with
    Source=SDK and the user's identity, as REST's changes are."""
    tenant = new_tenant(app_server, "hooked")
    client = tenant.client.conversations.v1
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        conversation = client.conversations.create(friendly_name="before")
        service = conversation.chat_service_sid
        events = ["onConversationUpdate", "onParticipantUpdate", "onParticipantRemove"]
        client.services(service).configuration.webhooks().update(
            pre_webhook_url=receiver.url + "/pre", method="POST", filters=events
        )
        roles = roles_of(tenant, service)
        conversation.participants.create(identity="agent", role_sid=roles["channel admin"])
        conversation.messages.create(author="agent", body="hello")
        base = f"/Client/v2/Conversations/{conversation.sid}"
        receiver.body = b'{"friendly_name": "renamed by the hook"}'
        receiver.answers = [200, 200, 403]

        async def act(socket: Socket) -> list[int | None]:
            read = {"last_read_message_index": 0}
            return [
                code(await ask(socket, "POST", base, {"friendly_name": "after"})),
                code(
                    await ask(
                        socket, "POST", f"/Client/v2/Me/Conversations/{conversation.sid}", read
                    )
                ),
                code(await ask(socket, "DELETE", f"{base}/Participants/agent")),
            ]

        answers = asyncio.run(_with_socket(app_server.url, token_for(tenant, "agent"), act))
    finally:
        receiver.stop()
    assert answers == [None, None, 20403]
    asked = [r.form for r in receiver.requests]
    assert [form["EventType"] for form in asked] == events
    assert all((form["Source"], form["ClientIdentity"]) == ("SDK", "agent") for form in asked)
    assert asked[0]["FriendlyName"] == "after"
    assert asked[1]["LastReadMessageIndex"] == "0" and asked[2]["Identity"] == "agent"
    assert conversation.fetch().friendly_name == "renamed by the hook"
    [agent] = conversation.participants.list()
    assert agent.last_read_message_index == 0  # the update went through; the leave did not


def test_muting_needs_its_permission_and_a_removal_asks_the_hook(app_server: AppServer) -> None:
    """`setUserNotificationLevel` needs editNotificationLevel; `message.remove()` asks
    onMessageRemove, whose rejection keeps the message."""
    tenant = new_tenant(app_server, "muting")
    client = tenant.client.conversations.v1
    receiver = WebhookReceiver(tenant.auth_token).start()
    try:
        conversation = client.conversations.create()
        service = client.services(conversation.chat_service_sid)
        service.configuration.webhooks().update(
            pre_webhook_url=receiver.url + "/pre", method="POST", filters=["onMessageRemove"]
        )
        silent = service.roles.create(
            friendly_name="no muting", type="conversation", permission=["deleteOwnMessage"]
        )
        conversation.participants.create(identity="fan", role_sid=silent.sid)
        kept = conversation.messages.create(author="fan", body="keep me")
        receiver.answers = [403]
        mine = f"/Client/v2/Me/Conversations/{conversation.sid}"
        removal = f"/Client/v2/Conversations/{conversation.sid}/Messages/{kept.sid}"

        async def act(socket: Socket) -> list[int | None]:
            return [
                code(await ask(socket, "POST", mine, {"notification_level": "muted"})),
                code(await ask(socket, "DELETE", removal)),
            ]

        answers = asyncio.run(_with_socket(app_server.url, token_for(tenant, "fan"), act))
    finally:
        receiver.stop()
    assert answers == [50107, 20403]
    [asked] = receiver.requests
    assert (asked.form["EventType"], asked.form["MessageSid"]) == ("onMessageRemove", kept.sid)
    assert [m.body for m in conversation.messages.list()] == ["keep me"]
    user_conversation = service.users("fan").user_conversations(conversation.sid).fetch()
    assert user_conversation.notification_level == "default"
