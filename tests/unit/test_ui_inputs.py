"""The dashboard's strict readers on their own: numbers and redirect targets.

tests/e2e/test_dashboard_bad_input.py sends the same values through the server.
"""

import pytest

from chinwag.ui.inputs import MAX_NUMBER, local_path, whole_number

HOME = "/chinwag/ui/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        (str(MAX_NUMBER), MAX_NUMBER),  # the largest id an Integer column holds on PostgreSQL
    ],
)
def test_ascii_digits_are_a_number(raw: str, expected: int) -> None:
    assert whole_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "\u00b2",  # superscript two: str.isdigit() takes it, int() does not
        "\u2460",  # circled one, likewise
        "\u0661\u0662",  # Arabic-Indic 12: int() reads it, but it is no id this server sends
        "1\u00b2",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_0",
        "1e3",
        str(MAX_NUMBER + 1),
        "9" * 19,
        "9" * 5000,  # past int()'s 4,300 digits: not even tried
    ],
)
def test_anything_else_is_no_number(raw: str | None) -> None:
    assert whole_number(raw) is None


@pytest.mark.parametrize(
    "path",
    [
        "/chinwag/ui/",
        "/chinwag/ui/conversations/CH00000000000000000000000000000000",
        "/chinwag/ui/?notice=It%20worked%3A%20http%3A//example.com",
        "/chinwag/ui/a//b",  # a later "//" is still a path on this site
    ],
)
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert local_path(path, HOME) == path


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "chinwag/ui/",  # relative to the current page
        "//evil.example/",  # another host, scheme-relative
        "/\\evil.example",  # browsers read a backslash as a slash
        "https://evil.example/",
        "javascript:alert(1)",
        "/chinwag/ui/\r\nSet-Cookie: a=b",  # a header of its own
        "/chinwag/ui/\nX: 1",
        "/chinwag/ui/ x",
        "/chinwag/ui/\tx",
        "/chinwag/ui/\x00",
        "/chinwag/ui/\x7f",
        "/chinwag/ui/\u00e9",  # not ASCII: a header value would have to encode it
        "/chinwag/ui/\u2028",
    ],
)
def test_anything_else_falls_back_to_the_default(target: str | None) -> None:
    assert local_path(target, HOME) == HOME
