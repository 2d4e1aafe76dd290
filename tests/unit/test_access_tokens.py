"""Access Tokens minted by twilio-python verify; every other token is refused with Twilio's code.

Tokens are minted by twilio-python's `AccessToken` (what a real app's backend runs);
only the forged and malformed ones are written by hand.
"""

import asyncio
import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import Connection, update
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant, VideoGrant

from chinwag.domain.access_tokens import (
    AccessGrant,
    AccessTokenRefused,
    grant_from,
    is_expired,
    issue_access_token,
    mint_access_token,
    read_token,
    token_about_to_expire_at,
    verify_access_token,
)
from chinwag.domain.accounts import create_account, create_api_key
from chinwag.store.accounts import ApiKey
from chinwag.store.database import open_database
from chinwag.store.tables import api_keys
from chinwag.twilio import sids

ACCOUNT = "AC" + "a" * 32
KEY = "SK" + "b" * 32
SECRET = "s" * 32
SERVICE = "IS" + "c" * 32


def now() -> datetime:
    return datetime.now(UTC)


def minted(
    grants: list[Any] | None = None,
    identity: str | None = "alice",
    ttl: int = 3600,
    nbf: object = AccessToken.GENERATE,
    account: str = ACCOUNT,
    key: str = KEY,
    secret: str = SECRET,
) -> str:
    token = AccessToken(account, key, secret, grants=grants, identity=identity, ttl=ttl, nbf=nbf)
    token.grants = [ChatGrant(service_sid=SERVICE)] if grants is None else grants
    encoded: str = token.to_jwt()
    return encoded


def forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"x") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return ".".join(
        [part(json.dumps(header).encode()), part(json.dumps(payload).encode()), part(signature)]
    )


def claims(**changed: Any) -> dict[str, Any]:
    issued = int(now().timestamp())
    base: dict[str, Any] = {
        "iss": KEY,
        "sub": ACCOUNT,
        "exp": issued + 600,
        "grants": {"identity": "alice", "chat": {}},
    }
    return {**base, **changed}


def pure_verdict(token: str, at: datetime | None = None) -> AccessGrant:
    return grant_from(read_token(token), at or now())


GOOD_HEADER = {"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"}

# (case, token, code Twilio answers, close code of the socket)
REFUSED: list[tuple[str, Callable[[], str], int, int]] = [
    ("expired", lambda: minted(ttl=-10), 20104, 410),
    ("not yet valid", lambda: minted(nbf=int(now().timestamp()) + 300), 20105, 401),
    ("lifetime over 24 hours", lambda: minted(ttl=86400 + 600), 20157, 401),
    ("no chat grant", lambda: minted(grants=[VideoGrant()]), 20106, 401),
    ("no identity", lambda: minted(identity=None), 20106, 401),
    ("malformed", lambda: "not.a-jwt", 20101, 401),
    ("empty", lambda: "", 20101, 401),
    ("alg none", lambda: jwt.encode(claims(), "", algorithm="none"), 20102, 401),
    (
        "alg none with cty",
        lambda: forged({**GOOD_HEADER, "alg": "none"}, claims(), b""),
        20102,
        401,
    ),
    ("no cty", lambda: jwt.encode(claims(), SECRET, algorithm="HS256"), 20102, 401),
    ("iss not a key", lambda: forged(GOOD_HEADER, claims(iss="AC" + "1" * 32)), 20103, 401),
    ("sub missing", lambda: forged(GOOD_HEADER, {**claims(), "sub": None}), 20103, 401),
    ("exp missing", lambda: forged(GOOD_HEADER, claims(exp="soon")), 20104, 410),
    ("grants not an object", lambda: forged(GOOD_HEADER, claims(grants=[])), 20106, 401),
    (
        "service sid malformed",
        lambda: forged(GOOD_HEADER, claims(grants={"identity": "a", "chat": {"service_sid": 7}})),
        20106,
        401,
    ),
]


@pytest.mark.parametrize(("case", "token", "code", "close"), REFUSED, ids=[r[0] for r in REFUSED])
def test_pure_checks_refuse_with_twilios_code(
    case: str, token: Callable[[], str], code: int, close: int
) -> None:
    with pytest.raises(AccessTokenRefused) as refused:
        pure_verdict(token())
    assert (refused.value.code, refused.value.close_code, refused.value.status) == (
        code,
        close,
        401,
    ), refused.value.message


def test_a_twilio_python_token_gives_its_grant() -> None:
    at = now()
    grant = pure_verdict(minted(ttl=600), at)
    assert (grant.account_sid, grant.api_key_sid, grant.identity) == (ACCOUNT, KEY, "alice")
    assert grant.chat_service_sid == SERVICE
    assert timedelta(seconds=590) < grant.expires_at - at <= timedelta(seconds=600)


def test_nbf_up_to_a_minute_ahead_is_forgiven_as_clock_skew() -> None:
    ahead = int(now().timestamp()) + 50
    assert pure_verdict(minted(nbf=ahead)).identity == "alice"
    with pytest.raises(AccessTokenRefused) as refused:
        pure_verdict(minted(nbf=ahead + 20))
    assert refused.value.code == 20105


