"""Media: what an upload must be, which media a new message may carry, who may read one.

chinwag's media store stands in for Twilio's Media Content Service
(twilio.com/docs/conversations/api/media-resource). Limits:
twilio.com/docs/conversations/conversations-limits ("Any media file type of up to
150MB is supported between chat-based participants"). Codes: errors/50507, 50508,
50510, 50511, 50512, 21623; docs/compatibility.md lists each rule with its source.
The limits here are the ones the client SDK is told (twilsock/client_api.py's
configuration): what it is told is what is enforced.
"""

import io
import re
from collections.abc import AsyncGenerator, Sequence
from typing import Any, BinaryIO

from sqlalchemy import Connection

from chinwag.domain.actors import Actor
from chinwag.store import media as store
from chinwag.store.database import Database
from chinwag.store.media import Medium
from chinwag.store.participants import identity_holder
from chinwag.store.services import Service
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import (
    InvalidMediaContentType,
    InvalidMediaSid,
    InvalidParameter,
    MediaAlreadySent,
    MediaNotFound,
    MediaTooLarge,
    ResourceNotFound,
    TooManyMedia,
    TooManyParameters,
)
from chinwag.twilio.forms import check_length, shown

MEBIBYTE = 1024 * 1024
# "up to 150MB" (conversations-limits), in the binary megabytes of Twilio's own tables
# (Flex's attachment limits give the same 150 MB as 157,286,400 bytes).
MAX_MEDIA_BYTES = 150 * MEBIBYTE
# A multipart upload carries the media and, around it, what form clients add: part
# headers, boundaries, a few text fields (ignored). Twilio documents none of these limits;
# each bounds the work one upload can make chinwag do before it is refused.
MAX_UPLOAD_FORM_BYTES = 1024 * 1024  # what is not the media (aiohttp's own form limit)
MAX_UPLOAD_BYTES = MAX_MEDIA_BYTES + MAX_UPLOAD_FORM_BYTES
MAX_UPLOAD_PARTS = 100  # parts read, the file part among them
# Boundary, header and preamble lines: a part takes four or five, and each line costs
# chinwag a parser call, so a body of empty lines must not cost one per byte.
MAX_UPLOAD_LINES = 20 * MAX_UPLOAD_PARTS
# Twilio sends "up to 10 media files" with one message (messaging media-resource).
MAX_MEDIA_PER_MESSAGE = 10
# Twilio documents no total for chat media; Flex's attachment table pairs ten files of
# 150 MB with a total of 150 MB (its email row: 157,286,400 bytes each and in all).
MAX_MEDIA_TOTAL_BYTES = MAX_MEDIA_BYTES
# Twilio documents no filename limit; free text elsewhere stops at 256 characters.
MAX_FILENAME = 256
# Media one MediaSet request asks for: a message holds at most ten, and Twilio documents
# no batch limit; this bounds the reads one request makes.
MAX_MEDIA_SET = 100
# MCS's categories are `media`, and an email's `body` and `history` (the SDK's
# MediaCategory); chinwag has no email channel, so it keeps media only.
CATEGORY = "media"
# Shown inline: images without scripts (not SVG), sound, video, plain text. Not PDF:
# viewers run scripts of their own, and Chrome shows none under the sandboxing CSP.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
INLINE_KINDS = frozenset({"audio", "video"})
# RFC 6838 section 4.2: type "/" subtype, each a restricted name; parameters dropped.
_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")


def check_content_type(value: str | None) -> str:
    """The media type of an upload, lowercased, without parameters (`; charset=...`)."""
    media_type = (value or "").split(";", 1)[0].strip()
    if not _MIME.fullmatch(media_type):
        shown_value = shown(value) if value else ""
        raise InvalidMediaContentType(
            f"Content-Type '{shown_value}' is not a media type (type/subtype)."
        )
    return media_type.lower()


def check_size(size: int) -> None:
    if size > MAX_MEDIA_BYTES:
        raise MediaTooLarge(f"more than {MAX_MEDIA_BYTES} bytes (150 MB).")


def check_upload_size(size: int) -> None:
    """The bytes of a multipart upload read so far: the media and its form around it."""
    if size > MAX_UPLOAD_BYTES:
        raise MediaTooLarge(
            f"the multipart body is more than {MAX_UPLOAD_BYTES} bytes "
            "(150 MB of media and 1 MB of form fields)."
        )


