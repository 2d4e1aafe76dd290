"""Sending one webhook request: the only place that talks HTTP to receivers.

Twilio calls Conversations webhooks with a 5-second timeout
(twilio.com/docs/conversations/conversations-webhooks), unless a Webhook Setting's
`connection` gives others (delivery/url_settings.py).
"""

import contextlib
import errno
import functools
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import quote_plus

import aiohttp
from yarl import URL

from chinwag.delivery.signing import (
    SETTINGS_HEADER,
    SharedKeySigning,
    sign_request,
    with_body_hash,
    without_fragment,
)
from chinwag.delivery.target_guard import (
    DENIED_ERROR,
    DeniedTarget,
    GuardedResolver,
    check_literal,
)
from chinwag.twilio.urls import NOT_A_URL, is_http_url, masked_url

TIMEOUT_SECONDS = 5.0
USER_AGENT = "TwilioProxy/1.1"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"
RESPONSE_EXCERPT = 1024
# The error class of an attempt whose URL is none chinwag would accept today (one stored
# before the rule refused control characters and whitespace): nothing is sent.
INVALID_URL_ERROR = "invalid_url"
CONNECT_TIMEOUT_ERROR = "connect_timeout"

logger = logging.getLogger("chinwag.delivery")

# Most names and many values (SIDs, event types, sources) recur in every delivery.
_quoted = functools.lru_cache(maxsize=4096)(quote_plus)


def form_encoded(params: list[tuple[str, str]]) -> str:
    """`urllib.parse.urlencode(params)`, character for character, quoting each recurring
    string once."""
    return "&".join(_quoted(str(name)) + "=" + _quoted(str(value)) for name, value in params)


@dataclass(frozen=True)
class Timeouts:
    """A Webhook Setting's `connection` timeouts, in seconds (aiohttp's units)."""

    connect: float
    read: float
    total: float | None  # None: bounded by `connect` and `read` alone


@dataclass(frozen=True)
class OutboundRequest:
    url: str
    method: str  # "GET" or "POST"
    params: list[tuple[str, str]]
    auth_token: str
    idempotency_token: str
    read_limit: int = RESPONSE_EXCERPT  # how much of the answer to keep
    body: str | None = None  # JSON (a sink's CloudEvents), sent instead of `params`
    # From the Webhook Setting the URL's Rule picks (delivery/url_settings.py), if any.
    shared_key: SharedKeySigning | None = None  # signs instead of the auth token
    timeouts: Timeouts | None = None  # instead of TIMEOUT_SECONDS

    def prepared(self) -> tuple[str, dict[str, str], bytes | None]:
        """The URL, headers and body to send, signed."""
        url = without_fragment(self.url)
        headers = {"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": self.idempotency_token}
        if self.body is not None:  # with its method, GET too: a sink has no other way
            url = with_body_hash(url, self.body)
            headers["Content-Type"] = JSON_CONTENT_TYPE
            self._sign(headers, url, [])
            return url, headers, self.body.encode("utf-8")
        if self.method == "GET":
            url += ("&" if "?" in url else "?") + form_encoded(self.params)
            self._sign(headers, url, [])
            return url, headers, None
        headers["Content-Type"] = FORM_CONTENT_TYPE
        self._sign(headers, url, self.params)
        return url, headers, form_encoded(self.params).encode("utf-8")

    def _sign(self, headers: dict[str, str], url: str, form: list[tuple[str, str]]) -> None:
        key = self.shared_key
        if key is None:
            headers["X-Twilio-Signature"] = sign_request(self.auth_token, url, form)
            return
        headers["X-Twilio-Signature"] = sign_request(key.secret, url, form, key.algorithm)
        headers[SETTINGS_HEADER] = key.settings_header


@dataclass(frozen=True)
class SendResult:
    status: int | None  # None: no HTTP response
    error: str | None  # the error class for network failures
    body_excerpt: str = ""
    retry_after: float | None = None  # seconds, from a Retry-After header
    permanent: bool = False  # no retry can cure it (a refused target)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    async def send(self, request: OutboundRequest) -> SendResult: ...


