"""Event Streams publishing: a post-event becomes CloudEvents in the outbox, in the change's
own transaction, for every active sink of the account subscribed to its type.

`domain/publishing.py` calls `queue_for_sinks` for every post-event, whoever made the
change: the `X-Twilio-Webhook-Enabled` header governs webhooks, not Event Streams
(docs/compatibility.md). A sink's deliveries are outbox rows like a webhook's
(`store/outbox.NewDelivery.for_sink`): the same worker sends them, with the same
retries, attempt log, redelivery and metrics.

Batching: a sink with `batch_events` gets the events one transaction queues for it in
one request (up to `cloud_events.MAX_BATCH`); the open batch of each sink is kept in the
connection's `info` for the transaction that opened it, and grows by rewriting the
row it already queued. A sink without `batch_events` gets one event per request.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from chinwag.domain import cloud_events, event_types
from chinwag.store import outbox
from chinwag.store import subscriptions as subscription_store
from chinwag.store.database import unit_of_work
from chinwag.store.sinks import Sink
from chinwag.twilio.dates import utc_now

_OPEN_BATCHES = "chinwag.sink_batches"  # in the connection's `info`


@dataclass
class _Batch:
    token: str  # the delivery row queued for it
    events: list[dict[str, Any]] = field(default_factory=list)


def queue_for_sinks(
    conn: Connection,
    account_sid: str,
    service_sid: str,
    conversation_sid: str | None,
    webhook_event: str,
    params: list[tuple[str, str]],
) -> int:
    """Queue the CloudEvent of post-event `webhook_event` (its own `params`) for each sink
    subscribed to its type; returns how many sinks it goes to."""
    event_type = event_types.for_webhook_event(webhook_event)
    if event_type is None:  # onDeliveryUpdated: not an Event Streams type
        return 0
    subscribed = subscription_store.subscribers(conn, account_sid, event_type.type)
    now = utc_now()
    for sink, schema_version in subscribed:
        event = cloud_events.conversations_event(
            event_type, schema_version, account_sid, service_sid, conversation_sid, params, now
        )
        _queue(conn, sink, service_sid, conversation_sid, event, now)
    return len(subscribed)


def queue_test_event(conn: Connection, sink: Sink) -> str:
    """Queue a sink's test event (POST /v1/Sinks/{Sid}/Test); returns its TestId."""
    now = utc_now()
    event = cloud_events.sink_test_event(sink.sid, now)
    body = cloud_events.encode([event])
    delivery = outbox.NewDelivery.for_sink(sink, None, None, event["type"], body, now)
    outbox.insert_deliveries(conn, [delivery])
    return str(event["id"])


def _queue(
    conn: Connection,
    sink: Sink,
    service_sid: str,
    conversation_sid: str | None,
    event: dict[str, Any],
    now: datetime,
) -> None:
    batches = _open_batches(conn)
    batch = batches.get(sink.sid)
    if batch is not None and len(batch.events) < cloud_events.batch_size(sink.batch_events):
        batch.events.append(event)
        body, summary = cloud_events.encode(batch.events), cloud_events.summary_type(batch.events)
        outbox.rewrite_batch(conn, batch.token, body, summary)
        return
    body = cloud_events.encode([event])
    delivery = outbox.NewDelivery.for_sink(
        sink, service_sid, conversation_sid, event["type"], body, now
    )
    outbox.insert_deliveries(conn, [delivery])
    if sink.batch_events:
        batches[sink.sid] = _Batch(delivery.token, [event])


def _open_batches(conn: Connection) -> dict[str, _Batch]:
    """This unit of work's open batches by sink SID; a batch of an earlier unit (committed
    or rolled back) is never reopened."""
    unit = unit_of_work(conn)
    held = conn.info.get(_OPEN_BATCHES)
    if held is None or held[0] is not unit:
        held = (unit, {})
        conn.info[_OPEN_BATCHES] = held
    batches: dict[str, _Batch] = held[1]
    return batches
