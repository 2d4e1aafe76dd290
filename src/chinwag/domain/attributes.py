"""`Attributes`: a string of structurally valid JSON, limited in size per resource.

Limits from twilio.com/docs/conversations/conversations-limits: conversations 16 KB,
messages and participants 4 KB; users 16 KB (twilio.com/docs/conversations/attributes).
Codes: errors/50304 (not JSON), errors/50303 (too long). JSON here is RFC 8259's:
no NaN or Infinity, and at most `json_text.MAX_DEPTH` levels deep (twilio/json_text.py).
"""

from chinwag.twilio.errors import AttributesNotJson, AttributesTooLong
from chinwag.twilio.forms import shown
from chinwag.twilio.json_text import NotJson, parse_json

CONVERSATION_LIMIT = 16 * 1024
MESSAGE_LIMIT = 4 * 1024
PARTICIPANT_LIMIT = 4 * 1024
USER_LIMIT = 16 * 1024


def check_attributes(value: str | None, limit: int) -> None:
    if not value:
        return
    if len(value.encode("utf-8")) > limit:
        raise AttributesTooLong(f"Attributes is longer than {limit} bytes.")
    try:
        parse_json(value)
    except NotJson as refused:
        raise AttributesNotJson(
            f"Attributes '{shown(value)}' is not valid JSON: {refused}."
        ) from None
