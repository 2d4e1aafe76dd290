"""The dashboard's live updates as pure pieces: the SSE wire format and what counts as news."""

from chinwag.ui.changes import Sections
from chinwag.ui.live import Event


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
