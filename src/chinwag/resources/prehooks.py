"""REST's way to ask the pre-event webhook: operations/prehooks.py with the request's
database, sender and actor (webhooks only with `X-Twilio-Webhook-Enabled: true`)."""

from aiohttp import web

from chinwag.operations import prehooks
from chinwag.operations.addressing import ConversationRef, ServiceRef
from chinwag.operations.prehooks import Describe, DescribeNew, Params
from chinwag.request_context import database, sender
from chinwag.resources.common import actor


async def pre_event(
    request: web.Request,
    addressed: ServiceRef | ConversationRef,
    event_type: str,
    params: Params | Describe | DescribeNew,
    allowed: frozenset[str],
) -> dict[str, str]:
    """Ask the service's pre-event webhook about the request's change; its allowed changes.
    Raises Forbidden when it rejects the change (operations/prehooks.pre_event)."""
    return await prehooks.pre_event(
        database(request), sender(request), actor(request), addressed, event_type, params, allowed
    )
