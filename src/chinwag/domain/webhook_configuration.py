"""What the Webhooks configuration API's resources (shared keys, Settings, Rules) share:
their names' lengths and the per-account limit, checked under the account's lock.

Sources: twilio.com/docs/usage/webhooks/webhook-settings and webhook-rules ("Up to 255
characters", "Up to 1024 characters"), twilio.com/docs/api/errors/59200 ("the current
per-account limit for SharedKeys, AuthProfile resources, Settings, and Rules" is 50).
"""

from collections.abc import Callable

from sqlalchemy import Connection

from chinwag.store.accounts import lock_account
from chinwag.twilio.errors import AccountLimitReached, ValidationFailed
from chinwag.twilio.forms import shown

MAX_PER_ACCOUNT = 50
MAX_FRIENDLY_NAME = 255
MAX_DESCRIPTION = 1024


def check_names(friendly_name: str | None, description: str | None) -> None:
    for name, value, most in (
        ("friendlyName", friendly_name, MAX_FRIENDLY_NAME),
        ("description", description, MAX_DESCRIPTION),
    ):
        if value is not None and len(value) > most:
            raise ValidationFailed(f"{name} '{shown(value)}' is longer than {most} characters.")


def make_room(
    conn: Connection, account_sid: str, count: Callable[[Connection, str], int], kind: str
) -> None:
    """Lock the account, then refuse a new `kind` when it has `MAX_PER_ACCOUNT` already."""
    lock_account(conn, account_sid)
    if count(conn, account_sid) >= MAX_PER_ACCOUNT:
        raise AccountLimitReached(
            f"The account has {MAX_PER_ACCOUNT} {kind}, the most it may have."
        )