def check_upload_parts(parts: int) -> None:
    """The number of the multipart part about to be read: the file part must come early."""
    if parts > MAX_UPLOAD_PARTS:
        raise TooManyParameters(
            f"The multipart/form-data body has no file part among its first "
            f"{MAX_UPLOAD_PARTS} parts, which is as far as chinwag reads an upload."
        )


def check_upload_lines(lines: int) -> None:
    if lines > MAX_UPLOAD_LINES:
        raise TooManyParameters(
            f"The multipart/form-data body has more than {MAX_UPLOAD_LINES} lines of "
            "boundaries, part headers and preamble, more than chinwag reads in one upload."
        )


def check_upload_headers(content_type: str | None, filename: str | None) -> str:
    """What an upload says of its media before its bytes are read: the media type
    (lowercased, without parameters) and the filename's length."""
    media_type = check_content_type(content_type)
    check_length("Filename", filename, MAX_FILENAME)
    return media_type


def check_upload_query(category: str | None, filename: str | None) -> None:
    """The SDK's `?Category=media&Filename=<name>`, checked before the body is read."""
    if category not in (None, CATEGORY):
        raise InvalidParameter(
            f"Category '{shown(category)}' is not '{CATEGORY}': chinwag keeps no email "
            "bodies or histories."
        )
    check_length("Filename", filename, MAX_FILENAME)


def upload(
    conn: Connection, service: Service, content_type: str, filename: str | None, content: bytes
) -> Medium:
    """Store an upload held in memory (a fetched `MediaUrl`); see `upload_file`."""
    return upload_file(conn, service, content_type, filename, io.BytesIO(content), len(content))


def upload_file(
    conn: Connection,
    service: Service,
    content_type: str,
    filename: str | None,
    source: BinaryIO,
    size: int,
) -> Medium:
    """Store the `size` bytes of `source` (read from its start, a chunk at a time): its
    type checked, its size within the limit, and not empty."""
    media_type = check_content_type(content_type)
    check_size(size)
    if not size:
        raise InvalidParameter("The media is empty: an upload needs at least one byte.")
    check_length("Filename", filename, MAX_FILENAME)
    now = utc_now()
    medium = Medium(
        sid=sids.new_sid(sids.MEDIA),
        account_sid=service.account_sid,
        service_sid=service.sid,
        conversation_sid=None,
        message_sid=None,
        content_type=media_type,
        filename=filename or None,
        size=size,
        date_created=now,
        date_updated=now,
    )
    store.insert_medium(conn, medium, source)
    return medium


def find_medium(conn: Connection, service: Service, sid: str, path: str) -> Medium:
    """The service's medium by SID; a malformed, unknown or other service's one is 404 20404."""
    found = service_medium(conn, service, sid)
    if found is None:
        raise ResourceNotFound.for_path(path)
    return found


def service_medium(conn: Connection, service: Service, sid: str) -> Medium | None:
    """The service's medium by SID; None for a malformed, unknown or other service's one."""
    return store.get_medium(conn, service.sid, sid) if sids.is_sid(sid, sids.MEDIA) else None


def shown_inline(media_type: str) -> bool:
    """Whether a browser may render the medium in its own page.

    Media are served on the dashboard's origin: a type a browser runs or renders actively
    (HTML, SVG, XML, scripts) would run with the viewer's cookies for that origin. Only
    types a browser shows passively are inline; the others are downloads
    (`Content-Disposition: attachment`). Every medium is also served with `nosniff` and
    a sandboxing Content-Security-Policy (resources/media.py).
    """
    kind = media_type.split("/", 1)[0]
    return media_type in INLINE_TYPES or kind in INLINE_KINDS


def is_inline_image(media_type: str) -> bool:
    """An image a page may show in an `<img>` (the dashboard's messages): a passive one."""
    return media_type.startswith("image/") and shown_inline(media_type)


