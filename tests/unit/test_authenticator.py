"""Remembered account lookups still prove every secret, and expire: a rotated token or a
deleted key is not served from memory past the ttl."""

import asyncio

import pytest

from chinwag.domain.accounts import (
    Authenticator,
    create_account,
    create_api_key,
    delete_api_key,
    rotate_auth_token,
)
from chinwag.store.database import open_database
from chinwag.twilio.auth import Credentials
from chinwag.twilio.errors import ResourceNotFound


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cached_lookups_still_check_the_secret_and_expire(database_url: str) -> None:
    url = database_url
    asyncio.run(_cached_lookups_still_check_the_secret(url))


async def _cached_lookups_still_check_the_secret(url: str) -> None:
    database = open_database(url)
    account = await database.write(create_account, "a")
    key = await database.write(create_api_key, account.sid, "k")
    clock = Clock()
    authenticator = Authenticator(ttl=5, clock=clock)

    assert (
        await authenticator.authenticate(database, Credentials(account.sid, account.auth_token))
        == account
    )
    assert await authenticator.authenticate(database, Credentials(account.sid, "wrong")) is None
    assert (
        await authenticator.authenticate(database, Credentials(key.key.sid, key.secret)) == account
    )
    assert (
        await authenticator.authenticate(database, Credentials(key.key.sid, account.auth_token))
        is None
    )

    await database.write(
        lambda conn: conn.exec_driver_sql("UPDATE accounts SET auth_token = 'new'")
    )
    clock.now = 4.9  # still remembered
    assert (
        await authenticator.authenticate(database, Credentials(account.sid, account.auth_token))
        == account
    )
    clock.now = 5.1  # expired: the new token is read
    assert (
        await authenticator.authenticate(database, Credentials(account.sid, account.auth_token))
        is None
    )
    assert await authenticator.authenticate(database, Credentials(account.sid, "new")) is not None
    await database.close()


def test_a_rotated_token_works_at_once_and_a_deleted_key_is_refused_after_the_ttl(
    database_url: str,
) -> None:
    asyncio.run(_rotated_token_and_deleted_key(database_url))


async def _rotated_token_and_deleted_key(url: str) -> None:
    database = open_database(url)
    account = await database.write(create_account, "a")
    key = await database.write(create_api_key, account.sid, "k")
    clock = Clock()
    authenticator = Authenticator(ttl=5, clock=clock)
    old = Credentials(account.sid, account.auth_token)
    by_key = Credentials(key.key.sid, key.secret)
    assert await authenticator.authenticate(database, old) == account
    assert await authenticator.authenticate(database, by_key) == account

    rotated = await database.write(rotate_auth_token, account.sid)
    deleted = await database.write(delete_api_key, key.key.sid)

    assert deleted == key.key
    assert rotated.auth_token != account.auth_token
    # The remembered lookup refuses the new token: it is looked up again, and replaces it.
    new = Credentials(account.sid, rotated.auth_token)
    assert await authenticator.authenticate(database, new) == rotated
    assert await authenticator.authenticate(database, old) is None
    # A deleted key is remembered no longer than the ttl.
    assert await authenticator.authenticate(database, by_key) == account
    clock.now = 5.1
    assert await authenticator.authenticate(database, by_key) is None
    clock.now = 60.0
    assert await authenticator.authenticate(database, by_key) is None
    with pytest.raises(ResourceNotFound, match=rf"API key '{key.key.sid}' does not exist\."):
        await database.write(delete_api_key, key.key.sid)
    with pytest.raises(ResourceNotFound, match=r"Account 'AC0{32}' does not exist\."):
        await database.write(rotate_auth_token, "AC" + "0" * 32)
    await database.close()
