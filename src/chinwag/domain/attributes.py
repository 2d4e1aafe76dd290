"""`Attributes`: a string of structurally valid JSON, limited in size per resource.

Limits from twilio.com/docs/conversations/conversations-limits: conversations 16 KB,
messages and participants 4 KB; users 16 KB (twilio.com/docs/conversations/attributes).
Codes: errors/50304 (not JSON), errors/50303 (too long).
"""

import json

from chinwag.twilio.errors import AttributesNotJson, AttributesTooLong

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
        json.loads(value)
    except ValueError:
        raise AttributesNotJson(f"Attributes '{value}' is not valid JSON.") from None
