"""Dashboard sessions: sign-in with Twilio credentials, a signed cookie, a CSRF token.

The cookie holds `<username>.<itsdangerous token>`: the username is the AccountSid
or API key SID signed in with, the token a timestamped signature over
{username, account, csrf}. It is signed with a key only the database holds and
every server of a deployment shares: the account's auth token, or the API key's
stored secret hash. So no new secret is kept anywhere, any server accepts a session
any other server started, and changing the auth token or deleting the API key ends
its sessions. Signing in writes nothing.

Signing out ends the session on every server at once: the SHA-256 of its id (the
CSRF token, random per session and inside the signature) is written to
`signed_out_sessions` until the cookie would have expired anyway, and every session
read looks it up in the same transaction as the signing key. So a copy of the cookie
is refused too, after a restart as well; other sessions of the same credentials are
not touched.
"""

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection

from chinwag.domain.accounts import Authenticator
from chinwag.request_context import database
from chinwag.store import accounts as account_store
from chinwag.store import signed_out_sessions
from chinwag.store.accounts import Account
from chinwag.twilio import sids
from chinwag.twilio.auth import Credentials
from chinwag.twilio.dates import utc_now
from chinwag.ui import inputs
from chinwag.ui.origins import is_https

COOKIE = "chinwag_session"
MAX_AGE = 12 * 3600  # seconds a session lasts, whatever is done with it
SALT = "chinwag.ui.session"
CSRF_FIELD = "csrf_token"
SIGN_IN_PATH = "/chinwag/ui/sign-in"
HOME = "/chinwag/ui/"
AUTHENTICATOR = web.AppKey("ui_authenticator", Authenticator)


@dataclass(frozen=True)
class Session:
    """Who is signed in: the account, the username used, the session's CSRF token (its id
    too), and when its cookie expires."""

    account: Account
    username: str
    csrf: str
    expires_at: datetime

    @property
    def id_sha256(self) -> str:
        return hashlib.sha256(self.csrf.encode()).hexdigest()


def _signing_key(conn: Connection, username: str) -> tuple[Account, str] | None:
    """The account a username belongs to, and the secret its sessions are signed with."""
    if username.startswith(sids.API_KEY):
        key = account_store.get_api_key(conn, username)
        owner = account_store.get_account(conn, key.account_sid) if key else None
        return (owner, key.secret_sha256) if key and owner else None
    account = account_store.get_account(conn, username)
    return (account, account.auth_token) if account else None


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


async def sign_in(request: web.Request, username: str, password: str) -> str | None:
    """The cookie value for these credentials (AccountSid + AuthToken, or SK + secret)."""
    credentials = Credentials(username.strip(), password.strip())
    if not credentials.username or "." in credentials.username:
        return None
    account = await request.app[AUTHENTICATOR].authenticate(database(request), credentials)
    found = await database(request).read(_signing_key, credentials.username)
    if account is None or found is None:
        return None
    payload = {"u": credentials.username, "a": account.sid, "c": secrets.token_urlsafe(24)}
    return f"{credentials.username}.{_serializer(found[1]).dumps(payload)}"


async def read_session(request: web.Request) -> Session | None:
    """The request's session, if its cookie is well signed, current, its key unchanged,
    and it was not signed out."""
    username, _, token = request.cookies.get(COOKIE, "").partition(".")
    if not username or not token or not sids.is_sid(username, username[:2]):
        return None
    if not token.isascii():  # itsdangerous would fail to encode a byte that is not UTF-8
        return None
    return await database(request).read(_find_session, username, token)


def _find_session(conn: Connection, username: str, token: str) -> Session | None:
    found = _signing_key(conn, username)
    if found is None:
        return None
    account, secret = found
    try:
        payload, signed_at = _serializer(secret).loads(
            token, max_age=MAX_AGE, return_timestamp=True
        )
    except BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(payload, dict) or payload.get("u") != username:
        return None
    if payload.get("a") != account.sid or not isinstance(payload.get("c"), str):
        return None
    # itsdangerous counts whole seconds and accepts an age of MAX_AGE: one more to be sure.
    expires_at = signed_at + timedelta(seconds=MAX_AGE + 1)
    session = Session(account, username, payload["c"], expires_at)
    return None if signed_out_sessions.is_ended(conn, session.id_sha256) else session


async def end_session(request: web.Request, session: Session) -> None:
    """Sign out: the session's cookie, and any copy of it, is refused by every server."""
    await database(request).write(
        signed_out_sessions.end_session, session.id_sha256, session.expires_at, utc_now()
    )


def set_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        path="/chinwag/ui",
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/chinwag/ui")


def see_other(location: str) -> web.Response:
    """A 303 to `location`, a path on this site, else to the dashboard (returned, not
    raised: the app's error middleware turns raised HTTP exceptions into Twilio's JSON
    envelope)."""
    return web.Response(status=303, headers={"Location": inputs.local_path(location, HOME)})


SessionHandler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(handler: SessionHandler) -> Handler:
    """A GET handler for the signed-in: others are sent to the sign-in page."""

    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = await read_session(request)
        if session is None:
            return see_other(SIGN_IN_PATH)
        return await handler(request, session)

    return wrapped


def action(handler: SessionHandler) -> Handler:
    """A POST handler for the signed-in whose form carries the session's CSRF token."""

    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = await read_session(request)
        if session is None:
            return web.Response(status=403, text="Not signed in.")
        given = (await inputs.form(request)).text(CSRF_FIELD) or ""  # a bad body: 400
        if not hmac.compare_digest(given.encode(), session.csrf.encode()):  # any text
            return web.Response(status=403, text="The form's CSRF token is missing or wrong.")
        return await handler(request, session)

    return wrapped
