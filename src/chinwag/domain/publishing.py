"""Publishing: a change's post-events become outbox rows (and recorded pushes), in the
change's own transaction.

`publish` for the events of a conversation (its scoped webhooks and the service-level
post-event webhook: the service's own or the account's global one, see
`service_webhooks.hooks_for`), `publish_service_event` for the user events, which
belong to no conversation, and `replay` for a new webhook's `ReplayAfter`. Who hears
what, and what a payload carries, is `domain/events.py`.
"""

from sqlalchemy import Connection

from chinwag.domain.events import Origin, envelope, webhook_wants
from chinwag.domain.pushes import record_pushes
from chinwag.domain.service_webhooks import hooks_for
from chinwag.domain.sink_events import queue_for_sinks
from chinwag.store import outbox
from chinwag.store import webhooks as webhook_store
from chinwag.store.changes import mark_changed
from chinwag.store.conversations import Conversation
from chinwag.store.webhooks import ScopedWebhook
from chinwag.twilio.dates import utc_now


def publish(
    conn: Connection,
    conversation: Conversation,
    event_type: str,
    params: list[tuple[str, str]],
    origin: Origin,
    *,
    message_body: str | None = None,
    message_index: int | None = None,
) -> int:
    """Queue post-event `event_type` for every webhook that wants it; returns how many.

    Runs inside the caller's write transaction, so the change and its deliveries
    commit together (the transactional outbox). `params` are the event's own
    parameters; `envelope` adds the ones every event carries, and the sender
    `RetryCount` on each attempt. `message_body` lets trigger webhooks match keywords;
    `message_index` says the change was to that message alone.
    """
    # Every change of a conversation passes here: connected client SDKs hear of it, and
    # the users' devices would be pushed to (recorded: domain/pushes.py), webhooks or not.
    mark_changed(conn, conversation.service_sid, conversation.sid, message_index)
    record_pushes(conn, conversation, event_type, params, origin)
    # Event Streams sinks hear of every change, header or not (domain/sink_events.py).
    queue_for_sinks(
        conn,
        conversation.account_sid,
        conversation.service_sid,
        conversation.sid,
        event_type,
        params,
    )
    if not origin.webhooks_enabled:
        return 0
    payload = _conversation_payload(conversation, event_type, params, origin)
    now = utc_now()
    queued = [
        outbox.NewDelivery.for_scoped(webhook, event_type, payload, now)
        for webhook in webhook_store.list_for_conversation(conn, conversation.sid)
        if webhook_wants(webhook, event_type, message_body)
    ]
    hooks = hooks_for(conn, conversation.account_sid, conversation.service_sid)
    url = hooks.post_url(event_type)
    if url is not None:
        queued.append(
            outbox.NewDelivery.for_service(
                account_sid=conversation.account_sid,
                service_sid=conversation.service_sid,
                conversation_sid=conversation.sid,
                url=url,
                method=hooks.method,
                event_type=event_type,
                params=payload,
                now=now,
                ordered=hooks.ordered,
            )
        )
    outbox.insert_deliveries(conn, queued)
    return len(queued)


def publish_service_event(
    conn: Connection,
    service_sid: str,
    account_sid: str,
    event_type: str,
    params: list[tuple[str, str]],
    origin: Origin,
) -> int:
    """Queue a post-event that belongs to no conversation (the user events); returns how many.

    Twilio sends these to the service-level (or global) webhook only: they carry no
    ConversationSid, so no conversation-scoped webhook can ask for them (docs/events.md).
    """
    queue_for_sinks(conn, account_sid, service_sid, None, event_type, params)
    if not origin.webhooks_enabled:
        return 0
    hooks = hooks_for(conn, account_sid, service_sid)
    url = hooks.post_url(event_type)
    if url is None:
        return 0
    delivery = outbox.NewDelivery.for_service(
        account_sid=account_sid,
        service_sid=service_sid,
        conversation_sid=None,
        url=url,
        method=hooks.method,
        event_type=event_type,
        params=envelope(event_type, account_sid, service_sid, None, params, origin),
        now=utc_now(),
    )
    outbox.insert_deliveries(conn, [delivery])
    return 1


def replay(
    conn: Connection,
    conversation: Conversation,
    webhook: ScopedWebhook,
    messages: list[tuple[list[tuple[str, str]], str | None]],
) -> int:
    """Queue onMessageAdded for earlier messages to one new webhook (`ReplayAfter`).

    `messages` are (event parameters, body) in index order; the rows are queued now,
    before any live event can be, and the worker sends one webhook's deliveries in
    order. The replay was asked for explicitly, so no header is needed for it.
    """
    now = utc_now()
    origin = Origin(source="API", webhooks_enabled=True)
    queued = [
        outbox.NewDelivery.for_scoped(
            webhook,
            "onMessageAdded",
            _conversation_payload(conversation, "onMessageAdded", params, origin),
            now,
        )
        for params, body in messages
        if webhook_wants(webhook, "onMessageAdded", body)
    ]
    outbox.insert_deliveries(conn, queued)
    return len(queued)


def _conversation_payload(
    conversation: Conversation, event_type: str, params: list[tuple[str, str]], origin: Origin
) -> list[tuple[str, str]]:
    return envelope(
        event_type,
        conversation.account_sid,
        conversation.service_sid,
        conversation.sid,
        params,
        origin,
    )
