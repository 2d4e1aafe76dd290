"""Media: chinwag's own media store, /chinwag/v1/Services/{ChatServiceSid}/Media.

It stands in for Twilio's Media Content Service (`mcs.us1.twilio.com/v1/Services/
{ChatServiceSid}/Media`, twilio.com/docs/conversations/api/media-resource), which
Twilio's helper libraries do not wrap either: an app uploads with plain HTTP, then
passes the `ME` SID as `MediaSid` when it creates a message. The client SDK's media
client uploads and reads here too, with its Access Token (`X-Twilio-Token`, checked by
app.py's front door); the socket's configuration names these URLs
(operations/media_urls.py). How an upload's body is read (raw or multipart, bounded,
into a temporary file) is uploads.py.

The content is served on the dashboard's origin, so never as a page of it: every
medium comes with `X-Content-Type-Options: nosniff` and a sandboxing CSP, and a type a
browser would run or render actively (HTML, SVG, XML, scripts, anything not known to
be passive) as a download (domain/media.py `shown_inline`).
"""

import json
from contextlib import aclosing
from typing import Any
from urllib.parse import quote

from aiohttp import hdrs, web
from sqlalchemy import Connection

from chinwag.domain import media as domain
from chinwag.domain.actors import Actor
from chinwag.domain.client_state import token_actor
from chinwag.operations import media_urls
from chinwag.request_context import base_url, database, read_query
from chinwag.resources.addressing import in_service
from chinwag.resources.common import account, actor, json_response
from chinwag.resources.uploads import read_upload
from chinwag.store.accounts import Account
from chinwag.store.media import Medium
from chinwag.store.services import Service
from chinwag.twilio import cors, sids
from chinwag.twilio.dates import to_json, utc_now
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound, Unauthenticated

# A document of its own origin that may load nothing: a script in an upload runs nowhere.
CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'"
ACCESS_TOKEN = "X-Twilio-Token"  # how the SDK's media client sends its Access Token


def media_json(medium: Medium, request: web.Request, author: str | None = None) -> dict[str, Any]:
    """The Media resource's properties (media-resource doc), with those the SDK's media
    client reads beside them (`date_upload_updated`, `is_multipart_upstream`).
    `links.content` takes credentials; `content_direct_temporary` is signed to need none,
    for a few minutes (operations/media_urls.py). `author` is the SDK user who uploaded
    it, known only to the upload's own answer (chinwag does not store it)."""
    base = base_url(request)
    url = f"{media_urls.media_url(base, medium.service_sid)}/{medium.sid}"
    temporary = media_urls.temporary_content_url(
        base, account(request).auth_token, medium.service_sid, medium.sid, utc_now()
    )
    return {
        "sid": medium.sid,
        "account_sid": medium.account_sid,
        "service_sid": medium.service_sid,
        "date_created": to_json(medium.date_created),
        "date_upload_updated": to_json(medium.date_created),  # stored whole, at once
        "date_updated": to_json(medium.date_updated),
        "channel_sid": medium.conversation_sid,
        "message_sid": medium.message_sid,
        "size": medium.size,
        "content_type": medium.content_type,
        "filename": medium.filename,
        "author": author,
        "category": domain.CATEGORY,
        "is_multipart_upstream": False,
        "url": url,
        "links": {"content": f"{url}/Content", "content_direct_temporary": temporary},
    }


async def sdk_user(request: web.Request) -> Actor:
    """The SDK user whose Access Token (`X-Twilio-Token`) the request carries, verified
    as the socket verifies it; a token speaks for one service, so a path naming another
    (of its account or any other) is refused with 401 20003."""
    token = request.headers[ACCESS_TOKEN]
    user = await database(request).read(token_actor, token, utc_now())
    named = request.match_info["ChatServiceSid"]
    if user.service_sid != named:
        raise Unauthenticated(
            f"Authentication Error - the Access Token is for service '{user.service_sid}', "
            f"not '{named}'."
        )
    return user


