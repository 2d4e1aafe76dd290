"""Webhook and callback URLs: which ones chinwag takes, and how a log line shows one.

`is_http_url` is the one rule for every URL a request gives chinwag to call or fetch
(a conversation-scoped webhook's `Configuration.Url`, the service and global
`PreWebhookUrl`/`PostWebhookUrl`, an Address Configuration's `AutoCreation.WebhookUrl`,
an inbound `MediaUrl`) and for the sender, which puts no other URL on the wire (one
stored before the rule was this strict fails its attempt instead).

`masked_url` is what every log line shows of such a URL: a password in it is not
written out, and no character of it can break the line.
"""

import re
from urllib.parse import quote, urlsplit

from yarl import URL

SCHEMES = ("http", "https")
# What an error message says of a refused URL, after quoting it.
NOT_A_URL = "is not an absolute http(s) URL without control characters or whitespace."
MASK = "***"
# C0 controls (CR, LF, TAB, NUL...), DEL, C1 controls, and every Unicode whitespace
# (`\s`: the space, NBSP, U+2028...). urlsplit silently drops TAB, CR and LF (and strips
# leading spaces and controls), so a URL holding them passed a check made with it alone,
# was stored, forged a line in the text log and sent raw spaces into the request line.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\s]")
# The scheme, then the authority: up to the first "/", "?" or "#" (RFC 3986 3.2).
_AUTHORITY = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)")


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host and, if any, a port from 0 to 65535, without a
    control character or whitespace anywhere, that both urllib and yarl (which aiohttp
    sends with) can parse.

    urlsplit raises for "http://[::1" and the port check for "http://a:99999/": both
    are refused here, before they are stored as a URL no delivery could use.
    """
    if _UNSAFE.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - read for its check
        URL(value)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.hostname)


def masked_url(url: str) -> str:
    """`url` for a log line: its password as `***` (`https://user:***@host/path`), and each
    control or whitespace character percent-encoded (a stored URL from before
    `is_http_url` refused them must not start a forged log line).

    The password is what lies between the first ":" of the user information and the
    last "@" of the authority, as urllib and yarl read it. Only logs use this: a webhook
    is signed and sent with its URL as given.
    """
    url = _UNSAFE.sub(lambda found: quote(found.group(), safe=""), url)
    match = _AUTHORITY.match(url)
    if match is None:
        return url
    userinfo, at, host = match["authority"].rpartition("@")
    user, colon, _ = userinfo.partition(":")
    if not (at and colon):
        return url
    return f"{match['head']}{user}:{MASK}@{host}{url[match.end() :]}"
