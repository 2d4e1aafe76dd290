"""Service-level webhook configuration: one row per Conversation Service, absent until set."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from chinwag.store.tables import service_webhooks


@dataclass(frozen=True)
class ServiceWebhookConfig:
    service_sid: str
    account_sid: str
    pre_webhook_url: str | None
    post_webhook_url: str | None
    filters: list[str]
    method: str  # "GET" or "POST", upper case as the spec's enum
    target: str  # "webhook" or "flex"


_FIELDS = tuple(ServiceWebhookConfig.__dataclass_fields__)
_GET = select(*(service_webhooks.c[name] for name in _FIELDS)).where(
    service_webhooks.c.service_sid == bindparam("service_sid")
)
_DELETE = delete(service_webhooks).where(service_webhooks.c.service_sid == bindparam("service_sid"))
_INSERT = insert(service_webhooks)


def get_config(conn: Connection, service_sid: str) -> ServiceWebhookConfig | None:
    row = conn.execute(_GET, {"service_sid": service_sid}).first()
    if row is None:
        return None
    m: Any = row._mapping
    return ServiceWebhookConfig(**{name: m[name] for name in _FIELDS})


def save_config(conn: Connection, config: ServiceWebhookConfig) -> None:
    """Replace the service's configuration (delete + insert: portable across engines)."""
    conn.execute(_DELETE, {"service_sid": config.service_sid})
    conn.execute(_INSERT, {name: getattr(config, name) for name in _FIELDS})
