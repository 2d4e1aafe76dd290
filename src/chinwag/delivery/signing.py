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

A request whose URL a Webhook Rule sends to a Setting with a shared key is signed with
that key's secret and the Setting's algorithm instead (HMAC-SHA256, or HMAC-SHA1), over
the same string, still in X-Twilio-Signature; X-Twilio-Webhooks-Signature-Settings says
so: `key=<shared key id>,algorithm=HMAC_SHA256`. "Only the hash changes. The signed
string is still the full URL followed by the sorted POST parameters" (twilio-node's
examples/WebhookSignatureValidation.md; its 6.3.1 `getExpectedTwilioSignature` and
twilio-python 9.13's `RequestValidator.compute_signature(..., algorithm)` compute it so,
keyed with the secret's UTF-8 bytes).
"""

import base64
import functools
import hashlib
import hmac
from dataclasses import dataclass
from operator import itemgetter
from urllib.parse import urlsplit, urlunsplit

HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
_HASHES = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}
_NAME = itemgetter(0)


@dataclass(frozen=True)
class SharedKeySigning:
    """What a Setting's `signature` signs with: its shared key and algorithm."""

    key_id: str  # webhooks_sharedkey_...
    secret: str
    algorithm: str  # HMAC_SHA256 or HMAC_SHA1

    @property
    def settings_header(self) -> str:
        return f"key={self.key_id},algorithm={self.algorithm}"


@functools.lru_cache(maxsize=1024)  # a webhook's URL is the same for all its deliveries
def without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def with_body_hash(url: str, body: str) -> str:
    """`url` with the `bodySHA256` of a JSON body added to its query string."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return url + ("&" if "?" in url else "?") + "bodySHA256=" + digest


def sign_request(
    secret: str, url: str, form: list[tuple[str, str]], algorithm: str = HMAC_SHA1
) -> str:
    """The signature of a request, keyed with the auth token (or a shared key's secret)."""
    signed = without_fragment(url) + "".join(
        name + value for name, value in sorted(form, key=_NAME)
    )
    digest = hmac.new(secret.encode("utf-8"), signed.encode("utf-8"), _HASHES[algorithm]).digest()
    return base64.b64encode(digest).decode("ascii")
