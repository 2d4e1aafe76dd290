"""Holding a URL chinwag will call to `--deny-private-targets`, before anything is written.

A webhook's URL (REST's webhook resources) and an inbound message's `MediaUrl`
(operations/inbound.py) are refused when their host is, or resolves to, a private
address, or does not resolve (delivery/target_guard.py).
"""

from collections.abc import Callable

from chinwag.delivery.target_guard import DeniedTarget, check_url
from chinwag.twilio.errors import TwilioError
from chinwag.twilio.forms import shown
from chinwag.twilio.urls import is_http_url


async def refuse_private_target(
    name: str, url: str | None, refuse: Callable[[str], TwilioError]
) -> None:
    """Raise `refuse(message)` (each resource's code) when `url`'s host is private or
    does not resolve. Done before the write: resolving a name must not hold the
    database. A URL that is no http(s) URL is left to the domain's validation, which
    refuses it unresolved."""
    if not url or not is_http_url(url):
        return
    try:
        await check_url(url)
    except DeniedTarget as denied:
        raise refuse(
            f"{name} '{shown(url)}' is refused by --deny-private-targets: {denied}."
        ) from None
