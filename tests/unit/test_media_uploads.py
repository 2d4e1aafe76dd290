"""A media upload read into a temporary file within its limits, and how content is served
(resources/uploads.py, resources/media.py, domain/media.py); tests/e2e/test_media.py
sends the same bodies to a real server on both engines."""

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from unittest import mock

import pytest
from aiohttp import StreamReader, web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict
from sqlalchemy import Connection

from chinwag.domain import media as domain
from chinwag.domain.accounts import create_account
from chinwag.resources import uploads
from chinwag.resources.media import content_disposition
from chinwag.resources.uploads import Spool, Upload, read_upload
from chinwag.store import media as store
from chinwag.store.database import open_database
from chinwag.store.media import CHUNK, Medium
from chinwag.store.services import delete_service, get_default_service
from chinwag.twilio.errors import MediaTooLarge, TooManyParameters, TwilioError

T = TypeVar("T")
BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def run(work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await work()

    return asyncio.run(main())


def request_with(
    body: bytes, content_type: str, headers: dict[str, str] | None = None, *, eof: bool = True
) -> tuple[web.Request, StreamReader]:
    """A request whose body stream holds `body` (and ends, unless `eof` is False)."""
    stream = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
    stream.feed_data(body)
    if eof:
        stream.feed_eof()
    all_headers = CIMultiDict({"Content-Type": content_type, **(headers or {})})
    return make_mocked_request("POST", "/Media", headers=all_headers, payload=stream), stream


def part(headers: str, content: bytes = b"") -> bytes:
    return f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


def end() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()


FIELD = 'Content-Disposition: form-data; name="note"'
FILE = 'Content-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png'


async def read(body: bytes, content_type: str, directory: Path) -> bytes:
    request, _ = request_with(body, content_type)
    async with read_upload(request, str(directory)) as upload:
        assert list(directory.iterdir()) == []  # an anonymous file: nothing to leave behind
        return upload.file.read()


def test_a_raw_upload_is_its_body_with_the_requests_type_and_filename(tmp_path: Path) -> None:
    async def work() -> tuple[Upload, bytes]:
        request, _ = request_with(
            b"\x89PNG" * 1000,
            "image/png",
            {"Content-Disposition": 'attachment; filename="car.png"'},
        )
        async with read_upload(request, str(tmp_path)) as upload:
            return upload, upload.file.read()

    upload, content = run(work)
    assert (upload.content_type, upload.filename, upload.size) == ("image/png", "car.png", 4000)
    assert content == b"\x89PNG" * 1000
    assert upload.file.closed  # and, being anonymous, gone
    assert list(tmp_path.iterdir()) == []


def test_a_multipart_upload_is_its_first_file_part(tmp_path: Path) -> None:
    body = part(FIELD, b"a note") + part(FILE, b"PNG bytes") + part(FILE, b"second") + end()
    assert run(lambda: read(body, MULTIPART, tmp_path)) == b"PNG bytes"


def test_an_upload_declared_too_large_is_refused_unread(tmp_path: Path) -> None:
    async def work() -> StreamReader:
        too_long = str(domain.MAX_MEDIA_BYTES + 1)
        request, stream = request_with(
            b"first bytes", "image/png", {"Content-Length": too_long}, eof=False
        )
        with pytest.raises(MediaTooLarge):
            async with read_upload(request, str(tmp_path)):
                pass
        return stream

    stream = run(work)
    assert stream.read_nowait() == b"first bytes"  # not one byte was taken


@pytest.mark.parametrize("multipart", [False, True])
def test_a_body_over_the_limit_is_refused_as_it_streams_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, multipart: bool
) -> None:
    monkeypatch.setattr(domain, "MAX_MEDIA_BYTES", 100_000)
    monkeypatch.setattr(domain, "MAX_UPLOAD_BYTES", 200_000)
    files: list[Spool] = []
    real_open = Spool.open

    async def spy(directory: str | None = None) -> Spool:
        files.append(spool := await real_open(directory))
        return spool

    monkeypatch.setattr(uploads.Spool, "open", spy)
    content = b"\0" * 300_000
    body = part(FILE, content) + end() if multipart else content

    async def work() -> StreamReader:
        request, stream = request_with(body, MULTIPART if multipart else "image/png")
        with pytest.raises(MediaTooLarge):
            async with read_upload(request, str(tmp_path)):
                pass
        return stream

    stream = run(work)
    assert not stream.at_eof()  # the rest was never read
    assert [spool.file.closed for spool in files] == [True]
    assert list(tmp_path.iterdir()) == []


def test_text_parts_past_the_form_allowance_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain, "MAX_UPLOAD_BYTES", 100_000)
    body = part(FIELD, b"x" * 200_000) + part(FILE, b"png") + end()
    with pytest.raises(MediaTooLarge):
        run(lambda: read(body, MULTIPART, tmp_path))


