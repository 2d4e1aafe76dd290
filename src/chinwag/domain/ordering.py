"""Ordered delivery, chinwag's own option: a webhook or sink that sends one conversation's
events one at a time, in the order they were committed (docs/events.md, "Ordered delivery").

Twilio sends one request per event with no promise of order, and has no such setting
(twilio.com/docs/conversations/conversations-webhooks), so the flag is kept beside
Twilio's resources and set through chinwag's own API, by the SID of what it orders:
- WH…: a conversation-scoped webhook;
- DG…: an Event Streams sink;
- IS…: the service's own service-level webhook configuration;
- AC…: the account's global webhook configuration (the caller's own account only).
Publishing reads the flag with the webhook or sink it reads anyway; the order itself is
kept by the outbox (store/outbox.py).
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from chinwag.domain.service_webhooks import global_config, service_config
from chinwag.store import global_webhooks as global_store
from chinwag.store import service_webhooks as service_store
from chinwag.store import services as services_store
from chinwag.store import sinks as sink_store
from chinwag.store import webhooks as webhook_store
from chinwag.store.global_webhooks import GlobalWebhookConfig
from chinwag.store.service_webhooks import ServiceWebhookConfig
from chinwag.store.sinks import Sink
from chinwag.store.webhooks import ScopedWebhook
from chinwag.twilio import sids

Orderable = ScopedWebhook | Sink | ServiceWebhookConfig | GlobalWebhookConfig


@dataclass(frozen=True)
class Ordering:
    sid: str  # what is ordered: WH…, DG…, IS… or AC…
    ordered: bool


def find_ordering(conn: Connection, account_sid: str, sid: str) -> Ordering | None:
    """Whether the account's webhook or sink `sid` is ordered; None when it has no such one."""
    found = _orderable(conn, account_sid, sid)
    return None if found is None else Ordering(sid, found[0].ordered)


def set_ordering(conn: Connection, account_sid: str, sid: str, ordered: bool) -> Ordering | None:
    """Order the account's webhook or sink `sid`, or stop; None when it has no such one.

    Deliveries queued from now on follow it: those already queued keep going as they
    were queued (a waiting one still waits its turn)."""
    found = _orderable(conn, account_sid, sid)
    if found is None:
        return None
    record, save = found
    if record.ordered != ordered:
        # Not a change to the Twilio resource: its date_updated stays.
        save(conn, replace(record, ordered=ordered))
    return Ordering(sid, ordered)


def _orderable(
    conn: Connection, account_sid: str, sid: str
) -> tuple[Orderable, Callable[[Connection, Any], None]] | None:
    """The record `sid` names in the account, and how it is saved."""
    if sids.is_sid(sid, sids.WEBHOOK):
        webhook = webhook_store.get_account_webhook(conn, account_sid, sid)
        return None if webhook is None else (webhook, webhook_store.save_webhook)
    if sids.is_sid(sid, sids.SINK):
        sink = sink_store.get_sink(conn, account_sid, sid)
        return None if sink is None else (sink, sink_store.save_sink)
    if sids.is_sid(sid, sids.SERVICE):
        service = services_store.get_service(conn, account_sid, sid)
        if service is None:
            return None
        return service_config(conn, service), service_store.save_config
    if sid == account_sid:
        return global_config(conn, account_sid), global_store.save_config
    return None
