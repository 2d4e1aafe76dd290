"""Dashboard sessions ended by signing out: what every server checks a session cookie against."""

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select

from chinwag.store.tables import signed_out_sessions as table

_END = insert(table)
_FORGET_EXPIRED = delete(table).where(table.c.expires_at <= bindparam("now"))
_IS_ENDED = select(table.c.session_sha256).where(table.c.session_sha256 == bindparam("sha256"))


def end_session(conn: Connection, session_sha256: str, expires_at: datetime, now: datetime) -> None:
    """Record the session as ended until `expires_at`; rows of expired sessions go, as
    their cookies are refused by their age alone."""
    conn.execute(_FORGET_EXPIRED, {"now": now})
    if not is_ended(conn, session_sha256):  # signed out twice: once is recorded
        conn.execute(_END, {"session_sha256": session_sha256, "expires_at": expires_at})


def is_ended(conn: Connection, session_sha256: str) -> bool:
    return conn.execute(_IS_ENDED, {"sha256": session_sha256}).first() is not None
