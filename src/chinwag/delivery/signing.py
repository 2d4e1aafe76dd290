"""X-Twilio-Signature, computed exactly as Twilio does.

base64(HMAC-SHA1(auth token, URL + the POST parameters sorted by name, each as
name + value)). The URL is the full URL without its fragment; a GET request's
parameters are already in its query string and are not appended again.
(twilio.com/docs/usage/webhooks/webhooks-security; twilio-python
`twilio/request_validator.py`, which chinwag's tests use to check this.)

A JSON body (an Event Streams sink's CloudEvents) is signed through its URL: the
hex SHA-256 of the body is added as the `bodySHA256` query parameter and the URL alone
is signed (support.twilio.com 4407185882651, "Twilio Signature Validation Program
Examples for JSON Content"; `RequestValidator.validate` checks both).
"""

import base64
import functools
import hashlib
import hmac
from operator import itemgetter
from urllib.parse import urlsplit, urlunsplit

_NAME = itemgetter(0)


@functools.lru_cache(maxsize=1024)  # a webhook's URL is the same for all its deliveries
def without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def with_body_hash(url: str, body: str) -> str:
    """`url` with the `bodySHA256` of a JSON body added to its query string."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return url + ("&" if "?" in url else "?") + "bodySHA256=" + digest


def sign_request(auth_token: str, url: str, form: list[tuple[str, str]]) -> str:
    signed = without_fragment(url) + "".join(
        name + value for name, value in sorted(form, key=_NAME)
    )
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
