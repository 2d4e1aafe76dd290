"""STAND-IN until branch k-token lands (it replaces this file): Access Token verification.

Same names as k-token's module. This stand-in checks the HS256 signature against the
issuing account's Auth Token (API key secrets are stored hashed until k-token stores
them usably), so tests mint tokens with (API key SID, Auth Token) meanwhile.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import jwt
from sqlalchemy import Connection

from chinwag.store import accounts as account_store
from chinwag.twilio.errors import TwilioError

ABOUT_TO_EXPIRE = timedelta(minutes=3)


class AccessTokenRefused(TwilioError):
    """20101 Invalid Access Token; `close_code` is twilsock's (401)."""

    code = 20101
    status = 401
    close_code: ClassVar[int] = 401


class AccessTokenExpired(AccessTokenRefused):
    code = 20104
    close_code = 410


@dataclass(frozen=True)
class AccessGrant:
    account_sid: str
    api_key_sid: str
    identity: str
    chat_service_sid: str | None
    expires_at: datetime


def verify_access_token(conn: Connection, token: str, now: datetime) -> AccessGrant:
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AccessTokenRefused("Invalid Access Token") from error
    account = account_store.get_account(conn, str(claims.get("sub", "")))
    if account is None:
        raise AccessTokenRefused("Invalid Access Token issuer/subject")
    try:
        jwt.decode(
            token, account.auth_token, algorithms=["HS256"], options={"verify_exp": False}
        )
    except jwt.PyJWTError as error:
        raise AccessTokenRefused("Invalid Access Token signature") from error
    expires_at = datetime.fromtimestamp(int(claims.get("exp", 0)), UTC)
    if expires_at <= now:
        raise AccessTokenExpired("Access Token expired or expiration date invalid")
    grants = claims.get("grants") or {}
    identity = grants.get("identity")
    if not isinstance(identity, str) or not identity:
        raise AccessTokenRefused("Invalid Access Token grants")
    chat = grants.get("chat") or {}
    return AccessGrant(
        account_sid=account.sid,
        api_key_sid=str(claims.get("iss", "")),
        identity=identity,
        chat_service_sid=chat.get("service_sid"),
        expires_at=expires_at,
    )
