"""Per-service webhook configuration: one row per Conversation Service, absent until set.

The account's global configuration, which a service without one of its own uses, is
`store/global_webhooks.py`; which of the two a service's events go to is
`domain/service_webhooks.hooks_for`.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

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
    ordered: bool = False  # chinwag's own option: domain/ordering.py


_CONFIGS = RecordMapper(service_webhooks, ServiceWebhookConfig, key="service_sid")


def get_config(conn: Connection, service_sid: str) -> ServiceWebhookConfig | None:
    return _CONFIGS.get(conn, service_sid)


def save_config(conn: Connection, config: ServiceWebhookConfig) -> None:
    """Replace the service's configuration."""
    _CONFIGS.replace(conn, config)
