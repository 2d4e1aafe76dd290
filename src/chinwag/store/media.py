"""Media: uploaded files, their bytes, and the message each is attached to.

The bytes are a column of the `media` row on both engines. An upload reaches the
database from a file, a chunk at a time, in the caller's transaction: all of it or
nothing. PostgreSQL receives it by `COPY ... FROM STDIN` into a temporary table, the
file read in a thread, and the row takes it from there: chinwag never holds more than a
chunk. SQLite inserts the row with a zero-filled BLOB and writes the chunks into it
through its incremental BLOB I/O (`sqlite3.Connection.blobopen`). `content` is the
table's last column (migration 0022): only there does SQLite keep `zeroblob(n)` lazy;
before another column it built the whole zero-filled record in memory during the INSERT
(twice the upload's size).

The content is read back a chunk at a time as well (`ContentReader`): on SQLite through
one read-only BLOB handle for the whole download, in one transaction; on PostgreSQL by
`substring`, a transaction per chunk, which fetches only the TOAST chunks of its slice
of an uncompressed value (a compressed one is decompressed from its start to the slice).
"""

import asyncio
import sqlite3
import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import (
    Connection,
    Integer,
    LargeBinary,
    bindparam,
    column,
    func,
    select,
    table,
    text,
    update,
)
from sqlalchemy.engine import AdaptedConnection

from chinwag.store.records import RecordMapper
from chinwag.store.tables import media

CHUNK = 1024 * 1024  # bytes of a medium written, or read to be served, at a time


@dataclass(frozen=True)
class Medium:
    """One upload, without its bytes (they are read only to serve the content)."""

    sid: str
    account_sid: str
    service_sid: str
    conversation_sid: str | None
    message_sid: str | None
    content_type: str
    filename: str | None
    size: int
    date_created: datetime
    date_updated: datetime


_MEDIA = RecordMapper(media, Medium)
_GET = select(*_MEDIA.columns).where(
    media.c.service_sid == bindparam("service_sid"), media.c.sid == bindparam("sid")
)
_ROWID = select(media.c.id).where(
    media.c.service_sid == bindparam("service_sid"), media.c.sid == bindparam("sid")
)
# PostgreSQL counts a substring's bytes from 1.
_CONTENT_SLICE = select(
    func.substring(
        media.c.content,
        bindparam("start", type_=Integer),
        bindparam("length", type_=Integer),
        type_=LargeBinary,
    )
).where(media.c.service_sid == bindparam("service_sid"), media.c.sid == bindparam("sid"))
# Only a medium no message holds yet: two messages racing for one see one winner.
_ATTACH = (
    update(media)
    .where(media.c.sid == bindparam("match_sid"), media.c.message_sid.is_(None))
    .values(
        message_sid=bindparam("message_sid"),
        conversation_sid=bindparam("conversation_sid"),
        date_updated=bindparam("date_updated"),
    )
)


# SQLite: the row with `size` zero bytes, then overwritten in place.
_INSERT_ZEROED = media.insert().values(
    content=func.zeroblob(bindparam("content_size", type_=Integer))
)
# PostgreSQL: one bytea row copied in, taken by the insert, dropped (or at commit).
_UPLOAD = "chinwag_media_upload"
_CREATE_UPLOAD = text(f"CREATE TEMPORARY TABLE {_UPLOAD} (content bytea NOT NULL) ON COMMIT DROP")
# Uncompressed here as in `media` (tables.py): INSERT ... SELECT moves a value compressed
# here into `media` compressed, and a download's every slice would decompress it.
_UNCOMPRESSED_UPLOAD = text(f"ALTER TABLE {_UPLOAD} ALTER COLUMN content SET STORAGE EXTERNAL")
_INSERT_COPIED = media.insert().values(
    content=select(table(_UPLOAD, column("content", LargeBinary)).c.content).scalar_subquery()
)
_DROP_UPLOAD = text(f"DROP TABLE {_UPLOAD}")
# COPY's binary format (PostgreSQL docs, "COPY", "Binary Format"): signature, flags and
# header extension length; each row a field count and each field a length and its bytes.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)


def insert_medium(conn: Connection, medium: Medium, source: BinaryIO) -> None:
    """Insert the medium with the `medium.size` bytes of `source`, read from its start."""
    if conn.dialect.name == "sqlite":
        _insert_sqlite(conn, medium, source)
    else:
        _insert_postgresql(conn, medium, source)


