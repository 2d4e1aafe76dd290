"""The account's global webhook configuration (/v1/Configuration/Webhooks): one row per
account, absent until set. It serves every service of the account that has no
configuration of its own (store/service_webhooks.py)."""

from dataclasses import dataclass

from sqlalchemy import Connection

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
    ordered: bool = False  # chinwag's own option: domain/ordering.py


_CONFIGS = RecordMapper(global_webhooks, GlobalWebhookConfig, key="account_sid")


def get_config(conn: Connection, account_sid: str) -> GlobalWebhookConfig | None:
    return _CONFIGS.get(conn, account_sid)


def save_config(conn: Connection, config: GlobalWebhookConfig) -> None:
    """Replace the account's configuration."""
    _CONFIGS.replace(conn, config)
