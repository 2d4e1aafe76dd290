"""The wire-format helpers on their own: SIDs, dates, forms, pagination, credentials."""

import base64
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest

from chinwag.twilio import sids
from chinwag.twilio.auth import Credentials, parse_basic
from chinwag.twilio.dates import parse_iso8601, to_json
from chinwag.twilio.errors import InvalidPageToken, InvalidParameter, ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, PageRequest, build_meta, parse_page_request


def test_new_sids_match_the_spec_pattern() -> None:
    sid = sids.new_sid(sids.WEBHOOK)
    assert sids.is_sid(sid, sids.WEBHOOK)
    assert not sids.is_sid(sid, sids.CONVERSATION)
    assert not sids.is_sid("WH" + "g" * 32, sids.WEBHOOK)
    assert not sids.is_sid(sid + "0", sids.WEBHOOK)


def test_json_dates_have_exactly_twilios_format() -> None:
    moment = datetime(2021, 8, 10, 18, 0, 58, 111000, tzinfo=UTC)
    assert to_json(moment) == "2021-08-10T18:00:58Z"
    assert to_json(None) is None
    assert parse_iso8601("2021-08-10T18:00:58.111Z") == moment
    assert parse_iso8601("2021-08-10T20:00:58.111+02:00") == moment
    assert parse_iso8601("2021-08-10") == datetime(2021, 8, 10, tzinfo=UTC)
    assert parse_iso8601("tomorrow") is None


def test_form_keeps_repeated_and_dotted_keys_in_order() -> None:
    form = Form(
        [("Configuration.Filters", "a"), ("Target", "webhook"), ("Configuration.Filters", "b")]
    )
    assert form.values("Configuration.Filters") == ["a", "b"]
    assert form.text("Target") == "webhook"
    assert form.values("Configuration.Triggers") is None
    assert form.text("Missing") is None


def test_form_integers_name_the_parameter() -> None:
    with pytest.raises(InvalidParameter, match=r"Configuration\.ReplayAfter 'x'"):
        Form([("Configuration.ReplayAfter", "x")]).integer("Configuration.ReplayAfter")
    with pytest.raises(InvalidParameter, match="PageSize must be at least 1"):
        Form([("PageSize", "0")]).integer("PageSize", minimum=1)


def test_form_lookups() -> None:
    form = Form.from_mapping({"Target": "webhook", "Configuration.Url": ""})
    assert "Configuration.Url" in form and "Configuration.Method" not in form
    assert form.names() == {"Target", "Configuration.Url"}
    assert form.text("Configuration.Url") == ""  # given empty is not absent
    values = form.values("Target")
    assert values == ["webhook"]
    values.append("changed")  # a copy: the form itself is not changed
    assert form.values("Target") == ["webhook"]


@pytest.mark.parametrize(
    ("items", "named"),
    [
        ([("Body", "a\x00b")], "Parameter 'Body' contains a NUL character"),
        ([("Bo\x00dy", "x")], "Parameter 'Body' contains a NUL character"),
    ],
)
def test_a_nul_anywhere_in_a_form_is_refused(items: list[tuple[str, str]], named: str) -> None:
    with pytest.raises(InvalidParameter, match=named):
        Form(items)


@pytest.mark.parametrize(
    ("raw", "expected"), [(" 7 ", 7), ("0", 0), ("-3", -3), (None, None)], ids=repr
)
def test_form_integers(raw: str | None, expected: int | None) -> None:
    form = Form([("N", raw)] if raw is not None else [])
    assert form.integer("N") == expected


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@pytest.mark.parametrize(
    ("raw", "ignore_case", "expected"),
    [
        ("red", False, Colour.RED),
        ("blue", True, Colour.BLUE),
        ("BlUe", True, Colour.BLUE),  # e.g. the spec's `Order=DeSc`
        (None, False, None),
    ],
)
def test_form_choices(raw: str | None, ignore_case: bool, expected: Colour | None) -> None:
    form = Form([("Colour", raw)] if raw is not None else [])
    assert form.choice("Colour", Colour, ignore_case=ignore_case) == expected


@pytest.mark.parametrize(("raw", "ignore_case"), [("RED", False), ("green", True), ("", True)])
def test_an_unknown_choice_names_the_parameter_and_the_allowed_values(
    raw: str, ignore_case: bool
) -> None:
    with pytest.raises(InvalidParameter, match=f"Colour '{raw}' is not one of: red, blue."):
        Form([("Colour", raw)]).choice("Colour", Colour, ignore_case=ignore_case)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("true", True), ("false", False), ("TRUE", True), (" False ", False)],
)
def test_form_booleans(raw: str | None, expected: bool | None) -> None:
    form = Form([] if raw is None else [("ReachabilityEnabled", raw)])
    assert form.boolean("ReachabilityEnabled") is expected


