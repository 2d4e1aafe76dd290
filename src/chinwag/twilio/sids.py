"""Twilio resource identifiers: a two-letter prefix and 32 hex digits."""

import re
import secrets

ACCOUNT = "AC"
API_KEY = "SK"
SERVICE = "IS"
CONVERSATION = "CH"
WEBHOOK = "WH"
FLOW = "FW"
MESSAGING_SERVICE = "MG"
PARTICIPANT = "MB"
ROLE = "RL"
MESSAGE = "IM"
USER = "US"
ADDRESS_CONFIGURATION = "IG"
RECEIPT = "DY"
BINDING = "BS"
CREDENTIAL = "CR"
MEDIA = "ME"
CONTENT = "HX"  # a Content template
PUSH = "RU"  # a recorded push notification: Twilio's pushes carry such a `twi_message_id`
SINK = "DG"  # an Event Streams sink
SUBSCRIPTION = "DF"  # an Event Streams subscription
STREAM_EVENT = "EV"  # a CloudEvent's `id` (chinwag's choice: docs/compatibility.md)


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def is_sid(value: str, prefix: str) -> bool:
    """True when `value` matches the spec's pattern `^{prefix}[0-9a-fA-F]{32}$`."""
    return len(value) == 34 and value.startswith(prefix) and _HEX32.fullmatch(value[2:]) is not None


_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
