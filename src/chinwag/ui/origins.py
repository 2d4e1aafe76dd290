"""Which origin a dashboard request says it came from, and whether that is this server.

Browsers send `Origin` with every cross-origin POST (and same-origin ones), so a
sign-in form posted from another site is told from ours: login CSRF, signing a victim
in as the attacker, is refused. This server's own origin is what a browser uses to
reach it: the request's scheme and `Host`, the scheme https too where a TLS proxy says
so (`X-Forwarded-Proto: https`), or `--public-url` (request_context.base_url). A page
can set neither `Host` nor `X-Forwarded-Proto` on a form it posts, so trusting them
here lets no other site through; nor does it let a client drop `Secure` (`is_https`
only ever adds it).
"""

from aiohttp import web
from yarl import URL

from chinwag.request_context import base_url

Origin = tuple[str, str, int | None]  # scheme, host, port (the scheme's default if none)


def _forwarded_https(request: web.Request) -> bool:
    """A TLS proxy in front says the browser used https (its first hop, if it lists more)."""
    proto = request.headers.get("X-Forwarded-Proto", "")
    return proto.split(",")[0].strip().lower() == "https"


def is_https(request: web.Request) -> bool:
    """The browser reached this server over HTTPS: TLS here, a TLS proxy in front, or a
    `--public-url` that is https."""
    return base_url(request).startswith("https://") or _forwarded_https(request)


def _origin(url: str) -> Origin | None:
    try:
        parsed = URL(url)
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    return (parsed.scheme, parsed.host.lower(), parsed.port)


def own_origins(request: web.Request) -> set[Origin]:
    schemes = {request.scheme, "https"} if _forwarded_https(request) else {request.scheme}
    named = [f"{scheme}://{request.host}" for scheme in schemes] + [base_url(request)]
    return {found for url in named if (found := _origin(url)) is not None}


def is_cross_origin(request: web.Request) -> bool:
    """The request's `Origin`, or without one its `Referer`, names another origin than
    this server's (`Origin: null` too). Neither header: not a browser's cross-origin
    POST, which always carries `Origin`; a script or `curl` may sign in."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return False
    return _origin(claimed) not in own_origins(request)
