"""The dashboard's own response headers: its own scripts and styles only, never framed,
never sniffed, never cached (but its static files), and no CORS (twilio/cors.py is the
API's).

`routes.add_ui` sets them on every response under the dashboard's paths as aiohttp
sends it (`on_response_prepare`), so redirects, errors, static files and the event
streams, which send their headers before their first event, all carry them.
"""

from aiohttp import web

# The templates have no inline script, style or event handler, and htmx is told not to
# add its indicator <style> nor to eval (base.html's htmx-config): nothing needs
# 'unsafe-inline'. The event streams are same-origin fetches (connect-src).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it a browser sends `Origin: null` on the sign-in POST, which
    # the sign-in's origin check (ui/origins.py) refuses.
    "Referrer-Policy": "same-origin",
}
# Pages, fragments and streams hold an account's data: never kept by a browser or proxy.
NOT_STORED = {"Cache-Control": "no-store"}


def add_headers(response: web.StreamResponse, static: bool) -> None:
    """The dashboard's headers on `response`; `static`: a file of static/, cacheable."""
    response.headers.update(HEADERS)
    if not static:
        response.headers.update(NOT_STORED)
