"""Roles: named sets of permissions for a service's users or its conversations' participants."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import participants, roles, users
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Role:
    sid: str
    account_sid: str
    service_sid: str
    friendly_name: str
    type: str  # "conversation" or "service"
    permissions: list[str]
    date_created: datetime
    date_updated: datetime


_ROLES = RecordMapper(
    roles, Role, fixed={"sid", "account_sid", "service_sid", "friendly_name", "type"}
)
_BY_SID = select(*_ROLES.columns).where(
    roles.c.service_sid == bindparam("service_sid"), roles.c.sid == bindparam("sid")
)
# Row locks (PostgreSQL; SQLite has one writer and renders none): whoever gives a role
# shares its row, deleting it takes the row for update (domain/roles.py says why).
_LOCKED = {
    None: _BY_SID,
    "share": _BY_SID.with_for_update(read=True),
    "update": _BY_SID.with_for_update(),
}
_LIST = select(*_ROLES.columns).where(roles.c.service_sid == bindparam("service_sid"))
_DELETE = delete(roles).where(roles.c.sid == bindparam("sid"))
_PARTICIPANT_WITH_ROLE = (
    select(participants.c.sid).where(participants.c.role_sid == bindparam("sid")).limit(1)
)
_USER_WITH_ROLE = select(users.c.sid).where(users.c.role_sid == bindparam("sid")).limit(1)


def insert_roles(conn: Connection, new: list[Role]) -> None:
    _ROLES.insert_all(conn, new)


def save_role(conn: Connection, role: Role) -> None:
    _ROLES.save(conn, role)


def get_role(
    conn: Connection, service_sid: str, sid: str, lock: Literal["share", "update"] | None = None
) -> Role | None:
    row = conn.execute(_LOCKED[lock], {"service_sid": service_sid, "sid": sid}).first()
    return _ROLES.from_row(row) if row else None


def list_roles(conn: Connection, service_sid: str, request: PageRequest) -> Page:
    query = _LIST.params(service_sid=service_sid)
    return fetch_page(conn, query, roles.c.id, request, _ROLES.from_row)


def delete_role(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def holder(conn: Connection, sid: str) -> str | None:
    """The SID of a participant or user that has the role `sid`, if any.

    Role SIDs are unique across services, so no service filter is needed; neither
    table is indexed on `role_sid`: a scan, which deleting a role (rare) can afford.
    """
    found: str | None = conn.execute(_PARTICIPANT_WITH_ROLE, {"sid": sid}).scalar()
    if found is None:
        found = conn.execute(_USER_WITH_ROLE, {"sid": sid}).scalar()
    return found
