"""Media: chinwag's own media store, /chinwag/v1/Services/{ChatServiceSid}/Media.

It stands in for Twilio's Media Content Service (`mcs.us1.twilio.com/v1/Services/
{ChatServiceSid}/Media`, twilio.com/docs/conversations/api/media-resource), which
Twilio's helper libraries do not wrap either: an app uploads with plain HTTP, then
passes the `ME` SID as `MediaSid` when it creates a message. How an upload's body is
read (raw or multipart, bounded, into a temporary file) is uploads.py.

The content is served on the dashboard's origin, so never as a page of it: every
medium comes with `X-Content-Type-Options: nosniff` and a sandboxing CSP, and a type a
browser would run or render actively (HTML, SVG, XML, scripts, anything not known to
be passive) as a download (domain/media.py `shown_inline`).
"""

from contextlib import aclosing
from typing import Any
from urllib.parse import quote

from aiohttp import hdrs, web
from sqlalchemy import Connection

from chinwag.domain import media as domain
from chinwag.request_context import base_url, database
from chinwag.resources.addressing import in_service
from chinwag.resources.common import json_response
from chinwag.resources.uploads import read_upload
from chinwag.store.media import Medium
from chinwag.store.services import Service
from chinwag.twilio import cors
from chinwag.twilio.dates import to_json

# A document of its own origin that may load nothing: a script in an upload runs nowhere.
CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'"


def media_json(medium: Medium, request: web.Request) -> dict[str, Any]:
    """The Media resource's properties (media-resource doc); `links.content` serves the
    bytes, and so does `content_direct_temporary` (chinwag signs no temporary URLs)."""
    url = f"{base_url(request)}/chinwag/v1/Services/{medium.service_sid}/Media/{medium.sid}"
    return {
        "sid": medium.sid,
        "account_sid": medium.account_sid,
        "service_sid": medium.service_sid,
        "date_created": to_json(medium.date_created),
        "date_updated": to_json(medium.date_updated),
        "channel_sid": medium.conversation_sid,
        "message_sid": medium.message_sid,
        "size": medium.size,
        "content_type": medium.content_type,
        "filename": medium.filename,
        "author": None,  # uploaded over REST, by no chat user
        "category": "media",
        "url": url,
        "links": {"content": f"{url}/Content", "content_direct_temporary": f"{url}/Content"},
    }


async def create(request: web.Request) -> web.Response:
    async with read_upload(request) as upload:
        medium, _ = await in_service(
            request,
            domain.upload_file,
            upload.content_type,
            upload.filename,
            upload.file,
            upload.size,
            write=True,
        )
    return json_response(media_json(medium, request), 201)


def _medium(conn: Connection, service: Service, sid: str, path: str) -> Medium:
    return domain.find_medium(conn, service, sid, path)


async def fetch(request: web.Request) -> web.Response:
    medium, _ = await in_service(request, _medium, request.match_info["Sid"], request.path)
    return json_response(media_json(medium, request))


async def content(request: web.Request) -> web.StreamResponse:
    """The bytes, streamed a chunk at a time (domain/media.py `content_chunks`)."""
    medium, _ = await in_service(request, _medium, request.match_info["Sid"], request.path)
    disposition = "inline" if domain.shown_inline(medium.content_type) else "attachment"
    response = web.StreamResponse(
        headers={
            hdrs.CONTENT_TYPE: medium.content_type,
            hdrs.CONTENT_DISPOSITION: content_disposition(disposition, medium.filename),
            hdrs.X_CONTENT_TYPE_OPTIONS: "nosniff",
            hdrs.CONTENT_SECURITY_POLICY: CONTENT_SECURITY_POLICY,
            **cors.HEADERS,  # sent here: the front door adds none to a prepared response
        }
    )
    response.content_length = medium.size
    await response.prepare(request)
    sent = 0
    try:
        async with aclosing(domain.content_chunks(database(request), medium)) as chunks:
            async for chunk in chunks:
                await response.write(chunk)
                sent += len(chunk)
    except ConnectionError:  # the client went away
        return response
    if sent < medium.size:  # deleted meanwhile: close, so the client sees a short body
        response.force_close()
    return response


def content_disposition(disposition: str, filename: str | None) -> str:
    """`inline` or `attachment` with the filename as RFC 6266 gives it: `filename*` in
    UTF-8, percent-encoded (RFC 8187), after a `filename` of its printable ASCII for
    older clients; nothing of the name can end the header or the parameter."""
    if not filename:
        return disposition
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename)
    encoded = quote(filename, safe="!#$&+-.^_`|~", encoding="utf-8")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
