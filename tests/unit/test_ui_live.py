"""The dashboard's live updates as pure pieces: the SSE wire format, what counts as news,
and how many streams a session may hold."""

import asyncio

from chinwag.ui.changes import Sections
from chinwag.ui.live import Event, OpenStreams


def test_an_event_sends_each_line_of_its_html_as_data_and_its_id() -> None:
    event = Event("message", "<li>\n  hi\n</li>", id="7")
    assert event.encode() == (b"event: message\nid: 7\ndata: <li>\ndata:   hi\ndata: </li>\n\n")


def test_an_empty_fragment_is_still_one_data_line() -> None:
    assert Event("deliveries", "").encode() == b"event: deliveries\ndata: \n\n"


def test_a_section_is_news_only_when_it_reads_differently() -> None:
    sections = Sections()
    assert sections.changed("deliveries", "<tr>pending</tr>")
    assert not sections.changed("deliveries", "<tr>pending</tr>")
    assert sections.changed("attempts", "<tr>pending</tr>")  # each section on its own
    assert sections.changed("deliveries", "<tr>failed</tr>")


def test_a_session_may_hold_only_its_share_of_streams() -> None:
    streams = OpenStreams(per_session=2)
    first, second, third = asyncio.Event(), asyncio.Event(), asyncio.Event()
    assert streams.open("session a", first)
    assert streams.open("session a", second)
    assert not streams.open("session a", third)
    assert streams.open("session b", third)  # each session counts its own
    streams.close("session a", first)
    assert streams.open("session a", first)  # a closed stream frees its place


def test_shutdown_wakes_every_open_stream() -> None:
    streams = OpenStreams()
    woken = [asyncio.Event() for _ in range(3)]
    for number, wake in enumerate(woken):
        assert streams.open(f"session {number % 2}", wake)
    streams.wake_all()
    assert all(wake.is_set() for wake in woken)
