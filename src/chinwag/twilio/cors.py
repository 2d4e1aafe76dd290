"""CORS headers carried by every REST response (the dashboard's carry none: ui/headers.py).

Any origin may call the API from a browser, with its own `Authorization` header or, on
the media routes, the client SDK's `X-Twilio-Token` (a front-end served from another
origin uploads and reads media there); none may send the browser's credentials
(cookies, a remembered Basic login) along: a wildcard origin with
`Access-Control-Allow-Credentials: true` would let any site act with them. So the
spec's `Access-Control-Allow-Credentials` header is not sent.
"""

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",  # PATCH: /v1/Webhooks
    "Access-Control-Allow-Headers": (
        "Content-Type, Authorization, X-Twilio-Token, X-Twilio-Webhook-Enabled, "
        "I-Twilio-Idempotency-Token"
    ),
    "Access-Control-Expose-Headers": "ETag, Twilio-Request-Id",
}
