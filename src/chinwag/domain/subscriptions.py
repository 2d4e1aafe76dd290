"""Event Streams subscriptions: which event types go to which sink.

Rules from twilio.com/docs/events/event-streams/subscription and twilio-oai's
twilio_events_v1.json (`Types`: "An array of objects containing the subscribed Event
Types", each `{"type": ..., "schema_version": ...}` as the Webhook Quickstart sends
it); docs/compatibility.md, "Event Streams", lists chinwag's choices.
"""

import json
from dataclasses import replace

from sqlalchemy import Connection

from chinwag.domain import event_types
from chinwag.domain.event_schemas import LATEST_VERSION, VERSIONS
from chinwag.store import sinks as sink_store
from chinwag.store import subscriptions as store
from chinwag.store.subscriptions import SubscribedEvent, Subscription
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import InvalidParameter, TwilioError
from chinwag.twilio.forms import shown


def create_subscription(
    conn: Connection,
    account_sid: str,
    description: str | None,
    sink_sid: str | None,
    types: list[str] | None,
) -> Subscription:
    if description is None:
        raise InvalidParameter("Missing required parameter Description in the post body")
    if sink_sid is None:
        raise InvalidParameter("Missing required parameter SinkSid in the post body")
    if not types:
        raise InvalidParameter("Missing required parameter Types in the post body")
    subscribed = dict(parse_type(raw) for raw in types)  # a type named twice: the last
    # "Sink must be active for the subscription to be created" (spec, SinkSid); every
    # sink is (domain/sinks.py), so an unknown one is what fails here.
    found = (
        sink_store.get_sink(conn, account_sid, sink_sid)
        if sids.is_sid(sink_sid, sids.SINK)
        else None
    )
    if found is None:
        raise InvalidParameter(f"SinkSid '{shown(sink_sid)}' is not a sink of this account.")
    now = utc_now()
    subscription = Subscription(
        sid=sids.new_sid(sids.SUBSCRIPTION),
        account_sid=account_sid,
        sink_sid=found.sid,
        description=description,
        date_created=now,
        date_updated=now,
    )
    store.insert_subscription(conn, subscription)
    store.insert_events(
        conn,
        [
            SubscribedEvent(subscription.sid, account_sid, type_, version)
            for type_, version in subscribed.items()
        ],
    )
    return subscription


def parse_type(raw: str) -> tuple[str, int]:
    """One of `Types`: `{"type": "com.twilio...", "schema_version": 2}`; the version is
    the latest when left out."""
    try:
        given = json.loads(raw)
    except ValueError:
        given = None
    if not isinstance(given, dict) or not isinstance(given.get("type"), str):
        raise InvalidParameter(
            f'Types \'{shown(raw)}\' is not a JSON object with a "type" and a "schema_version".'
        )
    return checked_type(given["type"]), checked_version(given.get("schema_version"))


def checked_type(type_: str) -> str:
    if type_ not in event_types.BY_TYPE:
        raise InvalidParameter(
            f"Type '{shown(type_)}' is not an event type chinwag publishes (GET /v1/Types)."
        )
    return type_


def checked_version(version: object) -> int:
    """A schema version of the Conversations types (1 or 2); None: the latest."""
    if version is None:
        return LATEST_VERSION
    if isinstance(version, bool) or not isinstance(version, int) or version not in VERSIONS:
        raise InvalidParameter(
            f"SchemaVersion '{shown(str(version))}' is not one of: "
            f"{', '.join(str(v) for v in VERSIONS)}."
        )
    return version


def update_subscription(
    conn: Connection, subscription: Subscription, description: str | None
) -> Subscription:
    changed = subscription
    if description is not None:
        changed = replace(subscription, description=description)
    changed = replace(changed, date_updated=utc_now())
    store.save_subscription(conn, changed)
    return changed


def find_subscription(
    conn: Connection, account_sid: str, sid: str, missing: TwilioError
) -> Subscription:
    """The account's subscription `sid`; another account's is as missing as an unknown one."""
    valid = sids.is_sid(sid, sids.SUBSCRIPTION)
    found = store.get_subscription(conn, account_sid, sid) if valid else None
    if found is None:
        raise missing
    return found


def delete_subscription(conn: Connection, subscription: Subscription) -> None:
    store.delete_subscription(conn, subscription.sid)


def subscribe(
    conn: Connection, subscription: Subscription, type_: str | None, version: int | None
) -> tuple[SubscribedEvent, bool]:
    """Add a type to the subscription (SubscribedEvents create); one it has already gets
    the version given instead, answered 200 as the spec's `create200` example shows.
    Returns the type and whether it is new."""
    if type_ is None:
        raise InvalidParameter("Missing required parameter Type in the post body")
    event = SubscribedEvent(
        subscription.sid, subscription.account_sid, checked_type(type_), checked_version(version)
    )
    if store.get_event(conn, subscription.sid, event.type) is not None:
        store.set_event_version(conn, event)
        return event, False
    store.insert_events(conn, [event])
    return event, True


def find_event(
    conn: Connection, subscription: Subscription, type_: str, missing: TwilioError
) -> SubscribedEvent:
    found = store.get_event(conn, subscription.sid, type_)
    if found is None:
        raise missing
    return found


def set_version(conn: Connection, event: SubscribedEvent, version: int | None) -> SubscribedEvent:
    changed = replace(event, schema_version=checked_version(version))
    store.set_event_version(conn, changed)
    return changed


def unsubscribe(conn: Connection, event: SubscribedEvent) -> None:
    store.delete_event(conn, event.subscription_sid, event.type)
