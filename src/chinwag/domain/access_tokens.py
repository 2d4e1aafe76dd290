"""Access Tokens, the client SDK's credential: verified as Twilio does, and minted for dev use.

A token is what twilio-python / twilio-node `AccessToken` mint: a JWT signed HS256
with an API key's secret, header `cty: twilio-fpa;v=1`, `iss` the API key SID, `sub`
the account SID, `exp` (and `nbf`), `grants.identity` and `grants.chat.service_sid`
(twilio-python `twilio/jwt/access_token/__init__.py`; twilio.com/docs/iam/access-tokens).
Each refusal is one of Twilio's codes (twilio/errors.py, `AccessTokenRefused`), so an
SDK sees what Twilio would have said; docs/compatibility.md, "Access Tokens", lists them.

The checks run in this order, so nothing unsigned is believed beyond naming the key:
shape and header (pure), the key and its account (database), the signature, then
time and grants (pure, at an injected `now`).
"""

import secrets as random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import Connection

from chinwag.domain.accounts import create_api_key
from chinwag.store import accounts as account_store
from chinwag.store import services as service_store
from chinwag.store.accounts import ApiKey
from chinwag.twilio import sids
from chinwag.twilio.errors import (
    AccessTokenExpired,
    AccessTokenGrantsInvalid,
    AccessTokenHeaderInvalid,
    AccessTokenIssuerInvalid,
    AccessTokenLifetimeTooLong,
    AccessTokenNotYetValid,
    AccessTokenRefused,
    AccessTokenSignatureInvalid,
    InvalidParameter,
)

__all__ = [
    "ABOUT_TO_EXPIRE",
    "MAX_LIFETIME",
    "AccessGrant",
    "AccessTokenRefused",
    "IssuedToken",
    "UnverifiedToken",
    "check_signature",
    "grant_from",
    "is_expired",
    "issue_access_token",
    "mint_access_token",
    "read_token",
    "token_about_to_expire_at",
    "verify_access_token",
]

ALGORITHM = "HS256"
CONTENT_TYPE = "twilio-fpa;v=1"
# "Access Token expiration times can be set up to 24 hours in the future" (errors/20104).
MAX_LIFETIME = timedelta(hours=24)
# When the socket sends `client_update token_about_to_expire`: twilsock only reacts to
# it and leaves the timing to the server. Twilio's token lifecycle page gives tokens "a
# minimum of 3 minutes" (twilio.com/docs/chat/access-token-lifecycle), so a warning
# three minutes ahead leaves a minimal token its whole life to be renewed.
ABOUT_TO_EXPIRE = timedelta(minutes=3)
# A backend minting on another machine (a container, a VM) may run a little ahead of
# chinwag's clock; its fresh tokens carry `nbf` = its now. Expiry gets no such grace.
NOT_BEFORE_LEEWAY = timedelta(seconds=60)
DEFAULT_TTL = 3600
SIGNING_KEY_NAME = "chinwag access tokens"


@dataclass(frozen=True)
class AccessGrant:
    """Who a verified token speaks for, and until when."""

    account_sid: str
    api_key_sid: str
    identity: str
    chat_service_sid: str | None  # None: the token's chat grant names no service
    expires_at: datetime
    # The chat grant's `push_credential_sid`: what the user's push registrations use.
    push_credential_sid: str | None = None


@dataclass(frozen=True)
class UnverifiedToken:
    """A well-formed token's claims, before its signature is checked: only `api_key_sid`
    and `account_sid` are used, to find the key that can check it."""

    api_key_sid: str
    account_sid: str
    claims: dict[str, Any]


def verify_access_token(conn: Connection, token: str, now: datetime) -> AccessGrant:
    """The grant `token` proves at `now`, or `AccessTokenRefused` with Twilio's code."""
    unverified = read_token(token)
    key = _signing_key(conn, unverified)
    check_signature(token, key)
    grant = grant_from(unverified, now)
    service = grant.chat_service_sid
    if service is not None and service_store.get_service(conn, grant.account_sid, service) is None:
        raise AccessTokenGrantsInvalid(
            f"The chat grant's service_sid '{service}' is not a Conversation Service of "
            f"account '{grant.account_sid}'."
        )
    return grant


