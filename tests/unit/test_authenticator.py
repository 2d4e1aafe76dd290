"""Remembered account lookups still prove every secret, and expire."""

import asyncio

from chinwag.domain.accounts import Authenticator, create_account, create_api_key
from chinwag.store.database import open_database
from chinwag.twilio.auth import Credentials


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
