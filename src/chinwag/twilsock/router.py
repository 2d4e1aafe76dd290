"""Tunnelled requests: a `message` frame's `http_request`, matched to an endpoint by path.

Host names in tunnelled requests (`aim.us1.twilio.com`, `cds.us1.twilio.com`) are
labels, not hosts to reach: only the path decides (docs/client-sdk.md). Pure.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from chinwag.twilio.errors import InvalidParameter
from chinwag.twilsock.framing import Frame

NUL = "\x00"


@dataclass(frozen=True)
class TunnelledRequest:
    method: str
    host: str
    path: str
    params: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""

    def json(self) -> dict[str, Any]:
        """A JSON body (the SDK's writes), or a form (the typing indicator), as a dict."""
        if not self.body:
            return {}
        content_type = str(self.headers.get("Content-Type", ""))
        try:
            if content_type.startswith("application/x-www-form-urlencoded"):
                return dict(parse_qsl(self.body.decode("utf-8")))
            found = json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            raise InvalidParameter("The request body is neither JSON nor a UTF-8 form.") from None
        return found if isinstance(found, dict) else {}

    def text(self, name: str) -> str | None:
        """The body's field `name`, which must be a string (or null) when given, and hold
        no NUL (PostgreSQL text cannot, as a REST form value cannot: twilio/forms.py)."""
        value = self.json().get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidParameter(f"{name} must be a string, not {json.dumps(value)[:40]}.")
        if value is not None and NUL in value:
            raise InvalidParameter(f"{name} holds a NUL character.")
        return value


@dataclass(frozen=True)
class Route:
    endpoint: str
    args: dict[str, str] = field(default_factory=dict)


def tunnelled_request(frame: Frame) -> TunnelledRequest:
    """The HTTP request a `message` frame carries. twilsock sends query parameters
    split but not decoded (`src/services/upstream.ts` parseUri), so they are decoded here."""
    http = frame.header.get("http_request") or {}
    if not isinstance(http, dict):
        raise InvalidParameter("http_request must be a JSON object.")
    raw_params = http.get("params") or {}
    if not isinstance(raw_params, dict) or not isinstance(http.get("headers") or {}, dict):
        raise InvalidParameter("http_request.params and .headers must be JSON objects.")
    params = {
        unquote(str(key)): unquote(str((value or [""])[-1] if isinstance(value, list) else value))
        for key, value in raw_params.items()
    }
    path = "/" + str(http.get("path", "")).lstrip("/")
    if NUL in path or any(NUL in key + value for key, value in params.items()):
        raise InvalidParameter("The request's path or parameters hold a NUL character.")
    return TunnelledRequest(
        method=str(http.get("method", "GET")).upper(),
        host=str(http.get("host", "")),
        path=path,
        params=params,
        headers=http.get("headers") or {},
        body=frame.payload,
    )


_SID = r"(?P<{}>[^/]+)"


def _names(pattern: str) -> dict[str, str]:
    return {name: _SID.format(name) for name in re.findall(r"{(\w+)}", pattern)}


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile("^" + pattern.format(**_names(pattern)) + "$"), endpoint)
    for method, pattern, endpoint in [
        ("GET", "/Client/v2/Configuration", "configuration"),
        ("GET", "/Client/v2/Me/Conversations", "my_conversations"),
        ("GET", "/Client/v2/Me/Conversations/{conversation}", "my_conversation"),
        ("POST", "/Client/v2/Me/Conversations/{conversation}", "update_my_conversation"),
        ("GET", "/Client/v2/Conversations/{conversation}", "conversation"),
        ("POST", "/Client/v2/Conversations/{conversation}", "update_conversation"),
        ("POST", "/Client/v2/Conversations", "create_conversation"),
        ("DELETE", "/Client/v2/Conversations/{conversation}", "delete_conversation"),
        (
            "POST",
            "/Client/v2/Conversations/{conversation}/Participants/{participant}",
            "update_participant",
        ),
        ("POST", "/Client/v2/Users/{identity}", "update_user"),
        ("POST", "/Client/v2/Conversations/{conversation}/Messages", "send_message"),
        ("POST", "/Client/v2/Conversations/{conversation}/Messages/{message}", "update_message"),
        ("DELETE", "/Client/v2/Conversations/{conversation}/Messages/{message}", "remove_message"),
        ("POST", "/Client/v2/Conversations/{conversation}/Participants", "join"),
        ("DELETE", "/Client/v2/Conversations/{conversation}/Participants/{participant}", "leave"),
        ("GET", "/Client/v2/Users/{identity}", "user"),
        (
            "GET",
            "/Client/v2/Conversations/{conversation}/Messages/{message}/Receipts",
            "message_receipts",
        ),
        ("GET", "/Client/v2/Conversations/{conversation}/MessageRecipients", "message_recipients"),
        ("GET", "/Client/v2/ContentTemplates", "content_templates"),
        ("POST", "/Client/v2/Indicators/Typing", "typing"),
        ("GET", "/v3/{kind}/{object}", "sync_object"),
        ("GET", "/v3/{kind}/{object}/Items", "sync_items"),
        ("POST", "/v4/Subscriptions", "subscriptions"),
        # Push registration (host ers.us1.twilio.com): twilsock/push_api.py
        ("POST", "/v1/registrations", "register_push"),
        ("DELETE", "/v1/registrations", "unregister_push_device"),
        ("DELETE", "/v1/registrations/{registration}", "unregister_push"),
    ]
]


def route(request: TunnelledRequest) -> Route | None:
    """The endpoint for a tunnelled request, with its path's parts decoded; None if none."""
    for method, pattern, endpoint in ROUTES:
        matched = pattern.match(request.path)
        if matched and method == request.method:
            return Route(endpoint, {k: unquote(v) for k, v in matched.groupdict().items()})
    return None
