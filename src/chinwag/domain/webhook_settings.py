"""Webhook Settings: how the requests a Rule sends them are signed, timed and retried
(twilio.com/docs/usage/webhooks/webhook-settings; twilio-python 9.13's SettingList).

A Setting's `signature` names one of the account's shared keys and an algorithm;
`connection` gives timeouts and a retry policy; both are fixed at creation, and only
`friendlyName` and `description` change later ("Core config (auth, signature) is
immutable"). A Setting a Rule still sends to cannot be deleted (errors/59100).

What chinwag does not do, and takes anyway (docs/compatibility.md, "Shared keys"):
`auth` (chinwag never authenticates to an endpoint; Twilio requires it, so a call
written for Twilio works) is checked for its `source` and dropped; `edgeZones` is kept
and shown, with nothing to route.
"""

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from chinwag.domain.shared_keys import find_shared_key
from chinwag.domain.webhook_configuration import check_names, make_room
from chinwag.store import webhook_settings as store
from chinwag.store.webhook_settings import WebhookSetting
from chinwag.twilio import type_ids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import (
    ConfigurationNotFound,
    ReferencedResourceNotFound,
    ResourceInUse,
    ValidationFailed,
)
from chinwag.twilio.forms import shown

ALGORITHMS = ("HMAC_SHA256", "HMAC_SHA1")  # what twilio-python's and twilio-node's validators take
# signature.type: "Indicates SharedKey-based signing" is all Twilio says; its one value
# is chinwag's guess, and may be left out.
SIGNATURE_TYPE = "SHARED_KEY"
AUTH_SOURCES = ("INLINE", "REFERENCE")  # errors/59000
RETRY_ON = ("HTTP_4XX", "HTTP_5XX", "CONNECTION_TIMEOUT", "READ_TIMEOUT", "ALL")
TIMEOUT_MS = (100, 15_000)  # connectTimeoutMs, readTimeoutMs: "100ms - 15s"
TOTAL_TIMEOUT_MS = (100, 60_000)  # totalTimeoutMs: "100ms - 60s"
MAX_RETRY_COUNT = 10  # Twilio gives none; each retry waits on chinwag's schedule


@dataclass(frozen=True)
class SignatureFields:
    type: str | None
    shared_key_sid: str | None
    algorithm: str | None


@dataclass(frozen=True)
class ConnectionFields:
    connect_timeout_ms: int | None
    read_timeout_ms: int | None
    total_timeout_ms: int | None = None
    retry_policy: bool = False  # `retryPolicy` given: its two fields are then required
    retry_count: int | None = None
    retry_on: list[str] | None = None


@dataclass(frozen=True)
class SettingFields:
    friendly_name: str | None = None
    description: str | None = None
    auth_source: str | None = None  # `auth.source`, when `auth` is given
    signature: SignatureFields | None = None
    connection: ConnectionFields | None = None
    edge_zones: dict[str, Any] | None = None


def create_setting(conn: Connection, account_sid: str, fields: SettingFields) -> WebhookSetting:
    check_names(fields.friendly_name, fields.description)
    if fields.auth_source is not None and fields.auth_source not in AUTH_SOURCES:
        raise ValidationFailed(
            f"auth.source '{shown(fields.auth_source)}' is not one of: {', '.join(AUTH_SOURCES)}."
        )
    make_room(conn, account_sid, store.count_settings, "Settings")
    now = utc_now()
    setting = WebhookSetting(
        sid=type_ids.new_type_id(type_ids.SETTING),
        account_sid=account_sid,
        friendly_name=fields.friendly_name or "",
        description=fields.description or "",
        shared_key_sid=None,
        algorithm=None,
        connect_timeout_ms=None,
        read_timeout_ms=None,
        total_timeout_ms=None,
        retry_count=None,
        retry_on=None,
        edge_zones=fields.edge_zones,
        date_created=now,
        date_updated=now,
    )
    if fields.signature is not None:
        setting = _signed(conn, setting, fields.signature)
    if fields.connection is not None:
        setting = _connected(setting, fields.connection)
    store.insert_setting(conn, setting)
    return setting


