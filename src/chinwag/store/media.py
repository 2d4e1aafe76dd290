"""Media: uploaded files, their bytes, and the message each is attached to."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from chinwag.store.records import RecordMapper
from chinwag.store.tables import media


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
_CONTENT = select(media.c.content).where(
    media.c.service_sid == bindparam("service_sid"), media.c.sid == bindparam("sid")
)
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


def insert_medium(conn: Connection, medium: Medium, content: bytes) -> None:
    conn.execute(media.insert(), {**vars(medium), "content": content})


def get_medium(conn: Connection, service_sid: str, sid: str) -> Medium | None:
    row = conn.execute(_GET, {"service_sid": service_sid, "sid": sid}).first()
    return _MEDIA.from_row(row) if row else None


def get_content(conn: Connection, service_sid: str, sid: str) -> bytes | None:
    content: bytes | None = conn.execute(
        _CONTENT, {"service_sid": service_sid, "sid": sid}
    ).scalar_one_or_none()
    return content


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