def test_a_file_part_after_the_hundredth_part_is_not_read(tmp_path: Path) -> None:
    fields = part(FIELD) * (domain.MAX_UPLOAD_PARTS - 1)
    assert run(lambda: read(fields + part(FILE, b"png") + end(), MULTIPART, tmp_path)) == b"png"
    with pytest.raises(TooManyParameters):
        run(lambda: read(fields + part(FIELD) + part(FILE, b"png") + end(), MULTIPART, tmp_path))


def test_a_preamble_of_empty_lines_is_refused(tmp_path: Path) -> None:
    body = b"\r\n" * domain.MAX_UPLOAD_LINES + part(FILE, b"png") + end()
    with pytest.raises(TooManyParameters):
        run(lambda: read(body, MULTIPART, tmp_path))


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"png", "", 50511),
        (part(FILE.replace("image/png", "png"), b"png") + end(), MULTIPART, 50511),
        (b"not multipart", MULTIPART, 20001),
        (part(FIELD, b"only a note") + end(), MULTIPART, 20001),
    ],
)
def test_a_malformed_upload_is_refused_with_twilios_codes(
    tmp_path: Path, body: bytes, content_type: str, code: int
) -> None:
    with pytest.raises(TwilioError) as refused:
        run(lambda: read(body, content_type, tmp_path))
    assert refused.value.code == code


def test_the_spool_writes_by_the_megabyte() -> None:
    async def work() -> tuple[list[int], bytes]:
        spool = await Spool.open()
        writes: list[int] = []
        real_write = spool.file.write

        def write(data: bytes) -> int:
            writes.append(len(data))
            return real_write(data)

        spool.file.write = write  # type: ignore[method-assign, assignment]
        for _ in range(40):
            await spool.write(b"\1" * 64 * 1024)
        file = await spool.finish()
        content = file.read()
        spool.close()
        return writes, content

    writes, content = run(work)
    assert writes == [uploads.SPOOL_FLUSH] * 2 + [512 * 1024]
    assert content == b"\1" * 40 * 64 * 1024


@pytest.mark.parametrize(
    ("media_type", "inline"),
    [
        ("image/png", True),
        ("image/jpeg", True),
        ("image/gif", True),
        ("image/webp", True),
        ("audio/mpeg", True),
        ("video/mp4", True),
        ("application/pdf", False),
        ("text/plain", True),
        ("text/html", False),
        ("application/xhtml+xml", False),
        ("image/svg+xml", False),
        ("text/xml", False),
        ("application/xml", False),
        ("application/javascript", False),
        ("text/javascript", False),
        ("application/octet-stream", False),
        ("image/x-icon", False),
        ("multipart/x-mixed-replace", False),
    ],
)
def test_only_passive_media_are_shown_inline(media_type: str, inline: bool) -> None:
    assert domain.shown_inline(media_type) is inline


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        (None, "attachment"),
        ("car.png", "attachment; filename=\"car.png\"; filename*=UTF-8''car.png"),
        (
            'a"b\\c%41;\r\nSet-Cookie: x=1.html',
            'attachment; filename="a_b_c_41;__Set-Cookie: x=1.html"; '
            "filename*=UTF-8''a%22b%5Cc%2541%3B%0D%0ASet-Cookie%3A%20x%3D1.html",
        ),
        ("été.txt", "attachment; filename=\"_t_.txt\"; filename*=UTF-8''%C3%A9t%C3%A9.txt"),
    ],
)
def test_the_filename_is_escaped_as_rfc_6266_gives_it(filename: str | None, header: str) -> None:
    assert content_disposition("attachment", filename) == header


def test_content_is_served_by_chunks_and_a_single_read_leaves_no_snapshot_behind(
    database_url: str,
) -> None:
    """`content_chunks` reads a medium a chunk at a time (on SQLite through one BLOB
    handle for the whole download); a `ContentReader` whose reads are transactions of
    their own closes its handle after each, so the shared reader sees later commits."""
    content = os.urandom(2 * CHUNK + 5)

    def store_medium(conn: Connection) -> Medium:
        service = get_default_service(conn, create_account(conn, "media").sid)
        assert service is not None
        return domain.upload(conn, service, "video/mp4", None, content)

    async def work() -> tuple[list[bytes], bytes | None, bytes | None]:
        database = open_database(database_url)
        try:
            medium = await database.write(store_medium)
            chunks = [chunk async for chunk in domain.content_chunks(database, medium)]
            reader = store.ContentReader(medium.service_sid, medium.sid, one_transaction=False)
            middle = await database.read(reader.read, CHUNK - 2, 4)
            await database.write(delete_service, medium.service_sid)  # and its media
            gone = await database.read(reader.read, 0, 4)
            return chunks, middle, gone
        finally:
            await database.close()

    chunks, middle, gone = run(work)
    assert [len(chunk) for chunk in chunks] == [CHUNK, CHUNK, 5]
    assert b"".join(chunks) == content
    assert middle == content[CHUNK - 2 : CHUNK + 2]
    assert gone is None
