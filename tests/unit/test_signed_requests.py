"""A delivery's request as it goes on the wire: the form body and the signature, exactly as
`urlencode` and twilio-python's RequestValidator make them."""

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from chinwag.delivery.sender import OutboundRequest, form_encoded

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