async def content_chunks(database: Database, medium: Medium) -> AsyncGenerator[bytes, None]:
    """The medium's bytes, `store.CHUNK` at a time, read in a `Database.read_series`: no
    read holds the connections others use while the client takes its time. A medium
    never changes once stored; one deleted meanwhile (with its message or service) may
    end early, fewer than `medium.size` bytes. Close it (`aclosing`) if not read through."""
    async with database.read_series() as series:
        reader = store.ContentReader(medium.service_sid, medium.sid, series.one_transaction)
        try:
            offset = 0
            while offset < medium.size:
                length = min(store.CHUNK, medium.size - offset)
                chunk = await series.read(reader.read, offset, length)
                if not chunk:
                    return
                yield chunk
                offset += len(chunk)
        finally:
            reader.close()


def check_media_sids(given: Sequence[str] | None) -> list[str]:
    """The MediaSid values of a new message, well-formed, each once, at most ten."""
    if not given:
        return []
    for value in given:
        if not sids.is_sid(value, sids.MEDIA):
            raise InvalidMediaSid(f"MediaSid '{shown(value)}' is not ME + 32 hex digits.")
    if len(set(given)) != len(given):
        raise MediaAlreadySent("a MediaSid is given twice.")
    if len(given) > MAX_MEDIA_PER_MESSAGE:
        raise TooManyMedia(
            f"{len(given)} MediaSid values, a message takes at most {MAX_MEDIA_PER_MESSAGE}."
        )
    return list(given)


def media_to_attach(conn: Connection, service_sid: str, media_sids: Sequence[str]) -> list[Medium]:
    """The media of `media_sids`, each in the service and attached to no message yet,
    together within the total size a message may carry."""
    found: list[Medium] = []
    for sid in media_sids:
        medium = store.get_medium(conn, service_sid, sid)
        if medium is None:
            raise MediaNotFound(f"MediaSid '{sid}' names no media of this Conversation Service.")
        if medium.message_sid is not None:
            raise MediaAlreadySent(f"MediaSid '{sid}' belongs to {medium.message_sid}.")
        found.append(medium)
    check_total_size(sum(medium.size for medium in found))
    return found


def check_total_size(total: int) -> None:
    """The bytes of a message's media together (the SDK is told the limit in MB)."""
    if total > MAX_MEDIA_TOTAL_BYTES:
        raise MediaTooLarge(
            f"the message's media total {total} bytes, more than {MAX_MEDIA_TOTAL_BYTES} (150 MB)."
        )


def may_read(conn: Connection, actor: Actor, medium: Medium) -> bool:
    """Whether `actor` may read the medium (its record, its content, a temporary URL).

    REST credentials read every medium of the account. An SDK user reads what its
    messages show it: the media of conversations it takes part in (the messages list's
    own rule, twilsock/sync_shapes.py), and media no message holds yet: only their SID
    (128 random bits) names them, and any user of the service who has it may attach it
    to a message (`media_sids`), uploader or not, since chinwag does not store who that was.
    """
    if actor.identity is None or medium.conversation_sid is None:
        return True
    return identity_holder(conn, medium.conversation_sid, actor.identity) is not None


def attach(
    conn: Connection, media: Sequence[Medium], message_sid: str, conversation_sid: str
) -> None:
    """Give the media to the message; one another message took meanwhile is refused."""
    attached = store.attach(conn, [m.sid for m in media], message_sid, conversation_sid, utc_now())
    if attached != len(media):
        raise MediaAlreadySent("another message took it meanwhile.")


def media_json(media: Sequence[Medium]) -> list[dict[str, Any]] | None:
    """A message's `media` as the spec describes it; None (JSON null) for none."""
    if not media:
        return None
    return [
        {
            "sid": medium.sid,
            "content_type": medium.content_type,
            "filename": medium.filename,
            "size": medium.size,
            "category": CATEGORY,
        }
        for medium in media
    ]


def media_to_describe(
    conn: Connection, service_sid: str, media_sids: Sequence[str] | None
) -> list[dict[str, Any]] | None:
    """The message JSON's `media` of the well-formed `media_sids` the service holds, for a
    pre-event asked before the create is checked (the create refuses the others)."""
    found = [
        medium
        for sid in media_sids or ()
        if sids.is_sid(sid, sids.MEDIA) and (medium := store.get_medium(conn, service_sid, sid))
    ]
    return media_json(found)


def media_param(media: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """`Media` of the message events: the same objects with Twilio's webhook keys."""
    if not media:
        return None
    return [
        {
            "Sid": item["sid"],
            "Filename": item["filename"],
            "ContentType": item["content_type"],
            "Size": item["size"],
        }
        for item in media
    ]
