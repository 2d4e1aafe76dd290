"""The wire-format helpers on their own: SIDs, dates, forms, pagination, credentials."""

import base64
from datetime import UTC, datetime

import pytest

from chinwag.twilio import sids
from chinwag.twilio.auth import Credentials, parse_basic
from chinwag.twilio.dates import parse_iso8601, to_json
from chinwag.twilio.errors import InvalidPageToken, InvalidParameter, ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import PageRequest, parse_page_request


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
