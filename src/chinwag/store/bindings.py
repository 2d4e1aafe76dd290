"""Push bindings: a service user's device registrations, one per (type, endpoint)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import bindings
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Binding:
    sid: str
    account_sid: str
    service_sid: str
    identity: str
    binding_type: str
    endpoint: str
    credential_sid: str | None
    message_types: list[str]
    date_created: datetime
    date_updated: datetime


@dataclass(frozen=True)
class BindingFilter:
    """The list filters of the spec: any of these types, any of these identities (None: all)."""

    binding_types: Sequence[str] | None = None
    identities: Sequence[str] | None = None


_BINDINGS = RecordMapper(
    bindings,
    Binding,
    fixed={"sid", "account_sid", "service_sid", "binding_type", "endpoint", "date_created"},
)
_BY_SID = select(*_BINDINGS.columns).where(
    bindings.c.service_sid == bindparam("service_sid"), bindings.c.sid == bindparam("sid")
)
_BY_ENDPOINT = select(*_BINDINGS.columns).where(
    bindings.c.service_sid == bindparam("service_sid"),
    bindings.c.binding_type == bindparam("binding_type"),
    bindings.c.endpoint == bindparam("endpoint"),
)
_DELETE = delete(bindings).where(bindings.c.sid == bindparam("sid"))
_DELETE_FOR_IDENTITY = delete(bindings).where(
    bindings.c.service_sid == bindparam("service_sid"),
    bindings.c.identity == bindparam("identity"),
)


def insert_binding(conn: Connection, binding: Binding) -> None:
    _BINDINGS.insert(conn, binding)


def save_binding(conn: Connection, binding: Binding) -> None:
    _BINDINGS.save(conn, binding)


def get_binding(conn: Connection, service_sid: str, sid: str) -> Binding | None:
    row = conn.execute(_BY_SID, {"service_sid": service_sid, "sid": sid}).first()
    return _BINDINGS.from_row(row) if row else None


def get_by_endpoint(
    conn: Connection, service_sid: str, binding_type: str, endpoint: str
) -> Binding | None:
    params = {"service_sid": service_sid, "binding_type": binding_type, "endpoint": endpoint}
    row = conn.execute(_BY_ENDPOINT, params).first()
    return _BINDINGS.from_row(row) if row else None


def list_bindings(
    conn: Connection, service_sid: str, filters: BindingFilter, request: PageRequest
) -> Page:
    query = select(*_BINDINGS.columns).where(bindings.c.service_sid == service_sid)
    if filters.binding_types is not None:
        query = query.where(bindings.c.binding_type.in_(filters.binding_types))
    if filters.identities is not None:
        query = query.where(bindings.c.identity.in_(filters.identities))
    return fetch_page(conn, query, bindings.c.id, request, _BINDINGS.from_row)


def delete_binding(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def delete_for_identity(conn: Connection, service_sid: str, identity: str) -> None:
    """Every binding the identity registered in the service (its user is being deleted)."""
    conn.execute(_DELETE_FOR_IDENTITY, {"service_sid": service_sid, "identity": identity})


def bindings_of(conn: Connection, service_sid: str, identities: Sequence[str]) -> list[Binding]:
    """The bindings of these identities in the service, in the order they were registered."""
    if not identities:
        return []
    query = (
        select(*_BINDINGS.columns)
        .where(bindings.c.service_sid == service_sid, bindings.c.identity.in_(list(identities)))
        .order_by(bindings.c.id)
    )
    return [_BINDINGS.from_row(row) for row in conn.execute(query)]


def identities_with_binding(
    conn: Connection, service_sid: str, identities: Sequence[str], binding_types: Sequence[str]
) -> set[str]:
    """Which of these identities have a binding of one of these types, in one query."""
    if not identities:
        return set()
    query = select(bindings.c.identity).where(
        bindings.c.service_sid == service_sid,
        bindings.c.identity.in_(list(identities)),
        bindings.c.binding_type.in_(list(binding_types)),
    )
    return {row[0] for row in conn.execute(query)}
