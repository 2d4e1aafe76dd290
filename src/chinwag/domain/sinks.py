"""Event Streams sinks: where an account's subscribed events are delivered.

Rules from twilio.com/docs/events/event-streams/sink-resource (and its Test and
Validate pages) and twilio-oai's twilio_events_v1.json; docs/compatibility.md,
"Event Streams", lists each choice where Twilio says nothing:
- a webhook sink's `sink_configuration` is `{"destination", "method", "batch_events"}`;
  chinwag delivers to webhook sinks only, so it refuses the other types;
- "The status of Sinks is active by default" and "There is no longer a need for
  validating a Sink" (Sink Validate page): a sink is `active` from its creation;
- Test "creates a test event" sent to the sink; Validate "always returns a result
  property with a value of valid (to avoid disrupting existing customer workflows)".
"""

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from chinwag.domain.sink_events import queue_test_event
from chinwag.store import sinks as store
from chinwag.store.sinks import Sink
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import InvalidParameter, TwilioError
from chinwag.twilio.forms import shown
from chinwag.twilio.urls import NOT_A_URL, is_http_url

SINK_TYPES = ("kinesis", "webhook", "segment", "email")  # sink_enum_sink_type
DELIVERED_TYPE = "webhook"
METHODS = ("POST", "GET")  # "method": "<POST|GET>" (Webhook Quickstart)
ACTIVE = "active"
VALID = "valid"  # what Validate answers
SUBMITTED = "submitted"  # what Test answers (the spec's example)


def create_sink(
    conn: Connection,
    account_sid: str,
    description: str | None,
    sink_type: str | None,
    configuration: str | None,
) -> Sink:
    if description is None:
        raise InvalidParameter("Missing required parameter Description in the post body")
    if sink_type is None:
        raise InvalidParameter("Missing required parameter SinkType in the post body")
    if configuration is None:
        raise InvalidParameter("Missing required parameter SinkConfiguration in the post body")
    if sink_type not in SINK_TYPES:
        raise InvalidParameter(
            f"SinkType '{shown(sink_type)}' is not one of: {', '.join(SINK_TYPES)}."
        )
    if sink_type != DELIVERED_TYPE:
        raise InvalidParameter(
            f"SinkType '{sink_type}' is not delivered by chinwag: only webhook sinks are."
        )
    now = utc_now()
    sink = Sink(
        sid=sids.new_sid(sids.SINK),
        account_sid=account_sid,
        description=description,
        sink_type=sink_type,
        sink_configuration=webhook_configuration(configuration),
        status=ACTIVE,
        date_created=now,
        date_updated=now,
    )
    store.insert_sink(conn, sink)
    return sink


def webhook_configuration(text: str) -> dict[str, Any]:
    """A webhook sink's `SinkConfiguration` (JSON) as stored and shown: `destination`, an
    http(s) URL; `method`, POST (the default) or GET; `batch_events`, a JSON boolean,
    kept only when given. Other keys are left out."""
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict):
        raise InvalidParameter(f"SinkConfiguration '{shown(text)}' is not a JSON object.")
    destination = given.get("destination")
    if not isinstance(destination, str) or not is_http_url(destination):
        raise InvalidParameter(
            f"SinkConfiguration.destination '{shown(str(destination))}' {NOT_A_URL}"
        )
    method = given.get("method", "POST")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidParameter(
            f"SinkConfiguration.method '{shown(str(method))}' is not one of: POST, GET."
        )
    configuration: dict[str, Any] = {"destination": destination, "method": method.upper()}
    if "batch_events" in given:
        batch_events = given["batch_events"]
        if not isinstance(batch_events, bool):
            raise InvalidParameter(
                f"SinkConfiguration.batch_events '{shown(str(batch_events))}' is not true or false."
            )
        configuration["batch_events"] = batch_events
    return configuration


def update_sink(conn: Connection, sink: Sink, description: str | None) -> Sink:
    if description is None:
        raise InvalidParameter("Missing required parameter Description in the post body")
    changed = replace(sink, description=description, date_updated=utc_now())
    store.save_sink(conn, changed)
    return changed


def find_sink(conn: Connection, account_sid: str, sid: str, missing: TwilioError) -> Sink:
    """The account's sink `sid`; another account's is as missing as an unknown one."""
    found = store.get_sink(conn, account_sid, sid) if sids.is_sid(sid, sids.SINK) else None
    if found is None:
        raise missing
    return found


def delete_sink(conn: Connection, sink: Sink) -> None:
    """The sink and its subscriptions (Twilio does not say; chinwag's choice). Deliveries
    already queued for it are still sent."""
    store.delete_sink(conn, sink.sid)


def send_test_event(conn: Connection, sink: Sink) -> str:
    """Queue a test event to the sink; its `data.test_id` is what Validate takes."""
    queue_test_event(conn, sink)
    return SUBMITTED


def validate_sink(sink: Sink, test_id: str | None) -> str:
    if test_id is None:
        raise InvalidParameter("Missing required parameter TestId in the post body")
    return VALID
