"""Shared keys: secrets an account's webhooks are signed with instead of its auth token
(twilio.com/docs/usage/webhooks/webhook-shared-keys).

The secret is made here and shown once, in the create response: "Signing secret (only
returned on POST, cannot be retrieved later)" (twilio-python 9.13, SharedKeyInstance).
A key that a Setting still signs with cannot be deleted (twilio.com/docs/api/errors/59100).
"""

import secrets
from dataclasses import replace

from sqlalchemy import Connection

from chinwag.domain.webhook_configuration import check_names, make_room
from chinwag.store import shared_keys as store
from chinwag.store.shared_keys import SharedKey
from chinwag.store.webhook_settings import shared_key_in_use
from chinwag.twilio import type_ids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import ConfigurationNotFound, ResourceInUse
from chinwag.twilio.forms import shown

# Twilio does not say what a secret looks like: 32 random bytes, URL-safe base64 (43
# characters), as long as an auth token's HMAC-SHA256 would want (docs/compatibility.md).
SECRET_BYTES = 32


def create_shared_key(conn: Connection, account_sid: str, friendly_name: str | None) -> SharedKey:
    check_names(friendly_name, None)
    make_room(conn, account_sid, store.count_shared_keys, "shared keys")
    now = utc_now()
    key = SharedKey(
        sid=type_ids.new_type_id(type_ids.SHARED_KEY),
        account_sid=account_sid,
        friendly_name=friendly_name or "",  # "defaults to blank"
        secret=secrets.token_urlsafe(SECRET_BYTES),
        date_created=now,
        date_updated=now,
    )
    store.insert_shared_key(conn, key)
    return key


def rename_shared_key(conn: Connection, key: SharedKey, friendly_name: str | None) -> SharedKey:
    """PATCH: the friendly name is all a shared key lets change."""
    check_names(friendly_name, None)
    if friendly_name is None:
        return key
    renamed = replace(key, friendly_name=friendly_name, date_updated=utc_now())
    store.save_shared_key(conn, renamed)
    return renamed


def find_shared_key(conn: Connection, account_sid: str, sid: str) -> SharedKey:
    """The account's shared key `sid`; another account's is as missing as an unknown one."""
    found = store.get_shared_key(conn, account_sid, sid)
    if found is None:
        raise ConfigurationNotFound(f"SharedKey '{shown(sid)}' was not found.")
    return found


def delete_shared_key(conn: Connection, key: SharedKey) -> None:
    if shared_key_in_use(conn, key.sid):
        raise ResourceInUse(
            f"SharedKey '{key.sid}' is still used by a Setting: delete the Setting first."
        )
    store.delete_shared_key(conn, key.sid)
