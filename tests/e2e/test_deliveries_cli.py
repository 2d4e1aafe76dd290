"""`chinwag deliveries list|show` in a narrow terminal: SIDs and dates whole, no line wider
than the terminal (rich takes the width from COLUMNS), and `--json` as the API has it."""

import json
import re
from collections.abc import Iterator

import pytest

from tests.conftest import Api, app_and_receiver
from tests.e2e.test_deliveries_api import (
    DELIVERIES,
    Setup,
    listed,
    rename,
    settled,
    watched_conversation,
)

# Where a SID or a date starts, all of it must follow on the same line.
STARTS_WHOLE = {
    r"\b[0-9a-f]{8}-[0-9a-f-]*": r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}",  # a delivery
    r"\b(?:AC|IS|CH|WH)[0-9a-f]*": r"(AC|IS|CH|WH)[0-9a-f]{32}",
    r"\b\d{4}-\d\d-\d\dT?[\d:]*Z?": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
}


def assert_fits(output: str, width: int) -> None:
    for line in output.splitlines():
        assert len(line) <= width, f"wider than {width}: {line!r}"
        for start, whole in STARTS_WHOLE.items():
            for found in re.findall(start, line):
                assert re.fullmatch(whole, found), f"broken over lines: {found!r} in {line!r}"


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    with app_and_receiver(database_url) as pair:
        yield *pair, Api(pair[0])


@pytest.mark.slow  # six `chinwag` processes, one after the other
@pytest.mark.parametrize("width", [80, 120])
def test_list_and_show_fit_the_terminal(
    setup: Setup, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, receiver, api = setup
    conversation, webhook = watched_conversation(api, receiver.url + "/narrow")
    rename(api, conversation, "one")
    rename(api, conversation, "two")
    receiver.wait_for(2)
    deliveries = settled(api, 2)
    monkeypatch.setenv("COLUMNS", str(width))

    listing = server.cli("deliveries", "list", "--conversation", conversation)
    assert_fits(listing, width)
    rows = [line for line in listing.splitlines() if deliveries[0]["sid"] in line]
    assert len(rows) == 1 and "delivered" in rows[0] and "onConversationUpdated" in rows[0]
    assert all(delivery["sid"] in listing for delivery in deliveries)
    if width >= 120:  # there is room for the creation date and the attempts
        assert deliveries[0]["date_created"] in rows[0] and "Attempts" in listing

    shown = server.cli("deliveries", "show", deliveries[0]["sid"])
    assert_fits(shown, width)
    for value in (conversation, webhook, deliveries[0]["date_created"], "Attempts"):
        assert value in shown


@pytest.mark.slow  # two `chinwag` processes
def test_json_lines_are_what_the_api_answers(setup: Setup) -> None:
    server, receiver, api = setup
    conversation, _ = watched_conversation(api, receiver.url + "/json")
    rename(api, conversation, "one")
    rename(api, conversation, "two")
    receiver.wait_for(2)
    settled(api, 2)

    lines = server.cli("deliveries", "list", "--json", "--conversation", conversation)
    assert [json.loads(line) for line in lines.splitlines()] == listed(
        api, ConversationSid=conversation
    )
    newest = listed(api, ConversationSid=conversation)[0]["sid"]
    [line] = server.cli("deliveries", "show", "--json", newest).splitlines()
    assert json.loads(line) == api.get(f"{DELIVERIES}/{newest}").json()
