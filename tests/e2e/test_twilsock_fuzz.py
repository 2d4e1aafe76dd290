"""The socket under generated input: every frame is answered or closes the socket with a
`close` frame, and no tunnelled request answers 500 (as test_fuzz.py asks of REST).

Hypothesis makes frames for every tunnelled route (`router.ROUTES`): paths with real and
odd SIDs, methods, `params`/`headers`/bodies of any JSON shape, and raw bytes that are
no frame at all. Each example runs on one socket of a signed-in user; the number of
examples is fixed so a run stays within CI's budget.
"""

import asyncio
import json
import re
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.rest import Client

from chinwag.testing import access_token
from chinwag.twilsock import framing
from chinwag.twilsock.router import ROUTES
from tests.inprocess import AppServer

EXAMPLES = 40
ODDITIES = ["²", "-1", "9" * 30, "2147483648", "2147483647", "CH" + "0" * 32, "%0d%0a"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
FIELDS = ["body", "attributes", "friendly_name", "unique_name", "ChannelSid", "requests"]
FIELDS += ["last_read_message_index", "notification_level", "media_sids", "action"]
BODY = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4) | JSON


def messages_strategy(real: list[str]) -> st.SearchStrategy[tuple[Any, Any]]:
    """Message frames for every route, path parts and params drawn from odd text and from
    `real` (a conversation the fuzzing user is in, and its Sync objects)."""
    odd = st.text(max_size=12) | st.sampled_from(ODDITIES + real)

    def filled(method: str, pattern: str) -> st.SearchStrategy[tuple[str, str]]:
        source = pattern.lstrip("^").rstrip("$")
        names = re.findall(r"\(\?P<(\w+)>\[\^/\]\+\)", source)
        template = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", source)
        values = st.fixed_dictionaries(
            {name: odd.filter(lambda v: "/" not in v and v) for name in names}
        )
        return values.map(lambda args: (method, template.format(**args)))

    paths = st.one_of(*(filled(method, pattern.pattern) for method, pattern, _ in ROUTES))
    params = st.dictionaries(
        st.sampled_from(["PageSize", "From", "Order", "Index", "Key", "Include"]),
        odd | st.sampled_from(["0", "1", "desc", "asc", "items"]),
    )
    http_request = st.builds(
        lambda route, params, headers: {
            "host": "aim.us1.twilio.com",
            "method": route[0],
            "path": route[1],
            "params": params,
            "headers": headers,
        },
        paths,
        params | JSON,
        st.just({"Content-Type": "application/json"})
        | st.just({"Content-Type": "application/x-www-form-urlencoded"})
        | JSON,
    )
    return st.tuples(http_request | JSON, BODY)


async def _send_all(url: str, token: str, messages: list[tuple[Any, Any]]) -> list[Any]:
    """Send each message frame, wait for its reply; the HTTP statuses in order."""
    statuses = []
    socket_url = url.replace("http", "ws") + "/v3/wsconnect"
    async with aiohttp.ClientSession() as session, session.ws_connect(socket_url) as ws:
        await ws.send_bytes(framing.encode({"id": "TM-i", "method": "init", "token": token}))
        assert framing.parse((await ws.receive(10)).data).header["status"]["code"] == 200
        for number, (http_request, body) in enumerate(messages):
            header = {"id": f"TM{number}", "method": "message", "http_request": http_request}
            payload = json.dumps(body).encode() if body is not None else None
            await ws.send_bytes(framing.encode(header, payload))
            while True:
                answer = await ws.receive(10)
                assert answer.type == aiohttp.WSMsgType.BINARY, (answer, http_request, body)
                frame = framing.parse(answer.data)
                if frame.id == header["id"]:
                    break
            statuses.append(frame.header.get("http_status", {}).get("code"))
    return statuses


def test_no_tunnelled_request_answers_500_or_goes_unanswered(
    app_server: AppServer, client: Client
) -> None:
    token = access_token(app_server, "fuzzer")
    conversation = client.conversations.v1.conversations.create(unique_name=f"fuzz-{token[-8:]}")
    conversation.participants.create(identity="fuzzer")
    for body in ("one", "two", "three"):
        conversation.messages.create(author="fuzzer", body=body)
    sid = conversation.sid
    real = [sid, f"{sid}.messages", f"{sid}.roster", f"{sid}.channel", "Lists", "Maps"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(messages_strategy(real), min_size=1, max_size=6))
    def case(messages: list[tuple[Any, Any]]) -> None:
        statuses = asyncio.run(_send_all(app_server.url, token, messages))
        assert len(statuses) == len(messages)
        assert all(status is not None and status < 500 for status in statuses), statuses

    case()


def test_bytes_that_are_no_frame_close_the_socket_with_a_close_frame(
    app_server: AppServer,
) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
    @given(
        st.binary(max_size=64)
        | st.builds(
            lambda size, rest: b"TWILSOCK V3.0 " + size + b"\r\n" + rest,
            st.binary(max_size=12),
            st.binary(max_size=40),
        )
    )
    def case(raw: bytes) -> None:
        async def send() -> framing.Frame | None:
            url = app_server.url.replace("http", "ws") + "/v3/wsconnect"
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
                await ws.send_bytes(raw)
                answer = await ws.receive(10)
                return (
                    framing.parse(answer.data) if answer.type == aiohttp.WSMsgType.BINARY else None
                )

        try:
            frame = framing.parse(raw)
        except framing.FrameError:
            frame = None
        answer = asyncio.run(send())
        assert answer is not None, raw  # a reply, or a close frame: never a silent drop
        if frame is None:
            assert answer.method == "close" and answer.header["status"]["code"] == 406

    case()
