"""twilsock's pure parts: framing, the tunnelled-request router, the Sync event diff."""

import json

import pytest

from chinwag.store.changes import Change
from chinwag.twilsock import framing
from chinwag.twilsock.feed import Subscriptions
from chinwag.twilsock.router import TunnelledRequest, route, tunnelled_request
from chinwag.twilsock.sync_shapes import Item, SyncObject


def test_a_frame_counts_utf8_bytes_and_parses_back() -> None:
    raw = framing.encode({"id": "TM1", "method": "reply"}, {"text": "héllo ✓"})
    preamble, header, payload = raw.split(b"\r\n", 2)
    assert preamble == b"TWILSOCK V3.0 %d" % len(header)
    assert json.loads(header)["payload_size"] == len(payload)
    frame = framing.parse(raw)
    assert frame.method == "reply" and frame.id == "TM1"
    assert frame.json() == {"text": "héllo ✓"}


def test_a_frame_without_payload_has_size_zero() -> None:
    frame = framing.parse(framing.encode({"id": "TM2", "method": "ping"}))
    assert frame.header["payload_size"] == 0 and frame.payload == b"" and frame.json() is None


@pytest.mark.parametrize(
    "raw",
    [
        b"HELLO",
        b"TWILSOCK V2.0 2\r\n{}\r\n",
        b"TWILSOCK V3.0 10\r\n{}\r\n",
        b"TWILSOCK V3.0 2\r\n[]\r\n",
        b'TWILSOCK V3.0 18\r\n{"payload_size":5}\r\nab',
    ],
)
def test_what_is_no_frame_is_refused(raw: bytes) -> None:
    with pytest.raises(framing.FrameError):
        framing.parse(raw)


def test_a_message_frame_carries_an_http_request_with_undecoded_params() -> None:
    header = {
        "id": "TM3",
        "method": "message",
        "http_request": {
            "host": "cds.us1.twilio.com",
            "path": "/v3/Lists/CH1.messages/Items",
            "method": "get",
            "params": {"From": "3", "Order": "desc", "Key": "a%20b"},
            "headers": {},
        },
    }
    request = tunnelled_request(framing.parse(framing.encode(header)))
    assert request.method == "GET" and request.params["Key"] == "a b"
    found = route(request)
    assert found is not None and found.endpoint == "sync_items"
    assert found.args == {"kind": "Lists", "object": "CH1.messages"}


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "args"),
    [
        ("GET", "/Client/v2/Configuration", "configuration", {}),
        ("POST", "/Client/v2/Conversations/CH1/Messages", "send_message", {"conversation": "CH1"}),
        (
            "DELETE",
            "/Client/v2/Conversations/CH1/Participants/al%20ice",
            "leave",
            {"conversation": "CH1", "participant": "al ice"},
        ),
        (
            "POST",
            "/Client/v2/Me/Conversations/CH1",
            "update_my_conversation",
            {"conversation": "CH1"},
        ),
        ("POST", "/Client/v2/Indicators/Typing", "typing", {}),
        ("POST", "/v4/Subscriptions", "subscriptions", {}),
        ("POST", "/Client/v2/Conversations", "create_conversation", {}),
        ("DELETE", "/Client/v2/Conversations/CH1", "delete_conversation", {"conversation": "CH1"}),
        (
            "POST",
            "/Client/v2/Conversations/CH1/Participants/MB1",
            "update_participant",
            {"conversation": "CH1", "participant": "MB1"},
        ),
        ("POST", "/Client/v2/Users/al%40ice", "update_user", {"identity": "al@ice"}),
        ("POST", "/v1/registrations", "register_push", {}),  # host ers.us1.twilio.com
        ("DELETE", "/v1/registrations", "unregister_push_device", {}),
        ("DELETE", "/v1/registrations/BS1", "unregister_push", {"registration": "BS1"}),
    ],
)
def test_routes_match_by_method_and_path(
    method: str, path: str, endpoint: str, args: dict[str, str]
) -> None:
    found = route(TunnelledRequest(method, "aim.us1.twilio.com", path, {}, {}))
    assert found is not None and (found.endpoint, found.args) == (endpoint, args)


def test_an_unknown_path_or_method_has_no_route() -> None:
    assert route(TunnelledRequest("GET", "x", "/Client/v2/Nope", {}, {})) is None
    assert route(TunnelledRequest("DELETE", "x", "/Client/v2/Configuration", {}, {})) is None


def test_a_typing_form_body_reads_as_a_dict() -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    request = TunnelledRequest("POST", "aim", "/x", {}, headers, b"ChannelSid=CH1")
    assert request.json() == {"ChannelSid": "CH1"}


def messages(*items: tuple[int, int, str], created: dict[int, int] | None = None) -> SyncObject:
    """A messages list: (index, event id, text) each, created at its event unless `created`
    says otherwise."""
    made = created or {}
    found = {
        index: Item(event, {"text": text}, made.get(index, event)) for index, event, text in items
    }
    last = max((event for _, event, _ in items), default=0)
    return SyncObject("list", "CH1.messages", last, items=found)


def roster(*items: tuple[str, int, str]) -> SyncObject:
    found = {key: Item(event, {"identity": name}, event) for key, event, name in items}
    last = max((event for _, event, _ in items), default=0)
    return SyncObject("map", "CH1.roster", last, items=found)


def test_a_subscription_replays_what_changed_after_the_clients_last_event() -> None:
    subscriptions = Subscriptions()
    events = subscriptions.establish(messages((1, 20, "b")), 10, 7)  # read: changed after 10
    assert [e["event_type"] for e in events] == ["list_item_added", "subscription_established"]
    assert events[0]["event"]["item_index"] == 1 and events[0]["event"]["id"] == 20
    assert events[1]["correlation_id"] == 7
    assert events[1]["event"]["replay_status"] == "completed"
    assert subscriptions.known["CH1.messages"].items == {}  # a list's history is not held


