"""The one rule for webhook and callback URLs, and what a log line shows of one
(twilio/urls.py); the e2e side is tests/e2e/test_webhook_urls.py."""

import pytest

from chinwag.twilio.urls import MASK, is_http_url, masked_url


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("https://example.com/hook", True),
        ("HTTPS://Example.com/hook", True),
        ("http://127.0.0.1:8080/x?y=1#z", True),
        ("http://[::1]:65535/", True),
        ("https://user:pass@example.com/hook", True),
        ("https://example.com/a%20b?c=%0D%0A", True),  # percent-encoded: nothing raw
        ("https://bücher.example/hook", True),  # non-ASCII letters are no whitespace
        ("http://[::1", False),  # urlsplit raises
        ("http://example.com:99999/", False),  # port out of range
        ("http://example.com:abc/", False),
        ("ftp://example.com/", False),
        ("mailto:someone@example.com", False),
        ("javascript://example.com/%0Aalert(1)", False),
        ("https:///path-only", False),
        ("http://:80/", False),
        ("/relative", False),
        ("example.com", False),
        ("", False),
        # Each of these urlsplit alone accepted, dropping or stripping the character.
        ("https://example.com/hook\r\nX-Forged: yes", False),
        ("https://example.com/hook\n", False),
        ("https://exa\tmple.com/", False),
        ("https://example.com/a b", False),
        ("https://exa mple.com/", False),
        (" https://example.com/", False),
        ("https://example.com/ ", False),
        ("\x00https://example.com/", False),
        ("https://example.com/\x1b[31m", False),  # ESC: a terminal escape
        ("https://example.com/\x7f", False),  # DEL
        ("https://example.com/\x85", False),  # NEL, a C1 control
        ("https://example.com/\u00a0", False),  # no-break space
        ("https://example.com/\u2028", False),  # line separator
        ("https://example.com/\u3000", False),  # ideographic space
        ("https://example.com/\x0b\x0c", False),
    ],
)
def test_webhook_urls_are_refused_unless_a_delivery_could_use_them(url: str, usable: bool) -> None:
    assert is_http_url(url) is usable


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("https://user:password@host/path", f"https://user:{MASK}@host/path"),
        ("http://user:pw@[::1]:9/x?y=1#z", f"http://user:{MASK}@[::1]:9/x?y=1#z"),
        ("HTTPS://u:p@h:8443", f"HTTPS://u:{MASK}@h:8443"),
        ("https://:secret@host/", f"https://:{MASK}@host/"),
        ("https://user:@host/", f"https://user:{MASK}@host/"),
        # urllib and yarl take the last "@" of the authority: all before it is password
        ("https://u:p@ss@host/x", f"https://u:{MASK}@host/x"),
        # an "@" or ":" after the authority is the path's or query's, not a password
        ("https://host/a:b@c?d=e:f@g", "https://host/a:b@c?d=e:f@g"),
        ("https://user@host/path", "https://user@host/path"),  # no password to hide
        ("https://host/path", "https://host/path"),
        ("not a url", "not%20a%20url"),
        ("", ""),
        # a stored URL from before the rule: no raw line break or space reaches the log
        ("https://host/a\r\nX-Forged: yes", "https://host/a%0D%0AX-Forged:%20yes"),
        ("https://u:p\r\nw@host/\t", f"https://u:{MASK}@host/%09"),
        ("https://host/\u2028", "https://host/%E2%80%A8"),
    ],
)
def test_a_logged_url_shows_no_password_and_no_raw_control_character(url: str, logged: str) -> None:
    assert masked_url(url) == logged
