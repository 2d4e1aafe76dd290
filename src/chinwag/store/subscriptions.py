"""Event Streams subscriptions of an account, the event types each subscribes to, and
which sinks want an event of a type."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select, update

from chinwag.store import compiled
from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.sinks import SINK_COLUMNS, Sink, sink_from_row
from chinwag.store.tables import sinks, subscribed_events, subscriptions
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Subscription:
    sid: str
    account_sid: str
    sink_sid: str
    description: str
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class SubscribedEvent:
    subscription_sid: str
    account_sid: str
    type: str
    schema_version: int


_SUBSCRIPTIONS = RecordMapper(
    subscriptions, Subscription, fixed={"sid", "account_sid", "sink_sid", "date_created"}
)
_LIST = select(*_SUBSCRIPTIONS.columns).where(
    subscriptions.c.account_sid == bindparam("account_sid")
)
_GET = _LIST.where(subscriptions.c.sid == bindparam("sid"))
_DELETE = delete(subscriptions).where(subscriptions.c.sid == bindparam("sid"))

_EVENTS = RecordMapper(subscribed_events, SubscribedEvent)
_EVENTS_OF = select(*_EVENTS.columns).where(
    subscribed_events.c.subscription_sid == bindparam("subscription_sid")
)
_EVENT = _EVENTS_OF.where(subscribed_events.c.type == bindparam("type"))
_EVENT_VERSION = (
    update(subscribed_events)
    .where(
        subscribed_events.c.subscription_sid == bindparam("match_subscription"),
        subscribed_events.c.type == bindparam("match_type"),
    )
    .values(schema_version=bindparam("version"))
)
_DELETE_EVENT = delete(subscribed_events).where(
    subscribed_events.c.subscription_sid == bindparam("subscription_sid"),
    subscribed_events.c.type == bindparam("type"),
)
# The account's active sinks subscribed to a type, with the schema version asked for;
# oldest sink first, so that one transaction's deliveries are queued in a stable order.
_SUBSCRIBERS = (
    select(*SINK_COLUMNS, subscribed_events.c.schema_version)
    .join(subscriptions, subscriptions.c.sink_sid == sinks.c.sid)
    .join(subscribed_events, subscribed_events.c.subscription_sid == subscriptions.c.sid)
    .where(
        subscribed_events.c.account_sid == bindparam("account_sid"),
        subscribed_events.c.type == bindparam("type"),
        sinks.c.status == "active",
    )
    .order_by(sinks.c.id, subscribed_events.c.schema_version.desc())
)


def insert_subscription(conn: Connection, subscription: Subscription) -> None:
    _SUBSCRIPTIONS.insert(conn, subscription)


def save_subscription(conn: Connection, subscription: Subscription) -> None:
    _SUBSCRIPTIONS.save(conn, subscription)


def get_subscription(conn: Connection, account_sid: str, sid: str) -> Subscription | None:
    row = conn.execute(_GET, {"account_sid": account_sid, "sid": sid}).first()
    return _SUBSCRIPTIONS.from_row(row) if row else None


def list_subscriptions(
    conn: Connection, account_sid: str, request: PageRequest, sink_sid: str | None = None
) -> Page:
    query = _LIST.params(account_sid=account_sid)
    if sink_sid is not None:
        query = query.where(subscriptions.c.sink_sid == sink_sid)
    return fetch_page(conn, query, subscriptions.c.id, request, _SUBSCRIPTIONS.from_row)


def delete_subscription(conn: Connection, sid: str) -> None:
    """The subscription and (by their foreign key) its types."""
    conn.execute(_DELETE, {"sid": sid})


def insert_events(conn: Connection, events: list[SubscribedEvent]) -> None:
    _EVENTS.insert_all(conn, events)


def get_event(conn: Connection, subscription_sid: str, type_: str) -> SubscribedEvent | None:
    row = conn.execute(_EVENT, {"subscription_sid": subscription_sid, "type": type_}).first()
    return _EVENTS.from_row(row) if row else None


def set_event_version(conn: Connection, event: SubscribedEvent) -> None:
    params = {"match_subscription": event.subscription_sid, "match_type": event.type}
    conn.execute(_EVENT_VERSION, {**params, "version": event.schema_version})


def delete_event(conn: Connection, subscription_sid: str, type_: str) -> None:
    conn.execute(_DELETE_EVENT, {"subscription_sid": subscription_sid, "type": type_})


def list_events(conn: Connection, subscription_sid: str, request: PageRequest) -> Page:
    query = _EVENTS_OF.params(subscription_sid=subscription_sid)
    return fetch_page(conn, query, subscribed_events.c.id, request, _EVENTS.from_row)


def subscribers(conn: Connection, account_sid: str, type_: str) -> list[tuple[Sink, int]]:
    """The account's active sinks that subscribe to `type_`, each once, with the schema
    version it asked for (the highest, when two of its subscriptions name the type)."""
    found: dict[str, tuple[Sink, int]] = {}
    # Compiled (store/compiled.py): every published event asks, sinks or none.
    for row in compiled.rows(conn, _SUBSCRIBERS, {"account_sid": account_sid, "type": type_}):
        sink = sink_from_row(row[:-1])
        found.setdefault(sink.sid, (sink, row[-1]))
    return list(found.values())
