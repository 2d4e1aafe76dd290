"""HTTP Basic credentials as Twilio accepts them: `AccountSid:AuthToken` or `SK…:secret`."""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

WWW_AUTHENTICATE = 'Basic realm="Twilio API"'


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def parse_basic(header: str | None) -> Credentials | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or "\x00" in username:  # no SID has a NUL; PostgreSQL refuses it
        return None
    return Credentials(username, password)


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison, so response timing reveals nothing about the secret."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def hash_secret(secret: str) -> str:
    """API key secrets are stored hashed; they are shown once, at creation."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
