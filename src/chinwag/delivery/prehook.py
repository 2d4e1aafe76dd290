"""Pre-event webhooks: asked before a change, and able to stop or modify it.

Twilio calls the service's PreWebhookUrl synchronously: a 4xx or 5xx answer
rejects the action; a 200 with `{}` or an empty body lets it through unchanged;
a 200 with JSON changes it (`body`, `author`, `attributes` for messages,
`friendly_name` for conversations); no answer within 5 seconds lets it through
unchanged (twilio.com/docs/conversations/conversations-webhooks).

Twilio's table names only "HTTP 40x" and "HTTP 50x" as rejections. chinwag follows
no redirect (delivery/sender.py), so a 3xx (or any other status outside 2xx, 4xx and
5xx) leaves it without a usable answer: the change goes through unchanged, as with
no answer, never rejected (docs/compatibility.md "Pre-event webhook").
"""

import logging
from dataclasses import dataclass, field

from chinwag.delivery.sender import OutboundRequest, Sender
from chinwag.twilio.json_text import NotJson, parse_json
from chinwag.twilio.urls import masked_url

logger = logging.getLogger("chinwag.prehook")
MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class Verdict:
    rejected_with: int | None = None  # the receiver's HTTP status when it said no
    changes: dict[str, str] = field(default_factory=dict)


async def ask_pre_hook(
    sender: Sender, request: OutboundRequest, allowed: frozenset[str]
) -> Verdict:
    """Call the pre-event webhook; only the `allowed` fields of a JSON answer are taken."""
    result = await sender.send(request)
    if result.status is None:
        logger.warning(
            "pre-event webhook gave no answer; the change goes through",
            extra={"url": masked_url(request.url), "error": result.error},
        )
        return Verdict()
    if 400 <= result.status < 600:
        return Verdict(rejected_with=result.status)
    if not result.ok:
        logger.warning(
            "pre-event webhook answered neither 2xx, 4xx nor 5xx (a redirect is not "
            "followed); the change goes through",
            extra={"url": masked_url(request.url), "status": result.status},
        )
        return Verdict()
    try:
        answer = parse_json(result.body_excerpt) if result.body_excerpt.strip() else {}
    except NotJson:  # malformed, too deep or NaN: taken as no changes, like any non-JSON
        return Verdict()
    if not isinstance(answer, dict):
        return Verdict()
    return Verdict(changes={k: str(v) for k, v in answer.items() if k in allowed and v is not None})