def rename_setting(
    conn: Connection, setting: WebhookSetting, friendly_name: str | None, description: str | None
) -> WebhookSetting:
    """PATCH: only the names change."""
    check_names(friendly_name, description)
    changed = setting
    if friendly_name is not None:
        changed = replace(changed, friendly_name=friendly_name)
    if description is not None:
        changed = replace(changed, description=description)
    if changed is setting:
        return setting
    changed = replace(changed, date_updated=utc_now())
    store.save_setting(conn, changed)
    return changed


def find_setting(conn: Connection, account_sid: str, sid: str) -> WebhookSetting:
    """The account's Setting `sid`; another account's is as missing as an unknown one."""
    found = store.get_setting(conn, account_sid, sid)
    if found is None:
        raise ConfigurationNotFound(f"Setting '{shown(sid)}' was not found.")
    return found


def delete_setting(conn: Connection, setting: WebhookSetting) -> None:
    if store.setting_in_use(conn, setting.sid):
        raise ResourceInUse(
            f"Setting '{setting.sid}' is still used by a Rule: change or delete the Rule first."
        )
    store.delete_setting(conn, setting.sid)


def _signed(
    conn: Connection, setting: WebhookSetting, signature: SignatureFields
) -> WebhookSetting:
    if signature.type is not None and signature.type.upper() != SIGNATURE_TYPE:
        raise ValidationFailed(f"signature.type '{shown(signature.type)}' is not {SIGNATURE_TYPE}.")
    if not signature.shared_key_sid:
        raise ValidationFailed("signature.sharedKeyId is required.")
    if signature.algorithm not in ALGORITHMS:
        raise ValidationFailed(
            f"signature.algorithm '{shown(str(signature.algorithm))}' is not one of: "
            f"{', '.join(ALGORITHMS)}."
        )
    try:
        key = find_shared_key(conn, setting.account_sid, signature.shared_key_sid)
    except ConfigurationNotFound as missing:
        raise ReferencedResourceNotFound(missing.detail) from None
    return replace(setting, shared_key_sid=key.sid, algorithm=signature.algorithm)


def _connected(setting: WebhookSetting, connection: ConnectionFields) -> WebhookSetting:
    for name, value, (least, most) in (
        ("connectTimeoutMs", connection.connect_timeout_ms, TIMEOUT_MS),
        ("readTimeoutMs", connection.read_timeout_ms, TIMEOUT_MS),
        ("totalTimeoutMs", connection.total_timeout_ms, TOTAL_TIMEOUT_MS),
    ):
        if value is None and name != "totalTimeoutMs":
            raise ValidationFailed(f"connection.{name} is required.")
        if value is not None and not least <= value <= most:
            raise ValidationFailed(
                f"connection.{name} {value} is not between {least} and {most} milliseconds."
            )
    retry_count, retry_on = None, None
    if connection.retry_policy:
        retry_count, retry_on = _retry_policy(connection.retry_count, connection.retry_on)
    return replace(
        setting,
        connect_timeout_ms=connection.connect_timeout_ms,
        read_timeout_ms=connection.read_timeout_ms,
        total_timeout_ms=connection.total_timeout_ms,
        # No `retryPolicy`: "Number of retry attempts (default: 0, no retries)".
        retry_count=retry_count if retry_count is not None else 0,
        retry_on=retry_on,
    )


def _retry_policy(count: int | None, retry_on: list[str] | None) -> tuple[int, list[str]]:
    if count is None or not 0 <= count <= MAX_RETRY_COUNT:
        raise ValidationFailed(
            f"connection.retryPolicy.retryCount must be an integer from 0 to {MAX_RETRY_COUNT}."
        )
    if retry_on is None:
        raise ValidationFailed("connection.retryPolicy.retryOn is required.")
    for condition in retry_on:
        if condition not in RETRY_ON:
            raise ValidationFailed(
                f"connection.retryPolicy.retryOn '{shown(condition)}' is not one of: "
                f"{', '.join(RETRY_ON)}."
            )
    return count, retry_on