@pytest.mark.parametrize("raw", ["", "1", "yes", "on"])
def test_a_form_boolean_that_is_not_true_or_false_names_the_parameter(raw: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        Form([("LogEnabled", raw)]).boolean("LogEnabled")
    assert refused.value.message == f"LogEnabled '{raw}' is not true or false."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-08-10T18:00:58Z", datetime(2021, 8, 10, 18, 0, 58, tzinfo=UTC)),
        ("2021-08-10T18:00:58z", datetime(2021, 8, 10, 18, 0, 58, tzinfo=UTC)),
        (" 2021-08-10T18:00:58 ", datetime(2021, 8, 10, 18, 0, 58, tzinfo=UTC)),  # naive: UTC
        ("2021-08-10T19:00:58+01:00", datetime(2021, 8, 10, 18, 0, 58, tzinfo=UTC)),
    ],
)
def test_form_dates_are_utc(raw: str, expected: datetime) -> None:
    assert Form([("DateCreated", raw)]).date("DateCreated") == expected


def test_a_form_date_that_is_not_iso8601_names_the_parameter() -> None:
    with pytest.raises(InvalidParameter, match="DateCreated 'yesterday' is not an ISO 8601"):
        Form([("DateCreated", "yesterday")]).date("DateCreated")
    assert Form([]).date("DateCreated") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([], PageRequest(5, 0)),
        ([("PageSize", "3")], PageRequest(3, 0)),
        ([("PageSize", "500")], PageRequest(5, 0)),
        ([("PageSize", "2"), ("Page", "4")], PageRequest(2, 4)),
        ([("PageSize", "2"), ("Page", "1"), ("PageToken", "PA17")], PageRequest(2, 1, after_id=17)),
        ([("PageToken", "PB9")], PageRequest(5, 0, before_id=9)),
    ],
)
def test_page_requests(query: list[tuple[str, str]], expected: PageRequest) -> None:
    assert parse_page_request(Form(query), max_size=5) == expected


def test_offset_applies_only_without_a_cursor() -> None:
    assert PageRequest(10, 3).offset == 30
    assert PageRequest(10, 3, after_id=5).offset == 0


@pytest.mark.parametrize("token", ["PA", "PX12", "PA-1", "12"])
def test_foreign_page_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        parse_page_request(Form([("PageToken", token)]), max_size=50)


LIST = "https://chat.test/v1/Conversations"


def meta(request: PageRequest, page: Page, **filters: str) -> dict[str, Any]:
    return build_meta(
        key="conversations", list_url=LIST, request=request, page=page, filters=filters
    )


def test_the_first_page_links_onward_from_its_last_row_and_echoes_the_filters() -> None:
    first = meta(PageRequest(2, 0), Page([1, 2], 11, 12, True, False), State="active")
    assert first == {
        "page": 0,
        "page_size": 2,
        "first_page_url": f"{LIST}?State=active&PageSize=2&Page=0",
        "previous_page_url": None,
        "url": f"{LIST}?State=active&PageSize=2&Page=0",
        "next_page_url": f"{LIST}?State=active&PageSize=2&Page=1&PageToken=PA12",
        "key": "conversations",
    }


def test_a_middle_page_links_back_from_its_first_row_and_names_its_own_token() -> None:
    middle = meta(PageRequest(2, 1, after_id=12), Page([3, 4], 13, 14, True, True))
    assert middle["url"] == f"{LIST}?PageSize=2&Page=1&PageToken=PA12"
    assert middle["previous_page_url"] == f"{LIST}?PageSize=2&Page=0&PageToken=PB13"
    assert middle["next_page_url"] == f"{LIST}?PageSize=2&Page=2&PageToken=PA14"


def test_a_page_reached_backwards_keeps_its_before_token_and_ends_without_a_next_link() -> None:
    back = meta(PageRequest(2, 0, before_id=13), Page([1, 2], 11, 12, False, False))
    assert back["url"] == f"{LIST}?PageSize=2&Page=0&PageToken=PB13"
    assert back["next_page_url"] is None and back["previous_page_url"] is None


def test_basic_credentials() -> None:
    header = "Basic " + base64.b64encode(b"ACx:tok:en").decode()
    assert parse_basic(header) == Credentials("ACx", "tok:en")
    assert parse_basic(None) is None
    assert parse_basic("Bearer abc") is None
    assert parse_basic("Basic !!!") is None
    assert parse_basic("Basic " + base64.b64encode(b"nocolon").decode()) is None


def test_not_found_message_quotes_the_path_like_twilio() -> None:
    error = ResourceNotFound.for_path("/v1/Conversations/CH1")
    assert error.envelope() == {
        "code": 20404,
        "message": "The requested resource /Conversations/CH1 was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