def retry_after_seconds(retry_after: str | None) -> float | None:
    """Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3); None if absent or bad."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after.strip())
    try:
        when = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


async def _read_up_to(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most `limit` bytes of the body; the rest is left unread."""
    chunks, size = [], 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class HttpSender:
    """aiohttp's pooled client; library errors are mapped to a short error class here, once:
    `timeout`, `connect_timeout` (a Setting's `connectTimeoutMs`), `connection_refused`,
    `connection_reset` (closed or reset before an answer), `dns`, `connect` (other
    connection failures), `denied_private_target`, `invalid_url`
    (nothing sent: see `INVALID_URL_ERROR`), else the aiohttp exception's name.

    Made by `http_sender`, which gives it its session.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        deny_private_targets: bool,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._session = session
        self._deny_private_targets = deny_private_targets
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, request: OutboundRequest) -> SendResult:
        if not is_http_url(request.url):  # never on the wire: a CR or LF would split it
            return _invalid(request.url)
        url, headers, body = request.prepared()
        timeout = self._timeout
        if request.timeouts is not None:
            given = request.timeouts
            timeout = aiohttp.ClientTimeout(
                total=given.total, sock_connect=given.connect, sock_read=given.read
            )
        try:
            if self._deny_private_targets:  # aiohttp never resolves an IP literal
                check_literal(URL(url, encoded=True).raw_host or "")
            async with self._session.request(
                request.method,
                URL(url, encoded=True),  # send exactly the URL that was signed
                headers=headers,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                # Twilio's captured request has Accept: */* and no Accept-Encoding (events.md C1)
                skip_auto_headers=("Accept-Encoding",),
            ) as response:
                excerpt = (await _read_up_to(response, request.read_limit)).decode(
                    "utf-8", "replace"
                )
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                return SendResult(response.status, None, excerpt, retry_after)
        except DeniedTarget as denied:
            return _denied(url, denied)
        except aiohttp.ConnectionTimeoutError:  # a Setting's connectTimeoutMs ran out
            return SendResult(None, CONNECT_TIMEOUT_ERROR)
        except TimeoutError:
            return SendResult(None, "timeout")
        except aiohttp.ClientError as error:
            if isinstance(error, aiohttp.ClientConnectorError) and isinstance(
                error.os_error, DeniedTarget
            ):
                return _denied(url, error.os_error)
            return SendResult(None, _error_class(error))


def _error_class(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, socket.gaierror):
            return "dns"
        refused = isinstance(error.os_error, ConnectionRefusedError)
        return "connection_refused" if refused else "connect"
    if isinstance(error, aiohttp.ServerDisconnectedError) or (
        isinstance(error, aiohttp.ClientOSError) and error.errno == errno.ECONNRESET
    ):
        return "connection_reset"
    return type(error).__name__


def _denied(url: str, denied: DeniedTarget) -> SendResult:
    logger.warning("target refused", extra={"url": masked_url(url), "reason": str(denied)})
    return SendResult(None, DENIED_ERROR, permanent=True)


def _invalid(url: str) -> SendResult:
    reason = f"the URL {NOT_A_URL}"
    logger.warning("target refused", extra={"url": masked_url(url), "reason": reason})
    return SendResult(None, INVALID_URL_ERROR, permanent=True)


@contextlib.asynccontextmanager
async def http_sender(deny_private_targets: bool = False) -> AsyncIterator[HttpSender]:
    """An HttpSender on its own pooled session, closed on exit.

    With `deny_private_targets` (--deny-private-targets) the session's resolver refuses
    names that resolve to private addresses and the sender refuses such IP literals.
    """
    guarded = aiohttp.TCPConnector(resolver=GuardedResolver()) if deny_private_targets else None
    async with aiohttp.ClientSession(connector=guarded) as session:
        yield HttpSender(session, deny_private_targets)
