"""A delivery's request as it goes on the wire: the form body and the signature, exactly as
`urlencode` and twilio-python's RequestValidator make them; and a URL that may not go."""

import asyncio
from typing import cast
from urllib.parse import urlencode

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from chinwag.delivery.sender import (
    INVALID_URL_ERROR,
    HttpSender,
    OutboundRequest,
    SendResult,
    form_encoded,
)
from chinwag.twilio.urls import masked_url

PARAMS = [
    ("EventType", "onMessageAdded"),
    ("Body", "h\u00e9llo w\u00f6rld & more = 100% / ~ok? #1 \U0001f44b"),
    ("Attributes", '{"a": [1, "b"]}'),
    ("DateCreated", "2026-11-30T07:00:00.000Z"),
    ("Media", ""),
    ("Key With Spaces+Plus", "a+b c"),
    ("RetryCount", "0"),
]


def test_the_form_body_is_urlencode_character_for_character() -> None:
    for _ in range(2):  # the second time from the cache of quoted strings
        assert form_encoded(PARAMS) == urlencode(PARAMS)
    assert form_encoded([]) == urlencode([]) == ""


def test_post_and_get_requests_carry_the_signature_twilio_python_computes() -> None:
    validator = RequestValidator("secret")
    for url in ("http://127.0.0.1:9/hook?x=1#frag", "http://127.0.0.1:9/hook"):
        post = OutboundRequest(url, "POST", PARAMS, "secret", "token")
        sent, headers, body = post.prepared()
        assert body == urlencode(PARAMS).encode()
        assert "#" not in sent
        assert validator.validate(sent, dict(PARAMS), headers["X-Twilio-Signature"])
        get = OutboundRequest(url, "GET", PARAMS, "secret", "token")
        sent, headers, body = get.prepared()
        assert body is None and sent.endswith(urlencode(PARAMS))
        assert validator.validate(sent, {}, headers["X-Twilio-Signature"])


class NoWire:
    """A session that fails the test if anything is sent through it."""

    def request(self, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"sent {args}")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook\r\nX-Forged: yes",
        "http://127.0.0.1:9/a hook",
        "http://127.0.0.1:9/\thook",
        "http://[::1",  # the signing step's urlsplit would raise
        "ftp://127.0.0.1:9/hook",
    ],
)
def test_a_stored_url_the_rule_refuses_never_goes_on_the_wire(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One stored before the rule was this strict: the attempt fails for good, logged."""
    sender = HttpSender(cast(aiohttp.ClientSession, NoWire()), deny_private_targets=False)
    result = asyncio.run(sender.send(OutboundRequest(url, "POST", PARAMS, "secret", "token")))
    assert result == SendResult(None, INVALID_URL_ERROR, permanent=True)
    [record] = caplog.records
    assert (record.getMessage(), record.__dict__["url"]) == ("target refused", masked_url(url))
    assert "\n" not in masked_url(url) and " " not in masked_url(url)
