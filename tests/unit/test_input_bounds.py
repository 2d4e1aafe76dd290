"""The wire layer's bounds on its own: integers, form encoding, JSON, dates and durations.

Each rule exists so that no request value can reach the database or a date
computation that would fail with a 5xx (issue 14); the e2e corpus
(tests/e2e/test_bad_input.py) checks the same rules through the server.
"""

from datetime import UTC, datetime, timedelta

import pytest

from chinwag.domain.attributes import check_attributes
from chinwag.twilio.dates import parse_duration, parse_iso8601, to_json, to_webhook
from chinwag.twilio.errors import (
    AttributesNotJson,
    InvalidPageToken,
    InvalidParameter,
    TooManyParameters,
)
from chinwag.twilio.forms import (
    MAX_PARAMETERS,
    Form,
    check_length,
    parse_integer,
    parse_urlencoded,
    shown,
)
from chinwag.twilio.json_text import MAX_DEPTH, NotJson, nesting_depth, parse_json
from chinwag.twilio.pagination import MAX_PAGE, Page, build_meta, parse_page_request

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        (" 42 ", 42),
        ("-7", -7),
        ("+7", 7),
        ("9" * 100, int("9" * 100)),
        ("9" * 101, None),  # not even read
        ("\u00b2", None),  # superscript two: str.isdigit() says yes
        ("\u0661", None),  # Arabic-Indic one: int() would take it
        ("1_000", None),  # int() would take it
        ("1e3", None),
        ("", None),
        ("0x10", None),
    ],
)
def test_integers_are_ascii_digits_only(raw: str, expected: int | None) -> None:
    assert parse_integer(raw) == expected


def test_form_integers_are_bounded_and_say_which_bound() -> None:
    form = Form([("Page", "2147483648"), ("Big", "9" * 30), ("Low", "-1")])
    with pytest.raises(InvalidParameter, match="Page must be at most 2147483647"):
        form.integer("Page", minimum=0, maximum=MAX_PAGE)
    # by default what a 32-bit Integer column holds (every integer chinwag stores is one)
    with pytest.raises(InvalidParameter, match="Big must be at most 2147483647"):
        form.integer("Big")
    assert form.integer("Big", maximum=None) == int("9" * 30)  # for a caller that caps it
    with pytest.raises(InvalidParameter, match="Low must be at least 0"):
        form.integer("Low", minimum=0)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ([("Page", "99999999999999999999")], InvalidParameter),
        ([("Page", "9223372036854775807")], InvalidParameter),
        ([("Page", "\u00b2")], InvalidParameter),
        ([("PageToken", "PA99999999999999999999999")], InvalidPageToken),
        ([("PageToken", "PA9223372036854775808")], InvalidPageToken),
        ([("PageToken", "PB\u00b2")], InvalidPageToken),
        ([("PageToken", "PA-1")], InvalidPageToken),
        ([("PageToken", "PA+1")], InvalidPageToken),
    ],
)
def test_paging_values_beyond_a_database_integer_are_refused(
    query: list[tuple[str, str]], error: type[Exception]
) -> None:
    with pytest.raises(error):
        parse_page_request(Form(query), 50)


def test_the_largest_paging_values_still_fit_the_database() -> None:
    request = parse_page_request(Form([("Page", str(MAX_PAGE)), ("PageSize", "9" * 40)]), 100)
    assert (request.page, request.size) == (MAX_PAGE, 100)
    assert request.offset < 2**63
    token = parse_page_request(Form([("PageToken", f"PA{2**63 - 1}")]), 50)
    assert token.after_id == 2**63 - 1


def test_a_next_page_link_is_always_a_request_chinwag_takes() -> None:
    last = parse_page_request(Form([("Page", str(MAX_PAGE)), ("PageToken", "PA7")]), 50)
    page = Page(rows=[object()], first_id=8, last_id=8, has_next=True, has_previous=True)
    meta = build_meta(key="items", list_url="http://x/Items", request=last, page=page, filters={})
    assert f"Page={MAX_PAGE}&PageToken=PA8" in meta["next_page_url"]


def test_urlencoded_bodies_decode_as_clients_encode() -> None:
    assert parse_urlencoded(b"A=1&B=two+words&A=%E2%9C%93&Empty=") == [
        ("A", "1"),
        ("B", "two words"),
        ("A", "\u2713"),
        ("Empty", ""),
    ]
    assert parse_urlencoded(b"") == []