async def signed_account(request: web.Request) -> Account:
    """The account a temporary content URL was signed for (`content_direct_temporary`):
    its signature and expiry are its credentials."""
    query = read_query(request)
    return await database(request).read(
        media_urls.signed_account,
        request.match_info["ChatServiceSid"],
        request.match_info["Sid"],
        query.text(media_urls.EXPIRES),
        query.text(media_urls.SIGNATURE),
        utc_now(),
    )


async def create(request: web.Request) -> web.Response:
    """An upload: raw bytes or multipart (uploads.py); the SDK names it in the query
    (`?Category=media&Filename=<name>`), which wins over a name in the body."""
    query = read_query(request)
    named = query.text("Filename")
    domain.check_upload_query(query.text("Category"), named)
    async with read_upload(request) as upload:
        medium, _ = await in_service(
            request,
            domain.upload_file,
            upload.content_type,
            named or upload.filename,
            upload.file,
            upload.size,
            write=True,
        )
    return json_response(media_json(medium, request, actor(request).identity), 201)


def _medium(conn: Connection, service: Service, sid: str, path: str, reader: Actor) -> Medium:
    """The service's medium by SID, if `reader` may read it (else 404, as for none)."""
    found = domain.find_medium(conn, service, sid, path)
    if not domain.may_read(conn, reader, found):
        raise ResourceNotFound.for_path(path)
    return found


async def fetch(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]
    medium, _ = await in_service(request, _medium, sid, request.path, actor(request))
    return json_response(media_json(medium, request))


def _readable_media(
    conn: Connection, service: Service, wanted: list[str], reader: Actor
) -> dict[str, Medium]:
    """Those of `wanted` the service holds and `reader` may read, by SID."""
    found = {}
    for sid in wanted:
        medium = domain.service_medium(conn, service, sid)
        if medium is not None and domain.may_read(conn, reader, medium):
            found[sid] = medium
    return found


async def media_set(request: web.Request) -> web.Response:
    """`POST .../MediaSet` with `{"command": "get", "list": [{"media_sid": "ME..."}]}`:
    `[{code, media_record}]`, 200 and the Media resource for each medium the caller may
    read, else 404 and its `sid` alone (what `@twilio/mcs-client`'s `mediaSetGet` reads:
    how the SDK fetches temporary URLs for several media at once)."""
    wanted = _media_set_query(await request.read())
    found, _ = await in_service(request, _readable_media, wanted, actor(request))
    return json_response(
        [
            {"code": 200, "media_record": media_json(found[sid], request)}
            if sid in found
            else {"code": 404, "media_record": {"sid": sid}}
            for sid in wanted
        ]
    )


def _media_set_query(body: bytes) -> list[str]:
    """The SIDs a MediaSet `get` names, in order; anything else is 400 20001."""
    try:
        query = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past Python's stack
        query = None
    is_get = isinstance(query, dict) and query.get("command") == "get"
    listed = query.get("list") if is_get else None
    if not isinstance(listed, list):
        raise InvalidParameter(
            'The MediaSet body must be {"command": "get", "list": [{"media_sid": "ME..."}]}.'
        )
    if len(listed) > domain.MAX_MEDIA_SET:
        raise InvalidParameter(f"The MediaSet list names more than {domain.MAX_MEDIA_SET} media.")
    wanted = [item.get("media_sid") if isinstance(item, dict) else None for item in listed]
    if not all(isinstance(sid, str) and sids.is_sid(sid, sids.MEDIA) for sid in wanted):
        raise InvalidParameter("Every MediaSet list item needs a media_sid, ME + 32 hex digits.")
    return [str(sid) for sid in wanted]


async def content(request: web.Request) -> web.StreamResponse:
    """The bytes, streamed a chunk at a time (domain/media.py `content_chunks`)."""
    sid = request.match_info["Sid"]
    medium, _ = await in_service(request, _medium, sid, request.path, actor(request))
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
