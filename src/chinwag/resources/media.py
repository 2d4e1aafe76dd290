"""Media: chinwag's own media store, /chinwag/v1/Services/{ChatServiceSid}/Media.

It stands in for Twilio's Media Content Service (`mcs.us1.twilio.com/v1/Services/
{ChatServiceSid}/Media`, twilio.com/docs/conversations/api/media-resource), which
Twilio's helper libraries do not wrap either: an app uploads with plain HTTP, then
passes the `ME` SID as `MediaSid` when it creates a message. An upload is either the
raw bytes with their Content-Type (and an optional `Content-Disposition` filename),
or multipart/form-data whose first file part is the media.
"""

from typing import Any

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.helpers import content_disposition_header
from aiohttp.multipart import parse_content_disposition
from sqlalchemy import Connection

from chinwag.domain import media as domain
from chinwag.resources.addressing import in_service
from chinwag.resources.common import MULTIPART, UNREADABLE, base_url, json_response
from chinwag.store.media import Medium
from chinwag.store.services import Service
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import InvalidParameter, TwilioError

OCTET_STREAM = "application/octet-stream"  # what a file part without a type is


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
    content_type, filename, content = await _read_upload(request)
    medium, _ = await in_service(
        request, domain.upload, content_type, filename, content, write=True
    )
    return json_response(media_json(medium, request), 201)


def _medium(conn: Connection, service: Service, sid: str, path: str) -> Medium:
    return domain.find_medium(conn, service, sid, path)


async def fetch(request: web.Request) -> web.Response:
    medium, _ = await in_service(request, _medium, request.match_info["Sid"], request.path)
    return json_response(media_json(medium, request))


async def content(request: web.Request) -> web.Response:
    sid, path = request.match_info["Sid"], request.path

    def work(conn: Connection, service: Service) -> tuple[Medium, bytes]:
        medium = domain.find_medium(conn, service, sid, path)
        return medium, domain.content_of(conn, medium)

    (medium, body), _ = await in_service(request, work)
    headers = {hdrs.CONTENT_TYPE: medium.content_type}
    if medium.filename:
        headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
            "inline", filename=medium.filename
        )
    return web.Response(body=body, headers=headers)


async def _read_upload(request: web.Request) -> tuple[str, str | None, bytes]:
    """(media type, filename, bytes) of the upload, read no further than the size limit."""
    try:
        if request.content_type == MULTIPART:
            return await _read_file_part(request)
        content = await _read_limited(request.content.iter_chunked(64 * 1024))
        return (
            request.headers.get(hdrs.CONTENT_TYPE, ""),
            _disposition_filename(request.headers.get(hdrs.CONTENT_DISPOSITION)),
            content,
        )
    except TwilioError:
        raise
    except UNREADABLE:
        raise InvalidParameter(
            f"The request body is not well-formed {request.content_type}."
        ) from None


async def _read_file_part(request: web.Request) -> tuple[str, str | None, bytes]:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise InvalidParameter("A multipart/form-data body may not nest multipart parts.")
        if part.filename is None:
            await part.release()  # a text field: not the media
            continue
        content = await _read_limited(_chunks(part))
        return part.headers.get(hdrs.CONTENT_TYPE, OCTET_STREAM), part.filename, content
    raise InvalidParameter("The multipart/form-data body has no file part: nothing to upload.")


async def _chunks(part: BodyPartReader) -> Any:
    while chunk := await part.read_chunk(64 * 1024):
        yield bytes(part.decode(chunk))


async def _read_limited(chunks: Any) -> bytes:
    """Every chunk, refused with 50512 as soon as they pass the size limit."""
    content = bytearray()
    async for chunk in chunks:
        content.extend(chunk)
        domain.check_size(len(content))
    return bytes(content)


def _disposition_filename(header: str | None) -> str | None:
    if not header:
        return None
    _, params = parse_content_disposition(header)
    return params.get("filename") or None
