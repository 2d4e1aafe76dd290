"""Per-service webhook configuration: one row per Conversation Service, absent until set.

The account's global configuration, which a service without one of its own uses, is
`store/global_webhooks.py`; which of the two a service's events go to is
`domain/service_webhooks.hooks_for`.
"""

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.records import RecordMapper
from chinwag.store.tables import service_webhooks


@dataclass(frozen=True)
class ServiceWebhookConfig:
    service_sid: str
    account_sid: str
    pre_webhook_url: str | None
    post_webhook_url: str | None
    filters: list[str] | None  # None until given, as the spec's `fetchEmpty` example reads
    method: str | None  # "GET" or "POST" (the spec's upper-case enum); None until given


_CONFIGS = RecordMapper(service_webhooks, ServiceWebhookConfig)
_GET = select(*_CONFIGS.columns).where(service_webhooks.c.service_sid == bindparam("service_sid"))
_DELETE = delete(service_webhooks).where(service_webhooks.c.service_sid == bindparam("service_sid"))


def get_config(conn: Connection, service_sid: str) -> ServiceWebhookConfig | None:
    row = conn.execute(_GET, {"service_sid": service_sid}).first()
    return _CONFIGS.from_row(row) if row else None


def save_config(conn: Connection, config: ServiceWebhookConfig) -> None:
    """Replace the service's configuration (delete + insert: portable across engines)."""
    conn.execute(_DELETE, {"service_sid": config.service_sid})
    _CONFIGS.insert(conn, config)
