"""Accounts, API keys, authentication, and each account's default Conversation Service.

Credentials are withdrawn in the database (`rotate_auth_token`, `delete_api_key`): a
process that has not looked them up in the last `Authenticator` ttl refuses them at
once, one that has (a running server) within that ttl, 5 s.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from chinwag.domain.account_configuration import create_configuration
from chinwag.domain.services import create_service
from chinwag.store import accounts as store
from chinwag.store.accounts import Account, ApiKey
from chinwag.store.database import Database
from chinwag.twilio import sids
from chinwag.twilio.auth import Credentials, hash_secret, secrets_match
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound

DEFAULT_SERVICE_NAME = "Default Conversations Service"


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # shown once at creation; kept to verify Access Tokens (docs/client-sdk.md)


def new_auth_token() -> str:
    return secrets.token_hex(16)


def create_account(
    conn: Connection, friendly_name: str, sid: str | None = None, auth_token: str | None = None
) -> Account:
    account = Account(
        sid=sid or sids.new_sid(sids.ACCOUNT),
        auth_token=auth_token or new_auth_token(),
        friendly_name=friendly_name,
        date_created=utc_now(),
    )
    store.insert_account(conn, account)
    create_service(conn, account.sid, DEFAULT_SERVICE_NAME, is_default=True)
    create_configuration(conn, account.sid)
    return account


def ensure_account(conn: Connection, sid: str, auth_token: str) -> Account:
    """Make the account `sid` exist with exactly this token (from TWILIO_* at start)."""
    if not sids.is_sid(sid, sids.ACCOUNT):
        raise InvalidParameter(
            f"TWILIO_ACCOUNT_SID '{sid}' is not an account SID (AC + 32 hex digits)."
        )
    if not auth_token:
        raise InvalidParameter("TWILIO_AUTH_TOKEN is empty.")
    existing = store.get_account(conn, sid)
    if existing is None:
        return create_account(conn, "chinwag account", sid=sid, auth_token=auth_token)
    if existing.auth_token != auth_token:
        store.set_auth_token(conn, sid, auth_token)
    return store.get_account(conn, sid) or existing


def rotate_auth_token(conn: Connection, sid: str) -> Account:
    """Give the account a new random auth token; the old one no longer authenticates.

    API keys are separate credentials and keep working; Access Tokens are signed with
    keys, not the auth token, so they stay valid. Webhooks are signed with the token
    read when each is sent, so from now on with the new one.
    """
    account = store.get_account(conn, sid)
    if account is None:
        raise ResourceNotFound(f"Account '{sid}' does not exist.")
    token = new_auth_token()
    store.set_auth_token(conn, sid, token)
    return replace(account, auth_token=token)


def create_api_key(conn: Connection, account_sid: str, friendly_name: str) -> NewApiKey:
    if store.get_account(conn, account_sid) is None:
        raise InvalidParameter(f"Account '{account_sid}' does not exist.")
    secret = secrets.token_urlsafe(24)
    key = ApiKey(
        sid=sids.new_sid(sids.API_KEY),
        account_sid=account_sid,
        secret_sha256=hash_secret(secret),
        secret=secret,
        friendly_name=friendly_name,
        date_created=utc_now(),
    )
    store.insert_api_key(conn, key)
    return NewApiKey(key, secret)


def delete_api_key(conn: Connection, sid: str) -> ApiKey:
    """Delete the API key `sid`: its Basic auth and the Access Tokens it signed are refused."""
    key = store.get_api_key(conn, sid)
    if key is None or not store.delete_api_key(conn, sid):
        raise ResourceNotFound(f"API key '{sid}' does not exist.")
    return key


def authenticate(conn: Connection, credentials: Credentials) -> Account | None:
    """The account these Basic credentials prove, or None. Secrets compare in constant time."""
    found = _lookup(conn, credentials.username)
    return _verify(found, credentials)


@dataclass(frozen=True)
class _Principal:
    """Who a username is: the account, and the secret (or its hash) that proves it."""

    account: Account
    secret: str
    hashed: bool


def _lookup(conn: Connection, username: str) -> _Principal | None:
    if username.startswith(sids.API_KEY):
        key = store.get_api_key(conn, username)
        account = store.get_account(conn, key.account_sid) if key else None
        return _Principal(account, key.secret_sha256, True) if key and account else None
    account = store.get_account(conn, username)
    return _Principal(account, account.auth_token, False) if account else None


def _verify(principal: _Principal | None, credentials: Credentials) -> Account | None:
    if principal is None:
        return None
    given = hash_secret(credentials.password) if principal.hashed else credentials.password
    return principal.account if secrets_match(given, principal.secret) else None


class Authenticator:
    """`authenticate` with known usernames remembered for `ttl` seconds.

    Every request still proves its secret (in constant time); only the database
    lookup is saved. A token changed or a key deleted by another process is seen
    within `ttl`; a secret the remembered lookup refuses is looked up again, so a
    rotated auth token works at once (and replaces the old one here).
    """

    def __init__(self, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._known: dict[str, tuple[float, _Principal]] = {}

    async def authenticate(self, database: Database, credentials: Credentials) -> Account | None:
        now = self._clock()
        cached = self._known.get(credentials.username)
        if cached is not None and cached[0] > now:
            account = _verify(cached[1], credentials)
            if account is not None:
                return account
        principal = await database.read(_lookup, credentials.username)
        if principal is None:
            self._known.pop(credentials.username, None)
            return None
        self._known[credentials.username] = (now + self._ttl, principal)
        return _verify(principal, credentials)
