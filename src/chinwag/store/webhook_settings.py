"""Webhook Settings of an account: how a webhook Rule's requests are signed, timed and retried."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, func, or_, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import shared_keys, webhook_rules, webhook_settings
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class WebhookSetting:
    sid: str  # webhooks_setting_...: the API's `id`
    account_sid: str
    friendly_name: str
    description: str
    shared_key_sid: str | None  # None: the Setting does not sign
    algorithm: str | None  # HMAC_SHA256 or HMAC_SHA1, with `shared_key_sid`
    # `connection`, all None when not given; `retry_count` None: no `retryPolicy`.
    connect_timeout_ms: int | None
    read_timeout_ms: int | None
    total_timeout_ms: int | None
    retry_count: int | None
    retry_on: list[str] | None
    edge_zones: dict[str, Any] | None
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class SendingSetting:
    """What a Setting changes about sending a request, with its key's secret."""

    sid: str
    shared_key_sid: str | None
    secret: str | None
    algorithm: str | None
    connect_timeout_ms: int | None
    read_timeout_ms: int | None
    total_timeout_ms: int | None
    retry_count: int | None
    retry_on: list[str] | None


_SETTINGS = RecordMapper(
    webhook_settings, WebhookSetting, fixed={"sid", "account_sid", "date_created"}
)
_LIST = select(*_SETTINGS.columns).where(webhook_settings.c.account_sid == bindparam("account_sid"))
_GET = _LIST.where(webhook_settings.c.sid == bindparam("sid"))
_COUNT = select(func.count()).where(webhook_settings.c.account_sid == bindparam("account_sid"))
_DELETE = delete(webhook_settings).where(webhook_settings.c.sid == bindparam("sid"))
_KEY_IN_USE = select(
    exists().where(webhook_settings.c.shared_key_sid == bindparam("shared_key_sid"))
)
_IN_A_RULE = select(
    exists().where(
        or_(
            webhook_rules.c.setting_sid == bindparam("sid"),
            webhook_rules.c.second_setting_sid == bindparam("sid"),
        )
    )
)
_SENDING = RecordMapper(webhook_settings, SendingSetting, columns={"secret": shared_keys.c.secret})
_GET_SENDING = (
    select(*_SENDING.columns)
    .outerjoin(shared_keys, shared_keys.c.sid == webhook_settings.c.shared_key_sid)
    .where(webhook_settings.c.sid == bindparam("sid"))
)


def insert_setting(conn: Connection, setting: WebhookSetting) -> None:
    _SETTINGS.insert(conn, setting)


def save_setting(conn: Connection, setting: WebhookSetting) -> None:
    _SETTINGS.save(conn, setting)


def get_setting(conn: Connection, account_sid: str, sid: str) -> WebhookSetting | None:
    row = conn.execute(_GET, {"account_sid": account_sid, "sid": sid}).first()
    return _SETTINGS.from_row(row) if row else None


def count_settings(conn: Connection, account_sid: str) -> int:
    count: int = conn.execute(_COUNT, {"account_sid": account_sid}).scalar_one()
    return count


def list_settings(
    conn: Connection, account_sid: str, request: PageRequest, shared_key_sid: str | None = None
) -> Page:
    """The account's Settings, oldest first; with `shared_key_sid`, those that sign with it."""
    query = _LIST.params(account_sid=account_sid)
    if shared_key_sid is not None:
        query = query.where(webhook_settings.c.shared_key_sid == shared_key_sid)
    return fetch_page(conn, query, webhook_settings.c.id, request, _SETTINGS.from_row)


def delete_setting(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def shared_key_in_use(conn: Connection, shared_key_sid: str) -> bool:
    return bool(conn.execute(_KEY_IN_USE, {"shared_key_sid": shared_key_sid}).scalar_one())


def setting_in_use(conn: Connection, sid: str) -> bool:
    """Whether a Rule sends any traffic to the Setting `sid`."""
    return bool(conn.execute(_IN_A_RULE, {"sid": sid}).scalar_one())


def sending_setting(conn: Connection, sid: str) -> SendingSetting | None:
    row = conn.execute(_GET_SENDING, {"sid": sid}).first()
    return _SENDING.from_row(row) if row else None
