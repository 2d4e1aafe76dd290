"""Open client SDK sockets, one row each with a lease: who is online, on every server."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from chinwag.store.tables import socket_presence as table

_OPEN = insert(table)
_RENEW = (
    update(table)
    .where(table.c.socket_id.in_(bindparam("socket_ids", expanding=True)))
    .values(expires_at=bindparam("expires_at"))
)
_CLOSE = delete(table).where(table.c.socket_id == bindparam("socket_id"))
_LIVE = select(table.c.socket_id).where(
    table.c.user_sid == bindparam("user_sid"), table.c.expires_at > bindparam("now")
)
_ONLINE = (
    select(table.c.user_sid)
    .where(
        table.c.user_sid.in_(bindparam("user_sids", expanding=True)),
        table.c.expires_at > bindparam("now"),
    )
    .group_by(table.c.user_sid)
)
_EXPIRED = select(table.c.socket_id, table.c.service_sid, table.c.user_sid).where(
    table.c.expires_at <= bindparam("now")
)
_FORGET = delete(table).where(table.c.socket_id.in_(bindparam("socket_ids", expanding=True)))


def open_socket(
    conn: Connection,
    socket_id: str,
    account_sid: str,
    service_sid: str,
    user_sid: str,
    expires_at: datetime,
) -> None:
    conn.execute(
        _OPEN,
        {
            "socket_id": socket_id,
            "account_sid": account_sid,
            "service_sid": service_sid,
            "user_sid": user_sid,
            "expires_at": expires_at,
        },
    )


def renew(conn: Connection, socket_ids: Sequence[str], expires_at: datetime) -> set[str]:
    """Extend the leases of these sockets; the ones that have no row any more (a Reset,
    a sweep after a pause longer than the lease) are returned, to be opened again."""
    if not socket_ids:
        return set()
    conn.execute(_RENEW, {"socket_ids": list(socket_ids), "expires_at": expires_at})
    query = select(table.c.socket_id).where(table.c.socket_id.in_(list(socket_ids)))
    return set(socket_ids) - {row[0] for row in conn.execute(query)}


def close_socket(conn: Connection, socket_id: str) -> None:
    conn.execute(_CLOSE, {"socket_id": socket_id})


def is_online(conn: Connection, user_sid: str, now: datetime) -> bool:
    return conn.execute(_LIVE, {"user_sid": user_sid, "now": now}).first() is not None


def online_of(conn: Connection, user_sids: Sequence[str], now: datetime) -> set[str]:
    """Which of these users have a live socket, in one query."""
    if not user_sids:
        return set()
    rows = conn.execute(_ONLINE, {"user_sids": list(user_sids), "now": now})
    return {row[0] for row in rows}


def take_expired(conn: Connection, now: datetime) -> list[tuple[str, str]]:
    """Forget the sockets whose lease ran out (their server stopped renewing): the
    (service SID, user SID) of each, whose users may now be offline."""
    rows = conn.execute(_EXPIRED, {"now": now}).all()
    if rows:
        conn.execute(_FORGET, {"socket_ids": [row.socket_id for row in rows]})
    return sorted({(row.service_sid, row.user_sid) for row in rows})