@pytest.mark.parametrize(
    "body",
    [b"Body=\xff\xfe", b"Body=%FF%FE", b"Body=%ED%A0%80", b"Body=%C0%AF", b"%FF=x", b"Body=%E2%82"],
)
def test_invalid_utf8_is_refused_raw_or_percent_encoded(body: bytes) -> None:
    with pytest.raises(InvalidParameter, match="not UTF-8"):
        parse_urlencoded(body)


def test_too_many_parameters_have_their_own_message() -> None:
    at_limit = "&".join(f"f{n}=1" for n in range(MAX_PARAMETERS)).encode()
    assert len(parse_urlencoded(at_limit)) == MAX_PARAMETERS
    with pytest.raises(TooManyParameters, match=f"more than {MAX_PARAMETERS} parameters"):
        parse_urlencoded(at_limit + b"&one=more")


def test_lengths_count_characters_and_quote_nothing_long() -> None:
    check_length("UniqueName", "\U0001f4ac" * 256, 256)  # characters, not bytes
    check_length("UniqueName", None, 256)
    with pytest.raises(InvalidParameter, match="UniqueName is longer than 256 characters"):
        check_length("UniqueName", "x" * 257, 256)
    assert shown("x" * 10) == "x" * 10
    assert shown("x" * 100_000) == "x" * 64 + "..."


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('"[[[[["', 0),  # brackets inside a string do not nest
        ('["\\"[["]', 1),  # nor after an escaped quote
        ("[" * 5000, 5000),  # counted by a loop: no recursion
        ("]]]", 0),
    ],
)
def test_nesting_is_measured_without_recursion(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_json_is_rfc_8259() -> None:
    assert parse_json('{"a": [1, 2.5, null, true, "x"]}') == {"a": [1, 2.5, None, True, "x"]}
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(NotJson, match=f"nested {MAX_DEPTH + 1} levels"):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    for constant in ("NaN", "Infinity", "-Infinity", '{"a": NaN}', "[1, Infinity]"):
        with pytest.raises(NotJson, match="is not a JSON value"):
            parse_json(constant)
    with pytest.raises(NotJson, match="not valid JSON"):
        parse_json("{")


def test_attributes_deep_or_with_constants_are_50304() -> None:
    for value in ("[" * 1000, "[" * 1000 + "]" * 1000, "NaN", '{"x": -Infinity}'):
        with pytest.raises(AttributesNotJson):
            check_attributes(value, 16 * 1024)
    check_attributes('{"deep": ' + "[" * 50 + "]" * 50 + "}", 16 * 1024)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
        "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
        "10000-01-01T00:00:00Z",
        "2021-02-30T00:00:00Z",
        "",
    ],
)
def test_dates_outside_the_four_digit_years_are_refused(value: str) -> None:
    assert parse_iso8601(value) is None
    with pytest.raises(InvalidParameter, match="from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"):
        Form([("DateCreated", value)]).date("DateCreated")


def test_dates_at_the_edges_are_written_with_four_digit_years() -> None:
    first = parse_iso8601("0001-01-01T00:00:00Z")
    last = parse_iso8601("9999-12-31T23:59:59.999Z")
    early = parse_iso8601("0165-03-15T09:50:13+10:00")
    assert first is not None and last is not None and early is not None
    assert to_json(first) == "0001-01-01T00:00:00Z"
    assert to_json(last) == "9999-12-31T23:59:59Z"
    assert to_json(early) == "0165-03-14T23:50:13Z"
    assert to_webhook(early) == "0165-03-14T23:50:13.000Z"
    assert to_webhook(last) == "9999-12-31T23:59:59.999Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT10M", timedelta(minutes=10)),
        ("P1D", timedelta(days=1)),
        ("P1Y", timedelta(days=365)),  # counted from NOW, 2026
        ("P3000000D", timedelta(days=3_000_000)),
        ("P99999999Y", timedelta.max),  # past year 9999
        ("PT99999999999999999999S", timedelta.max),  # past timedelta
        ("P99999999999999999999D", timedelta.max),
        ("P0.5Y", None),  # no calendar has half a year
        ("P1.5M", None),
        ("ten minutes", None),
        ("", None),
    ],
)
def test_durations_never_overflow(value: str, expected: timedelta | None) -> None:
    assert parse_duration(value, NOW) == expected