def test_a_chat_grant_without_service_leaves_it_open() -> None:
    assert pure_verdict(minted(grants=[ChatGrant()])).chat_service_sid is None


def test_the_chat_grants_push_credential_is_read_and_never_refused() -> None:
    credential = "CR" + "d" * 32
    named = minted(grants=[ChatGrant(service_sid=SERVICE, push_credential_sid=credential)])
    assert pure_verdict(named).push_credential_sid == credential
    assert pure_verdict(minted()).push_credential_sid is None
    odd = {"identity": "alice", "chat": {"push_credential_sid": 7}}
    assert (
        pure_verdict(
            jwt.encode(claims(grants=odd), SECRET, headers=GOOD_HEADER)
        ).push_credential_sid
        is None
    )


def test_expiry_helpers_warn_three_minutes_ahead_and_expire_at_exp() -> None:
    expires = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    grant = AccessGrant(ACCOUNT, KEY, "alice", None, expires)
    assert token_about_to_expire_at(grant) == datetime(2030, 1, 1, 11, 57, tzinfo=UTC)
    table = [(-1, False), (0, True), (1, True)]
    for seconds, expired in table:
        assert is_expired(grant, expires + timedelta(seconds=seconds)) is expired


def test_a_minted_token_verifies_with_pyjwt_alone() -> None:
    key = ApiKey(KEY, ACCOUNT, "unused", SECRET, "k", now())
    token = mint_access_token(key, "alice", SERVICE, 600, now())
    decoded = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert decoded["iss"] == KEY and decoded["sub"] == ACCOUNT
    assert decoded["grants"] == {"identity": "alice", "chat": {"service_sid": SERVICE}}
    assert jwt.get_unverified_header(token)["cty"] == "twilio-fpa;v=1"


# --- With the database: the key, its account, the signature, the service. ---------------


@dataclass(frozen=True)
class Tenant:
    account_sid: str
    key_sid: str
    secret: str
    service_sid: str


def _tenant(conn: Connection) -> Tenant:
    account = create_account(conn, "tokens")
    key = create_api_key(conn, account.sid, "k")
    issued = issue_access_token(conn, account.sid, "probe", now(), key_sid=key.key.sid)
    assert issued.grant.chat_service_sid is not None
    return Tenant(account.sid, key.key.sid, key.secret, issued.grant.chat_service_sid)


def _legacy_key(conn: Connection, account_sid: str) -> str:
    """A key as chinwag made them before migration 0020: its secret not kept."""
    key = create_api_key(conn, account_sid, "old")
    conn.execute(update(api_keys).where(api_keys.c.sid == key.key.sid).values(secret=None))
    return key.key.sid


def _verify_all(url: str) -> dict[str, object]:
    async def run() -> dict[str, object]:
        database = open_database(url)
        try:
            mine = await database.write(_tenant)
            other = await database.write(_tenant)
            legacy = await database.write(_legacy_key, mine.account_sid)

            def token(**kwargs: Any) -> str:
                kwargs.setdefault("grants", [ChatGrant(service_sid=mine.service_sid)])
                return minted(
                    account=kwargs.pop("account", mine.account_sid),
                    key=kwargs.pop("key", mine.key_sid),
                    secret=kwargs.pop("secret", mine.secret),
                    **kwargs,
                )

            cases = {
                "good": token(),
                "bad signature": token(secret=mine.secret + "x"),
                "unknown key": token(key=sids.new_sid(sids.API_KEY)),
                "key of another account": token(key=other.key_sid, secret=other.secret),
                "unknown account": token(account=sids.new_sid(sids.ACCOUNT)),
                "key without stored secret": token(key=legacy, secret=secrets.token_hex(16)),
                "service of another account": token(
                    grants=[ChatGrant(service_sid=other.service_sid)]
                ),
                "expired": token(ttl=-5),
            }
            verdicts: dict[str, object] = {}
            for case, value in cases.items():
                try:
                    verdicts[case] = await database.read(verify_access_token, value, now())
                except AccessTokenRefused as refused:
                    verdicts[case] = refused.code
            verdicts["mine"] = mine
            return verdicts
        finally:
            await database.close()

    return asyncio.run(run())


def test_verification_against_the_database(database_url: str) -> None:
    verdicts = _verify_all(database_url)
    mine = verdicts.pop("mine")
    assert isinstance(mine, Tenant)
    good = verdicts.pop("good")
    assert isinstance(good, AccessGrant)
    assert (good.account_sid, good.api_key_sid, good.identity, good.chat_service_sid) == (
        mine.account_sid,
        mine.key_sid,
        "alice",
        mine.service_sid,
    )
    assert verdicts == {
        "bad signature": 20107,
        "unknown key": 20103,
        "key of another account": 20103,
        "unknown account": 20103,
        "key without stored secret": 20103,
        "service of another account": 20106,
        "expired": 20104,
    }