def test_a_diff_adds_updates_and_removes_with_ids_that_only_grow() -> None:
    subscriptions = Subscriptions()
    subscriptions.establish(roster(("MB0", 10, "a"), ("MB1", 20, "b")), 20, 1)
    # MB0 edited without its time moving (e.g. a REST DateUpdated in the past)
    events = subscriptions.diff(roster(("MB0", 5, "a2"), ("MB2", 30, "c")), "CH1.roster")
    kinds = [(e["event_type"], e["event"]["item_key"]) for e in events]
    assert kinds == [
        ("map_item_updated", "MB0"),
        ("map_item_removed", "MB1"),
        ("map_item_added", "MB2"),
    ]
    ids = [e["event"]["id"] for e in events]
    assert ids == sorted(ids) and ids[0] > 20 and len(set(ids)) == 3


def test_nothing_changed_means_no_event() -> None:
    subscriptions = Subscriptions()
    subscriptions.establish(roster(("MB0", 10, "a")), 10, 1)
    assert subscriptions.diff(roster(("MB0", 10, "a")), "CH1.roster") == []
    assert subscriptions.diff(roster(), "CH9.roster") == []  # not subscribed


def test_a_partial_read_changes_only_the_items_it_names() -> None:
    subscriptions = Subscriptions()
    subscriptions.establish(messages(), 25, 1)  # the client holds the list as of event 25
    # indexes 1 (edited, made at 20), 2 (removed) and 3 (added) changed; 0 was not read
    part = messages((1, 30, "b2"), (3, 40, "d"), created={1: 20})
    events = subscriptions.diff_items(part, "CH1.messages", [1, 2, 3])
    kinds = [(e["event_type"], e["event"]["item_index"]) for e in events]
    assert kinds == [("list_item_updated", 1), ("list_item_removed", 2), ("list_item_added", 3)]
    assert events[0]["event"]["id"] == 30
    assert subscriptions.known["CH1.messages"].items == {}
    assert subscriptions.diff_items(None, "CH1.messages", [])[0]["event_type"] == "list_removed"


def subscribed(*sids: str) -> Subscriptions:
    subscriptions = Subscriptions()
    for sid in sids:
        kind = "document" if sid.endswith(".channel") else "list" if ".messages" in sid else "map"
        subscriptions.establish(SyncObject(kind, sid, 0), 0, 1)
    return subscriptions


ALL = ("US1.conversations", "CH1.channel", "CH1.messages", "CH1.roster", "CH2.messages", "US2.info")


@pytest.mark.parametrize(
    ("changed", "reads"),
    [
        # a message added: its index in the list, the document (lastMessage); nothing else
        ({"CH1": (True, {4})}, {"CH1.channel": None, "CH1.messages": [4]}),
        # a participant added: the user's map and the roster; the list only for membership
        (
            {"CH1": (False, set())},
            {
                "US1.conversations": None,
                "CH1.channel": None,
                "CH1.messages": [],
                "CH1.roster": None,
            },
        ),
        # a conversation the user does not follow: the user's map (it may be a new one)
        ({"CH7": (False, set())}, {"US1.conversations": None}),
        ({"CH7": (True, {0})}, {}),
        # another process on SQLite: everything, whole
        ({"*": (False, set()), "CH1": (True, {1})}, dict.fromkeys(ALL)),
    ],
)
def test_a_change_re_reads_only_what_it_can_have_changed(
    changed: dict[str, tuple[bool, set[int]]], reads: dict[str, list[int] | None]
) -> None:
    assert subscribed(*ALL).reads_for(changed, "US1.conversations") == reads


def test_a_users_change_re_reads_their_info_map_if_held_and_nothing_else() -> None:
    users = frozenset({"US2", "US9"})
    assert subscribed(*ALL).reads_for({}, "US1.conversations", users) == {"US2.info": None}


def test_a_users_change_crosses_processes_with_its_user_sid() -> None:
    change = Change("IS1", "", user_sid="US2")
    assert Change.decode(change.encode()) == change
    assert Change.decode(Change("IS1", "CH1", messages=(3,)).encode()).user_sid is None


def framed(header: bytes, rest: bytes = b"") -> bytes:
    return b"TWILSOCK V3.0 %d\r\n%s\r\n%s" % (len(header), header, rest)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (framed(b"{nope"), "header is not JSON"),
        (framed(b'{"payload_size":-1}'), "payload_size is not a non-negative integer"),
        (framed(b'{"payload_size":"2"}', b"ab"), "payload_size is not a non-negative integer"),
    ],
)
def test_a_bad_header_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(framing.FrameError, match=message):
        framing.parse(raw)


def test_a_payload_that_is_not_json_is_refused_when_read_as_json() -> None:
    frame = framing.parse(framing.encode({"id": "TM3", "method": "message"}, "héllo {"))
    assert frame.header["payload_type"] == "application/json"  # the default, as the SDK sends
    assert frame.text() == "héllo {"
    with pytest.raises(framing.FrameError, match="'TM3' is not JSON"):
        frame.json()


def test_bytes_are_sent_as_they_are_with_the_type_given() -> None:
    header = {"id": "TM4", "method": "reply", "payload_type": "text/plain"}
    frame = framing.parse(framing.encode(header, b"\xff raw"))
    assert frame.payload == b"\xff raw" and frame.header["payload_type"] == "text/plain"
    assert frame.text() == "\ufffd raw"
