"""Where media live on the wire: chinwag's media service URLs, and the temporary content
URLs that work without credentials.

The client SDK's media client (`@twilio/mcs-client`) talks HTTP to whatever the
socket's `Client/v2/Configuration` names as `links.media_service` and
`links.media_set_service`; on Twilio that is `mcs.us1.twilio.com/v1/Services/{IS}/Media`.
chinwag names its own media store (resources/media.py) under the server's public URL.
The route templates here are the ones resources/routes.py mounts.

A medium's `links.content_direct_temporary` is its content URL with `Expires` (Unix
seconds) and `Signature` in the query: anyone holding it may download the medium until
then, as `getContentTemporaryUrl()` promises ("impermanent, it will expire in several
minutes", the SDK's `Media` docs). The signature is HMAC-SHA256 over the service, the
medium and the expiry, with a key derived from the account's auth token: no new secret
to keep or share between servers, every `chinwag serve` on one database accepts what any
other signed, and rotating the auth token (`chinwag accounts rotate-token`) voids every
URL already handed out. The key is derived (HMAC of a fixed label), not the token
itself, so these signatures can never stand in for one the auth token makes directly
(a webhook's `X-Twilio-Signature`).
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from chinwag.store import accounts as account_store
from chinwag.store import media as media_store
from chinwag.store.accounts import Account
from chinwag.twilio.errors import Forbidden

MEDIA = "/chinwag/v1/Services/{ChatServiceSid}/Media"
MEDIA_SET = "/chinwag/v1/Services/{ChatServiceSid}/MediaSet"
CONTENT = MEDIA + "/{Sid}/Content"
# Twilio documents only "several minutes"; five, the longest "several" is likely to mean.
TEMPORARY_URL_LIFETIME = timedelta(seconds=300)
EXPIRES, SIGNATURE = "Expires", "Signature"  # the temporary URL's query parameters
_KEY_LABEL = b"chinwag temporary media content URL"


def media_url(base_url: str, service_sid: str) -> str:
    """The service's media service: uploads go here, media are `<it>/{ME...}`."""
    return base_url + MEDIA.format(ChatServiceSid=service_sid)


def media_set_url(base_url: str, service_sid: str) -> str:
    """The service's batch endpoint (`{"command": "get", "list": [...]}`)."""
    return base_url + MEDIA_SET.format(ChatServiceSid=service_sid)


def temporary_content_url(
    base_url: str, auth_token: str, service_sid: str, media_sid: str, now: datetime
) -> str:
    """The medium's content URL, signed to work without credentials until
    `TEMPORARY_URL_LIFETIME` after `now`. `base_url` "" gives a path (the dashboard's
    redirect: same origin whatever the public URL)."""
    expires = int((now + TEMPORARY_URL_LIFETIME).timestamp())
    signature = sign_content(auth_token, service_sid, media_sid, expires)
    path = CONTENT.format(ChatServiceSid=service_sid, Sid=media_sid)
    return f"{base_url}{path}?{EXPIRES}={expires}&{SIGNATURE}={signature}"


def sign_content(auth_token: str, service_sid: str, media_sid: str, expires: int) -> str:
    """base64url(HMAC-SHA256(key, "<service>/<medium>/<expires>")), the key derived from
    the auth token (pure)."""
    key = hmac.new(auth_token.encode(), _KEY_LABEL, hashlib.sha256).digest()
    signed = f"{service_sid}/{media_sid}/{expires}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_content_signature(
    auth_token: str,
    service_sid: str,
    media_sid: str,
    expires: str | None,
    signature: str | None,
    now: datetime,
) -> None:
    """Forbidden (403 20403) unless the URL's signature is the auth token's and its expiry
    is still ahead of `now` (pure). The signature is checked first: a forged URL learns
    nothing, not even whether it would have expired."""
    digits = expires is not None and expires.isascii() and expires.isdigit()  # not '²'
    given_expiry = int(expires) if digits and expires is not None else -1
    wanted = sign_content(auth_token, service_sid, media_sid, given_expiry)
    if given_expiry < 0 or not hmac.compare_digest(wanted, signature or ""):
        raise Forbidden("The temporary media URL's signature is not valid.")
    if given_expiry <= now.timestamp():
        at = datetime.fromtimestamp(given_expiry, UTC).isoformat()
        raise Forbidden(f"The temporary media URL expired at {at}; ask for a new one.")


def signed_account(
    conn: Connection,
    service_sid: str,
    media_sid: str,
    expires: str | None,
    signature: str | None,
    now: datetime,
) -> Account:
    """The account a temporary content URL speaks for, its signature and expiry checked;
    an unknown medium is refused as a bad signature (403), telling nothing of it."""
    medium = media_store.get_medium(conn, service_sid, media_sid)
    account = account_store.get_account(conn, medium.account_sid) if medium else None
    if account is None:
        raise Forbidden("The temporary media URL's signature is not valid.")
    check_content_signature(account.auth_token, service_sid, media_sid, expires, signature, now)
    return account
