"""The twilsock socket at the frame level (the SDK's own behaviour: test_client_sdk.py)."""

import asyncio
from typing import Any

import aiohttp
import requests

from chinwag.testing import access_token
from chinwag.twilsock import connection, framing
from tests.inprocess import AppServer


async def _exchange(
    url: str, frames: list[tuple[dict[str, Any], Any]], wait_for: int, timeout: float = 10
) -> list[framing.Frame]:
    """Send `frames` in order, each after the previous one's answer; collect `wait_for` frames."""
    received: list[framing.Frame] = []
    socket_url = url.replace("http", "ws") + "/v3/wsconnect"
    async with aiohttp.ClientSession() as session, session.ws_connect(socket_url) as ws:
        for header, payload in frames:
            await ws.send_bytes(framing.encode(header, payload))
            message = await ws.receive(timeout)
            if message.type == aiohttp.WSMsgType.BINARY:
                received.append(framing.parse(message.data))
        while len(received) < wait_for:
            message = await ws.receive(timeout)
            if message.type != aiohttp.WSMsgType.BINARY:
                break
            received.append(framing.parse(message.data))
    return received


def init(token: str) -> tuple[dict[str, Any], Any]:
    return {"id": "TM-init", "method": "init", "token": token, "capabilities": []}, None


def exchange(
    url: str, *frames: tuple[dict[str, Any], Any], wait_for: int = 0
) -> list[framing.Frame]:
    return asyncio.run(_exchange(url, list(frames), wait_for))


def test_init_names_offline_storage_that_a_reset_changes(fresh_app: AppServer) -> None:
    first = exchange(fresh_app.url, init(access_token(fresh_app, "alice")))[0]
    assert first.header["status"] == {"code": 200, "status": "OK"}
    storage = first.header["offline_storage"]["ip_messaging"]["storage_id"]
    again = exchange(fresh_app.url, init(access_token(fresh_app, "alice")))[0]
    assert again.header["offline_storage"]["ip_messaging"]["storage_id"] == storage
    reset = requests.post(f"{fresh_app.url}/chinwag/v1/Reset", auth=fresh_app.auth, timeout=10)
    assert reset.status_code in (200, 204), reset.text
    after = exchange(fresh_app.url, init(access_token(fresh_app, "alice")))[0]
    assert after.header["offline_storage"]["ip_messaging"]["storage_id"] != storage


def test_a_token_update_keeps_the_identity(app_server: AppServer) -> None:
    update = {"id": "TM-up", "method": "update", "token": access_token(app_server, "alice")}
    answers = exchange(app_server.url, init(access_token(app_server, "alice")), (update, None))
    assert answers[1].id == "TM-up" and answers[1].header["status"]["code"] == 200
    other = {"id": "TM-up2", "method": "update", "token": access_token(app_server, "bob")}
    refused = exchange(app_server.url, init(access_token(app_server, "alice")), (other, None))
    assert refused[1].header["status"]["code"] == 401


def test_a_short_token_is_warned_then_closed_with_410(app_server: AppServer) -> None:
    frames = exchange(app_server.url, init(access_token(app_server, "alice", ttl=2)), wait_for=3)
    assert frames[0].header["status"]["code"] == 200
    assert frames[1].header["method"] == "client_update"
    assert frames[1].header["client_update_type"] == "token_about_to_expire"
    assert frames[2].header["method"] == "close"
    assert frames[2].header["status"]["code"] == 410
    assert frames[2].header["status"]["errorCode"] == 20104


def test_tunnelled_requests_need_init_and_a_known_path(app_server: AppServer) -> None:
    request = {
        "id": "TM-m",
        "method": "message",
        "active_grant": "ip_messaging",
        "http_request": {"host": "aim.us1.twilio.com", "path": "/Client/v2/Nope", "method": "GET"},
    }
    before = exchange(app_server.url, (request, None))[0]
    assert before.header["status"]["code"] == 401
    answers = exchange(app_server.url, init(access_token(app_server, "alice")), (request, None))
    assert answers[1].header["http_status"]["code"] == 404
    assert answers[1].json()["code"] == 20404


