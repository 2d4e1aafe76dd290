"""Recorded push notifications: the FCM or APNs payload Twilio would send to each binding."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import pushes
from chinwag.twilio.pagination import Page, PageRequest


@dataclass(frozen=True)
class Push:
    sid: str  # also the payload's `twi_message_id`
    account_sid: str
    service_sid: str
    conversation_sid: str
    message_sid: str | None  # new-message pushes only
    message_type: str  # as a binding's message types name it: new_message, ...
    identity: str
    binding_sid: str
    binding_type: str  # apn, fcm or gcm
    address: str  # the binding's endpoint: the device's push token
    credential_sid: str | None
    payload: dict[str, Any]
    date_created: datetime


@dataclass(frozen=True)
class PushFilter:
    """Which pushes a list shows; None means any. The API names an account and a service,
    the operator's CLI may name neither."""

    account_sid: str | None = None
    service_sid: str | None = None
    identity: str | None = None
    conversation_sid: str | None = None
    message_type: str | None = None


_PUSHES = RecordMapper(pushes, Push)


def insert_pushes(conn: Connection, recorded: Sequence[Push]) -> None:
    for push in recorded:
        _PUSHES.insert(conn, push)


def list_pushes(conn: Connection, where: PushFilter, request: PageRequest) -> Page:
    """The pushes `where` names, newest first."""
    query = select(*_PUSHES.columns)
    for column, value in (
        (pushes.c.account_sid, where.account_sid),
        (pushes.c.service_sid, where.service_sid),
        (pushes.c.identity, where.identity),
        (pushes.c.conversation_sid, where.conversation_sid),
        (pushes.c.message_type, where.message_type),
    ):
        if value is not None:
            query = query.where(column == value)
    return fetch_page(conn, query, pushes.c.id, request, _PUSHES.from_row, descending=True)