def _insert_sqlite(conn: Connection, medium: Medium, source: BinaryIO) -> None:
    inserted = conn.execute(_INSERT_ZEROED, {**vars(medium), "content_size": medium.size})
    sqlite = conn.connection.driver_connection
    assert isinstance(sqlite, sqlite3.Connection)
    source.seek(0)
    with sqlite.blobopen("media", "content", inserted.lastrowid) as blob:
        remaining = medium.size
        while remaining:
            chunk = source.read(min(CHUNK, remaining))
            if not chunk:
                raise ValueError(f"The upload of {medium.sid} ended {remaining} bytes short.")
            blob.write(chunk)
            remaining -= len(chunk)


def _insert_postgresql(conn: Connection, medium: Medium, source: BinaryIO) -> None:
    conn.execute(_CREATE_UPLOAD)
    conn.execute(_UNCOMPRESSED_UPLOAD)
    adapted = conn.connection.dbapi_connection
    assert isinstance(adapted, AdaptedConnection)  # SQLAlchemy's asyncpg adapter

    def copy(asyncpg: Any) -> Any:  # runs on the event loop, inside this transaction
        rows = _copy_rows(source, medium.size)
        return asyncpg.copy_to_table(_UPLOAD, source=rows, format="binary")

    adapted.run_async(copy)
    conn.execute(_INSERT_COPIED, vars(medium))
    conn.execute(_DROP_UPLOAD)  # a second upload in one transaction creates it again


async def _copy_rows(source: BinaryIO, size: int) -> AsyncIterator[bytes]:
    """The COPY binary stream of one row holding `source`'s `size` bytes; the file is read
    in a thread, a chunk at a time."""
    await asyncio.to_thread(source.seek, 0)
    yield _COPY_HEADER + struct.pack("!hi", 1, size)
    remaining = size
    while remaining:
        chunk = await asyncio.to_thread(source.read, min(CHUNK, remaining))
        if not chunk:
            raise ValueError(f"The upload ended {remaining} bytes short.")
        remaining -= len(chunk)
        yield chunk
    yield _COPY_TRAILER


def get_medium(conn: Connection, service_sid: str, sid: str) -> Medium | None:
    row = conn.execute(_GET, {"service_sid": service_sid, "sid": sid}).first()
    return _MEDIA.from_row(row) if row else None


class ContentReader:
    """One medium's content, read by ranges, each in one read of a `Database.read_series`.

    SQLite reads through a BLOB handle, which reaches an offset by walking the content's
    overflow pages from its start, unless it has walked them already. So the handle is
    kept while the series' reads share one transaction (a handle per range walked 2 s
    for a 100 MiB download, one handle 0.2 s), and closed after each read otherwise (a
    handle left open would hold the shared connection's snapshot). `close` when done.
    """

    def __init__(self, service_sid: str, sid: str, one_transaction: bool) -> None:
        self._params = {"service_sid": service_sid, "sid": sid}
        self._keep = one_transaction
        self._blob: sqlite3.Blob | None = None

    def read(self, conn: Connection, offset: int, length: int) -> bytes | None:
        """At most `length` bytes from byte `offset` (fewer at the end); None if the
        service holds no such medium (any more)."""
        if conn.dialect.name != "sqlite":
            params = {**self._params, "start": offset + 1, "length": length}
            found: bytes | None = conn.execute(_CONTENT_SLICE, params).scalar_one_or_none()
            return found
        if self._blob is None:
            rowid = conn.execute(_ROWID, self._params).scalar_one_or_none()
            if rowid is None:
                return None
            sqlite = conn.connection.driver_connection
            assert isinstance(sqlite, sqlite3.Connection)
            self._blob = sqlite.blobopen("media", "content", rowid, readonly=True)
        self._blob.seek(offset)
        chunk = self._blob.read(length)
        if not self._keep:
            self.close()
        return chunk

    def close(self) -> None:
        if self._blob is not None:
            self._blob.close()
            self._blob = None


def attach(
    conn: Connection,
    sids: Sequence[str],
    message_sid: str,
    conversation_sid: str,
    now: datetime,
) -> int:
    """Attach the free media of `sids` to the message; how many were free."""
    params = [
        {
            "match_sid": sid,
            "message_sid": message_sid,
            "conversation_sid": conversation_sid,
            "date_updated": now,
        }
        for sid in sids
    ]
    attached = 0
    for one in params:  # one at a time: executemany gives no row counts on every driver
        attached += conn.execute(_ATTACH, one).rowcount
    return attached