def test_garbage_closes_the_socket_with_406(app_server: AppServer) -> None:
    async def send_garbage() -> framing.Frame:
        url = app_server.url.replace("http", "ws") + "/v3/wsconnect"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.send_bytes(b"HELLO")
            return framing.parse((await ws.receive(5)).data)

    closed = asyncio.run(send_garbage())
    assert closed.method == "close" and closed.header["status"]["code"] == 406


def _closed_by(raw: bytes, app_server: AppServer) -> framing.Frame:
    async def send() -> framing.Frame:
        url = app_server.url.replace("http", "ws") + "/v3/wsconnect"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.send_bytes(raw)
            return framing.parse((await ws.receive(5)).data)

    return asyncio.run(send())


def test_a_huge_size_or_a_deeply_nested_header_closes_with_406(app_server: AppServer) -> None:
    huge = b"TWILSOCK V3.0 " + b"9" * 5000 + b"\r\n{}\r\n"
    deep = b"[" * 100_000 + b"]" * 100_000
    nested = b"TWILSOCK V3.0 %d\r\n%s\r\n" % (len(deep), deep)
    for raw in (huge, nested):
        closed = _closed_by(raw, app_server)
        assert closed.method == "close" and closed.header["status"]["code"] == 406


def message(http_request: Any, payload: Any = None, id: str = "TM-m") -> tuple[dict[str, Any], Any]:
    header = {"id": id, "method": "message", "http_request": http_request}
    return header, payload


def test_tunnelled_requests_of_the_wrong_shape_are_answered_400(app_server: AppServer) -> None:
    send = {"path": "/Client/v2/Conversations/CH1/Messages", "method": "POST", "headers": {}}
    shapes = [
        message(["not", "an", "object"]),
        message({"path": "/Client/v2/Configuration", "method": "GET", "params": [1, 2]}),
        message({"path": "/Client/v2/Configuration", "method": "GET", "headers": "x"}),
        message(send, b"{not json"),
        message(send, {"body": {"an": "object"}}),
        message({**send, "path": "/v4/Subscriptions"}, {"requests": ["x"]}),
        message({"path": "/v3/Lists/x/Items", "method": "GET", "params": {"PageSize": "²"}}),
    ]
    answers = exchange(app_server.url, init(access_token(app_server, "alice")), *shapes)
    assert len(answers) == 1 + len(shapes)
    statuses = [answer.header["http_status"]["code"] for answer in answers[1:]]
    # the list 'x' does not exist: a 404 answers before its PageSize is read
    assert statuses == [400, 400, 400, 400, 400, 400, 404], statuses


def test_a_socket_without_init_is_closed(app_server: AppServer, monkeypatch: Any) -> None:
    monkeypatch.setattr(connection, "INIT_TIMEOUT", 0.2)

    async def wait() -> framing.Frame:
        url = app_server.url.replace("http", "ws") + "/v3/wsconnect"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            return framing.parse((await ws.receive(5)).data)

    closed = asyncio.run(wait())
    assert closed.method == "close" and closed.header["status"]["code"] == 408


def test_one_user_s_sockets_are_bounded(app_server: AppServer) -> None:
    token = access_token(app_server, "many-tabs")
    limit = connection.MAX_SOCKETS_PER_IDENTITY

    async def open_many() -> list[int]:
        url = app_server.url.replace("http", "ws") + "/v3/wsconnect"
        async with aiohttp.ClientSession() as session:
            sockets = [await session.ws_connect(url) for _ in range(limit + 1)]
            statuses = []
            for ws in sockets:
                await ws.send_bytes(framing.encode(*init(token)))
                statuses.append(framing.parse((await ws.receive(5)).data).header["status"]["code"])
            for ws in sockets:
                await ws.close()
            return statuses

    assert asyncio.run(open_many()) == [200] * limit + [429]