def read_token(token: str) -> UnverifiedToken:
    """The header and issuer/subject of `token` checked, nothing trusted yet (pure)."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AccessTokenRefused(f"The token is not a JWT ({error}).") from None
    if header.get("alg") != ALGORITHM or header.get("typ") != "JWT":
        raise AccessTokenHeaderInvalid(
            f"alg must be '{ALGORITHM}' and typ 'JWT', not '{header.get('alg')}' and "
            f"'{header.get('typ')}'."
        )
    if header.get("cty") != CONTENT_TYPE:
        raise AccessTokenHeaderInvalid(f"cty must be '{CONTENT_TYPE}', not '{header.get('cty')}'.")
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not sids.is_sid(issuer, sids.API_KEY):
        raise AccessTokenIssuerInvalid(f"iss '{issuer}' is not an API key SID (SK...).")
    if not isinstance(subject, str) or not sids.is_sid(subject, sids.ACCOUNT):
        raise AccessTokenIssuerInvalid(f"sub '{subject}' is not an account SID (AC...).")
    return UnverifiedToken(issuer, subject, claims)


def _signing_key(conn: Connection, token: UnverifiedToken) -> ApiKey:
    key = account_store.get_api_key(conn, token.api_key_sid)
    if key is None or key.account_sid != token.account_sid:
        raise AccessTokenIssuerInvalid(
            f"API key '{token.api_key_sid}' is not a key of account '{token.account_sid}'."
        )
    if account_store.get_account(conn, token.account_sid) is None:
        raise AccessTokenIssuerInvalid(f"Account '{token.account_sid}' does not exist.")
    if key.secret is None:
        # Keys made before migration 0020 kept only a hash, which cannot check an HMAC.
        raise AccessTokenIssuerInvalid(
            f"API key '{key.sid}' predates chinwag keeping key secrets, so it cannot sign "
            "Access Tokens; create a new key (`chinwag keys create`)."
        )
    return key


def check_signature(token: str, key: ApiKey) -> None:
    """`AccessTokenSignatureInvalid` unless `token` is signed HS256 with `key`'s secret."""
    if key.secret is None:
        raise AccessTokenIssuerInvalid(f"API key '{key.sid}' has no stored secret.")
    try:
        jwt.PyJWS().decode(token, key.secret, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        raise AccessTokenSignatureInvalid(
            f"The token is not signed with the secret of API key '{key.sid}'."
        ) from None
    except jwt.PyJWTError as error:
        raise AccessTokenRefused(f"The token is not a JWT ({error}).") from None


def grant_from(token: UnverifiedToken, now: datetime) -> AccessGrant:
    """The grant of a token whose signature holds, if it is valid at `now` (pure)."""
    claims = token.claims
    expires = _numeric_date(claims.get("exp"))
    if expires is None:
        raise AccessTokenExpired(f"exp '{claims.get('exp')}' is not a NumericDate.")
    if now >= expires:
        raise AccessTokenExpired(f"The token expired at {expires.isoformat()}.")
    if expires - now > MAX_LIFETIME:
        raise AccessTokenLifetimeTooLong(
            f"exp {expires.isoformat()} is more than 24 hours after {now.isoformat()}."
        )
    if "nbf" in claims:
        not_before = _numeric_date(claims["nbf"])
        if not_before is None:
            raise AccessTokenRefused(f"nbf '{claims['nbf']}' is not a NumericDate.")
        if now + NOT_BEFORE_LEEWAY < not_before:
            raise AccessTokenNotYetValid(f"The token is valid from {not_before.isoformat()}.")
    identity, service, credential = _grants(claims.get("grants"))
    return AccessGrant(token.account_sid, token.api_key_sid, identity, service, expires, credential)


def _grants(grants: object) -> tuple[str, str | None, str | None]:
    if not isinstance(grants, dict):
        raise AccessTokenGrantsInvalid("The token has no grants object.")
    identity = grants.get("identity")
    if not isinstance(identity, str) or not identity:
        raise AccessTokenGrantsInvalid("grants.identity is missing or empty.")
    chat = grants.get("chat")
    if not isinstance(chat, dict):
        # The SDK's requests carry active_grant "ip_messaging", which is the chat grant.
        raise AccessTokenGrantsInvalid("The token has no chat grant (grants.chat).")
    service = chat.get("service_sid")
    if service is not None and not (
        isinstance(service, str) and sids.is_sid(service, sids.SERVICE)
    ):
        raise AccessTokenGrantsInvalid(f"grants.chat.service_sid '{service}' is not a service SID.")
    # Only read, never refused: a registration without a credential still registers.
    credential = chat.get("push_credential_sid")
    return identity, service, credential if isinstance(credential, str) else None


def _numeric_date(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def token_about_to_expire_at(grant: AccessGrant) -> datetime:
    """When the socket warns with `client_update token_about_to_expire` (at once, if past)."""
    return grant.expires_at - ABOUT_TO_EXPIRE


def is_expired(grant: AccessGrant, now: datetime) -> bool:
    """Whether the socket must close with 410: the token's `exp` has come."""
    return now >= grant.expires_at


def mint_access_token(
    key: ApiKey, identity: str, service_sid: str | None, ttl: int, now: datetime
) -> str:
    """A token shaped as twilio-python's `AccessToken(...).to_jwt()` with a `ChatGrant` (pure)."""
    if key.secret is None:
        raise InvalidParameter(f"API key '{key.sid}' has no stored secret; create a new key.")
    issued = int(now.timestamp())
    chat = {"service_sid": service_sid} if service_sid else {}
    payload = {
        "jti": f"{key.sid}-{issued}-{random.token_hex(4)}",
        "grants": {"identity": identity, "chat": chat},
        "iss": key.sid,
        "sub": key.account_sid,
        "nbf": issued,
        "exp": issued + ttl,
    }
    headers = {"cty": CONTENT_TYPE, "typ": "JWT"}
    return jwt.encode(payload, key.secret, algorithm=ALGORITHM, headers=headers)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    grant: AccessGrant


def issue_access_token(
    conn: Connection,
    account_sid: str,
    identity: str,
    now: datetime,
    *,
    service_sid: str | None = None,
    ttl: int = DEFAULT_TTL,
    key_sid: str | None = None,
) -> IssuedToken:
    """A token for `identity` in the account, signed with `key_sid` or the account's newest
    key that keeps its secret (one is created the first time). The service defaults to
    the account's default Conversation Service, as a Twilio ChatGrant names one."""
    if not identity:
        raise InvalidParameter("Identity is required.")
    if not 0 < ttl <= MAX_LIFETIME.total_seconds():
        raise InvalidParameter(f"Ttl '{ttl}' must be 1 to 86400 seconds (24 hours).")
    if account_store.get_account(conn, account_sid) is None:
        raise InvalidParameter(f"Account '{account_sid}' does not exist.")
    service = _service(conn, account_sid, service_sid)
    key = _key_for(conn, account_sid, key_sid)
    token = mint_access_token(key, identity, service, ttl, now)
    grant = grant_from(read_token(token), now)
    return IssuedToken(token, grant)


def _service(conn: Connection, account_sid: str, sid: str | None) -> str | None:
    found = (
        service_store.get_service(conn, account_sid, sid)
        if sid
        else service_store.get_default_service(conn, account_sid)
    )
    if sid and found is None:
        raise InvalidParameter(f"ChatServiceSid '{sid}' is not a service of '{account_sid}'.")
    return found.sid if found else None


def _key_for(conn: Connection, account_sid: str, key_sid: str | None) -> ApiKey:
    if key_sid is None:
        newest = account_store.newest_signing_key(conn, account_sid)
        return newest or create_api_key(conn, account_sid, SIGNING_KEY_NAME).key
    key = account_store.get_api_key(conn, key_sid)
    if key is None or key.account_sid != account_sid:
        raise InvalidParameter(f"API key '{key_sid}' is not a key of account '{account_sid}'.")
    if key.secret is None:
        raise InvalidParameter(
            f"API key '{key_sid}' predates chinwag keeping key secrets, so it cannot sign "
            "Access Tokens; create a new key (`chinwag keys create`)."
        )
    return key
