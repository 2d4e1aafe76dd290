"""Reading a media upload's body into a temporary file, refused as soon as it passes a limit.

An upload is either the raw bytes with their Content-Type (a filename may come in a
`Content-Disposition` header), or multipart/form-data whose first part with a filename
is the media; text parts are read past, not kept. The limits are domain/media.py's:
the media's size (50512), and for multipart the whole body's size, its number of parts
and of framing lines (a body of 400,000 empty parts or of empty lines costs chinwag a
parser call each). Each is checked as the bytes arrive: nothing past a limit is read.

The bytes go to an anonymous temporary file (`tempfile.TemporaryFile`: unlinked from
the start, so a refused upload or a crash leaves nothing behind), written a chunk at a
time in a thread, so neither the body nor the disk's pace is held by the event loop.
"""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import BinaryIO, cast

from aiohttp import BodyPartReader, MultipartReader, StreamReader, hdrs, web
from aiohttp.multipart import parse_content_disposition

from chinwag.domain import media as domain
from chinwag.request_context import MULTIPART, UNREADABLE
from chinwag.twilio.errors import InvalidParameter, TwilioError

OCTET_STREAM = "application/octet-stream"  # what a file part without a type is
READ_CHUNK = 64 * 1024  # bytes asked of the request at a time
SPOOL_FLUSH = 1024 * 1024  # bytes gathered before one write to the file, in a thread


@dataclass(frozen=True)
class Upload:
    """The media of an upload: what it says it is, and its bytes in `file` (at offset 0)."""

    content_type: str
    filename: str | None
    file: BinaryIO
    size: int


class Spool:
    """Bytes appended to an anonymous temporary file, written in a thread by the megabyte."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.size = 0
        self._pending = bytearray()

    @classmethod
    async def open(cls, directory: str | None = None) -> "Spool":
        return cls(await asyncio.to_thread(tempfile.TemporaryFile, dir=directory))

    async def write(self, chunk: bytes) -> None:
        self._pending += chunk
        self.size += len(chunk)
        if len(self._pending) >= SPOOL_FLUSH:
            await self._flush()

    async def finish(self) -> BinaryIO:
        """The file, every byte written, positioned at its start."""
        await self._flush()
        await asyncio.to_thread(self.file.seek, 0)
        return self.file

    def close(self) -> None:
        self.file.close()

    async def _flush(self) -> None:
        pending, self._pending = bytes(self._pending), bytearray()
        if pending:
            await asyncio.to_thread(self.file.write, pending)


@asynccontextmanager
async def read_upload(request: web.Request, directory: str | None = None) -> AsyncIterator[Upload]:
    """The request's media in a temporary file, for the length of the `async with`."""
    spool = await Spool.open(directory)
    try:
        try:
            if request.content_type == MULTIPART:
                content_type, filename = await _read_file_part(request, spool)
            else:
                content_type, filename = await _read_raw(request, spool)
        except TwilioError:
            raise
        except UNREADABLE:
            raise InvalidParameter(
                f"The request body is not well-formed {request.content_type}."
            ) from None
        yield Upload(content_type, filename, await spool.finish(), spool.size)
    finally:
        spool.close()


async def _read_raw(request: web.Request, spool: Spool) -> tuple[str, str | None]:
    """The body is the media: its type and filename are the request's headers."""
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    filename = _disposition_filename(request.headers.get(hdrs.CONTENT_DISPOSITION))
    domain.check_upload_headers(content_type, filename)
    domain.check_size(request.content_length or 0)  # refused unread when it says so
    async for chunk in request.content.iter_chunked(READ_CHUNK):
        domain.check_size(spool.size + len(chunk))
        await spool.write(chunk)
    return content_type, filename


async def _read_file_part(request: web.Request, spool: Spool) -> tuple[str, str | None]:
    """The first part with a filename is the media; the parts before it are read past."""
    domain.check_upload_size(request.content_length or 0)
    stream = cast(StreamReader, _BoundedStream(request.content))
    reader = MultipartReader(request.headers, stream)
    parts = 0
    while (part := await reader.next()) is not None:
        parts += 1
        domain.check_upload_parts(parts)
        if not isinstance(part, BodyPartReader):
            raise InvalidParameter("A multipart/form-data body may not nest multipart parts.")
        if part.filename is None:
            await part.release()  # a text field: not the media, read through the bound
            continue
        content_type = part.headers.get(hdrs.CONTENT_TYPE, OCTET_STREAM)
        domain.check_upload_headers(content_type, part.filename)
        while chunk := await part.read_chunk(READ_CHUNK):
            decoded = bytes(part.decode(chunk))
            domain.check_size(spool.size + len(decoded))
            await spool.write(decoded)
        return content_type, part.filename
    raise InvalidParameter("The multipart/form-data body has no file part: nothing to upload.")


class _BoundedStream:
    """The request body as `MultipartReader` reads it (`read`, `readline`, `at_eof`,
    `unread_data`), refusing the upload once more bytes have arrived than a multipart
    upload may have, or more lines were asked for than its framing may take."""

    def __init__(self, content: StreamReader) -> None:
        self._content = content
        self._lines = 0

    async def read(self, n: int = -1) -> bytes:
        data = await self._content.read(n)
        domain.check_upload_size(self._content.total_bytes)
        return data

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        self._lines += 1
        domain.check_upload_lines(self._lines)
        line = await self._content.readline(max_line_length=max_line_length)
        domain.check_upload_size(self._content.total_bytes)
        return line

    def at_eof(self) -> bool:
        return self._content.at_eof()

    def unread_data(self, data: bytes) -> None:
        self._content.unread_data(data)


def _disposition_filename(header: str | None) -> str | None:
    if not header:
        return None
    _, params = parse_content_disposition(header)
    return params.get("filename") or None
