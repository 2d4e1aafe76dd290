"""Who the SDK's socket serves: one account, one service, and what the user takes part in.

Account B holds a conversation with "bob"; account A mints a token for its own "bob".
Every tunnelled request A's socket makes at B's objects answers as for a missing one,
and a subscription to them fails; within B, a user outside the conversation may only
peek at it by SID (what `peekConversationBySid` reads before `join()`).
"""

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from chinwag.twilsock import framing
from tests.e2e.tenants import Tenant, new_tenant
from tests.inprocess import AppServer


class Socket:
    """A twilsock client speaking raw frames, one request at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.count = 0

    async def frame(self, header: dict[str, Any], payload: Any = None) -> framing.Frame:
        self.count += 1
        header = {"id": f"TM{self.count}", **header}
        await self.ws.send_bytes(framing.encode(header, payload))
        while True:
            answer = framing.parse((await self.ws.receive(10)).data)
            if answer.id == header["id"]:
                return answer

    async def ask(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        http = {"host": "x", "path": path, "method": method, "params": params or {}}
        header = {"method": "message", "active_grant": "ip_messaging"}
        answer = await self.frame({**header, "http_request": {**http, "headers": headers}}, body)
        return answer.header["http_status"]["code"], answer.json()

    async def subscribe(self, sid: str, kind: str) -> str:
        """The event type that answers a subscription to `sid`."""
        request = {"object_sid": sid, "object_type": kind, "last_event_id": 0}
        body = {"event_protocol_version": 4, "action": "establish", "correlation_id": 7}
        status, _ = await self.ask("POST", "/v4/Subscriptions", {**body, "requests": [request]})
        assert status == 200
        while True:
            notice = framing.parse((await self.ws.receive(10)).data)
            payload = notice.json()
            if notice.method == "notification" and payload.get("correlation_id") == 7:
                return str(payload["event_type"])


async def _with_socket(url: str, token: str, test: Any) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url.replace("http", "ws") + "/v3/wsconnect") as ws,
    ):
        socket = Socket(ws)
        answer = await socket.frame({"method": "init", "token": token, "capabilities": []})
        assert answer.header["status"]["code"] == 200, answer.header
        return await test(socket)


def token_for(tenant: Tenant, identity: str, service_sid: str | None = None) -> str:
    params = {"Identity": identity, **({"ChatServiceSid": service_sid} if service_sid else {})}
    answer = tenant.api.post("/chinwag/v1/Tokens", data=params)
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


@pytest.fixture
def victim(app_server: AppServer) -> tuple[Tenant, Any]:
    """Account B and its conversation `secret-room` with bob in it and one message."""
    b = new_tenant(app_server, "victim")
    conversation = b.client.conversations.v1.conversations.create(unique_name="secret-room")
    conversation.participants.create(identity="bob")
    conversation.messages.create(author="bob", body="the secret")
    return b, conversation


def test_a_token_of_another_account_finds_none_of_its_objects(
    app_server: AppServer, victim: tuple[Tenant, Any]
) -> None:
    b, conversation = victim
    a = new_tenant(app_server, "intruder")
    sid = conversation.sid
    b_user = b.client.conversations.v1.users.list()[0]
    refused = a.api.post(
        "/chinwag/v1/Tokens",
        data={"Identity": "bob", "ChatServiceSid": (conversation.chat_service_sid)},
    )
    assert refused.status_code == 400, refused.text

    async def probe(socket: Socket) -> dict[str, Any]:
        asks = {
            "messages": ("GET", f"/v3/Lists/{sid}.messages/Items"),
            "roster": ("GET", f"/v3/Maps/{sid}.roster/Items"),
            "document": ("GET", f"/v3/Documents/{sid}.channel"),
            "user info": ("GET", f"/v3/Maps/{b_user.sid}.info"),
            "their conversations": ("GET", f"/v3/Maps/{b_user.sid}.conversations"),
            "conversation": ("GET", f"/Client/v2/Conversations/{sid}"),
            "by unique name": ("GET", "/Client/v2/Conversations/secret-room"),
            "membership": ("GET", f"/Client/v2/Me/Conversations/{sid}"),
            "membership by name": ("GET", "/Client/v2/Me/Conversations/secret-room"),
        }
        answers: dict[str, Any] = {name: await socket.ask(*ask) for name, ask in asks.items()}
        writes = {
            "send": ("POST", f"/Client/v2/Conversations/{sid}/Messages", {"body": "x"}),
            "rename": ("POST", f"/Client/v2/Conversations/{sid}", {"friendly_name": "x"}),
            "join": ("POST", f"/Client/v2/Conversations/{sid}/Participants", {}),
            "leave": ("DELETE", f"/Client/v2/Conversations/{sid}/Participants/bob", None),
            "edit": ("POST", f"/Client/v2/Conversations/{sid}/Messages/IM{'0' * 32}", {}),
            "read": ("POST", f"/Client/v2/Me/Conversations/{sid}", {"last_read_message_index": 0}),
        }
        for name, (method, path, body) in writes.items():
            answers[name] = await socket.ask(method, path, json.dumps(body) if body else None)
        typing = ("POST", "/Client/v2/Indicators/Typing")
        answers["typing"] = await socket.ask(*typing, json.dumps({"ChannelSid": sid}))
        for suffix, kind in (("messages", "list"), ("roster", "map"), ("channel", "document")):
            answers[f"subscribe {suffix}"] = await socket.subscribe(f"{sid}.{suffix}", kind)
        return answers

    answers = asyncio.run(_with_socket(app_server.url, token_for(a, "bob"), probe))
    for name, answer in answers.items():
        if name.startswith("subscribe"):
            assert answer == "subscription_failed", name
        else:
            assert answer[0] == 404, (name, answer)
            assert answer[1]["code"] == 20404, (name, answer)
    assert "the secret" not in json.dumps(answers)
    assert [m.body for m in conversation.messages.list()] == ["the secret"]
    assert [p.identity for p in conversation.participants.list()] == ["bob"]
    assert conversation.fetch().friendly_name is None


def test_a_user_outside_a_conversation_may_only_peek_at_it_by_sid(
    app_server: AppServer, victim: tuple[Tenant, Any]
) -> None:
    b, conversation = victim
    sid = conversation.sid

    async def probe(socket: Socket) -> dict[str, int]:
        return {
            "conversation": (await socket.ask("GET", f"/Client/v2/Conversations/{sid}"))[0],
            "document": (await socket.ask("GET", f"/v3/Documents/{sid}.channel"))[0],
            "by unique name": (await socket.ask("GET", "/Client/v2/Conversations/secret-room"))[0],
            "membership": (await socket.ask("GET", f"/Client/v2/Me/Conversations/{sid}"))[0],
            "messages": (await socket.ask("GET", f"/v3/Lists/{sid}.messages/Items"))[0],
            "roster": (await socket.ask("GET", f"/v3/Maps/{sid}.roster/Items"))[0],
        }

    outsider = asyncio.run(_with_socket(app_server.url, token_for(b, "mallory"), probe))
    assert outsider == {
        "conversation": 200,
        "document": 200,
        "by unique name": 404,
        "membership": 404,
        "messages": 404,
        "roster": 404,
    }
    member = asyncio.run(_with_socket(app_server.url, token_for(b, "bob"), probe))
    assert set(member.values()) == {200}


def test_a_client_back_from_away_hears_what_was_removed(app_server: AppServer) -> None:
    """Subscribing again from the last event it heard, a client is told of the message
    deleted and the participant removed meanwhile (store/removals.py)."""
    tenant = new_tenant(app_server, "away")
    conversation = tenant.client.conversations.v1.conversations.create()
    conversation.participants.create(identity="alice")
    leaving = conversation.participants.create(identity="bob")
    doomed = conversation.messages.create(author="alice", body="soon gone")
    conversation.messages.create(author="alice", body="stays")
    sid, token = conversation.sid, token_for(tenant, "alice")

    async def last_event_ids(socket: Socket) -> dict[str, int]:
        ids = {}
        for kind, suffix in (("Lists", "messages"), ("Maps", "roster")):
            status, body = await socket.ask("GET", f"/v3/{kind}/{sid}.{suffix}")
            assert status == 200
            ids[suffix] = int(body["last_event_id"])
        return ids

    heard = asyncio.run(_with_socket(app_server.url, token, last_event_ids))
    conversation.messages(doomed.sid).delete()
    conversation.participants(leaving.sid).delete()

    async def come_back(socket: Socket) -> list[dict[str, Any]]:
        events = []
        for suffix, kind in (("messages", "list"), ("roster", "map")):
            request = {"object_sid": f"{sid}.{suffix}", "object_type": kind}
            body = {"event_protocol_version": 4, "action": "establish", "correlation_id": 1}
            body["requests"] = [{**request, "last_event_id": heard[suffix]}]
            assert (await socket.ask("POST", "/v4/Subscriptions", json.dumps(body)))[0] == 200
            while True:
                notice = framing.parse((await socket.ws.receive(10)).data).json()
                events.append(notice)
                if notice["event_type"] == "subscription_established":
                    break
        return events

    replayed = asyncio.run(_with_socket(app_server.url, token, come_back))
    removals = [
        (e["event_type"], e["event"].get("item_index", e["event"].get("item_key")))
        for e in replayed
        if e["event_type"].endswith("_removed")
    ]
    assert removals == [("list_item_removed", doomed.index), ("map_item_removed", leaving.sid)]
