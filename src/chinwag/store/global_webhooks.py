"""The account's global webhook configuration (/v1/Configuration/Webhooks): one row per
account, absent until set. It serves every service of the account that has no
configuration of its own (store/service_webhooks.py)."""

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.records import RecordMapper
from chinwag.store.tables import global_webhooks


@dataclass(frozen=True)
class GlobalWebhookConfig:
    account_sid: str
    pre_webhook_url: str | None
    post_webhook_url: str | None
    filters: list[str] | None  # None until given
    method: str | None  # "GET" or "POST"; None until given
    target: str  # "webhook" or "flex"


_CONFIGS = RecordMapper(global_webhooks, GlobalWebhookConfig)
_GET = select(*_CONFIGS.columns).where(global_webhooks.c.account_sid == bindparam("account_sid"))
_DELETE = delete(global_webhooks).where(global_webhooks.c.account_sid == bindparam("account_sid"))


def get_config(conn: Connection, account_sid: str) -> GlobalWebhookConfig | None:
    row = conn.execute(_GET, {"account_sid": account_sid}).first()
    return _CONFIGS.from_row(row) if row else None


def save_config(conn: Connection, config: GlobalWebhookConfig) -> None:
    """Replace the account's configuration (delete + insert: portable across engines)."""
    conn.execute(_DELETE, {"account_sid": config.account_sid})
    _CONFIGS.insert(conn, config)
