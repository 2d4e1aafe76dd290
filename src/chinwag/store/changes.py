"""The change feed: which conversations a committed unit of work changed, told to listeners.

A unit of work that changes a conversation says so (`mark_changed`, called by
`domain/publishing.publish`, which every change of a conversation passes through).
Once it commits, the `Database` tells its change listeners: in this process at once,
and on PostgreSQL every process by NOTIFY on `CHANGES_CHANNEL`, sent inside the
transaction so it is delivered at commit and never for a rolled-back change. This is
the deliveries doorbell's machinery (store/database.py) carrying a payload.

Nothing is stored: a listener (a client SDK's socket) re-reads the model and sends
what differs from what its client has (twilsock/feed.py). An idle server sends nothing.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

CHANGES_CHANNEL = "chinwag_changes"
_CHANGED = "chinwag.changed"  # in the connection's `info`: what `mark_changed` was told
_USERS = "chinwag.users_changed"  # and what `mark_user_changed` was told


@dataclass(frozen=True)
class Change:
    """A conversation changed (`typing` None), or someone is typing in it (not stored), or
    (`user_sid` given, no conversation) a user's friendly name or attributes changed.

    `messages` are the indexes of the messages added, updated or removed; when
    `messages_only`, nothing else of the conversation changed (not its row, not its
    participants), so a listener reads those messages and nothing more. `service_sid`
    "*" means "something changed, re-read everything": SQLite tells other processes
    only that the file changed (`PRAGMA data_version`).
    """

    service_sid: str
    conversation_sid: str
    typing: str | None = None
    messages: tuple[int, ...] = ()
    messages_only: bool = False
    user_sid: str | None = None

    def encode(self) -> str:
        fields: dict[str, Any] = {"s": self.service_sid, "c": self.conversation_sid}
        if self.typing is not None:
            fields["t"] = self.typing
        if self.messages:
            fields["m"] = list(self.messages)
        if self.messages_only:
            fields["o"] = 1
        if self.user_sid is not None:
            fields["u"] = self.user_sid
        return json.dumps(fields, separators=(",", ":"))

    @staticmethod
    def decode(payload: str) -> "Change":
        fields = json.loads(payload)
        messages = tuple(int(index) for index in fields.get("m", ()))
        user = fields.get("u")
        return Change(
            str(fields["s"]),
            str(fields["c"]),
            fields.get("t"),
            messages,
            bool(fields.get("o")),
            None if user is None else str(user),
        )


ANYTHING = Change("*", "*")


def mark_changed(
    conn: Connection, service_sid: str, conversation_sid: str, message_index: int | None = None
) -> None:
    """The unit of work on `conn` changed this conversation (only its message at
    `message_index`, when given): tell listeners at commit."""
    marked: dict[tuple[str, str], tuple[bool, set[int]]] = conn.info.setdefault(_CHANGED, {})
    only, indexes = marked.get((service_sid, conversation_sid), (True, set()))
    if message_index is None:
        only = False
    else:
        indexes.add(message_index)
    marked[(service_sid, conversation_sid)] = (only, indexes)


def mark_user_changed(conn: Connection, service_sid: str, user_sid: str) -> None:
    """The unit of work on `conn` changed this user (friendly name, attributes): the
    sockets holding its `US….info` map re-read it at commit. A user has no conversation,
    so without this a change reached clients only by SQLite's whole re-read."""
    users: set[tuple[str, str]] = conn.info.setdefault(_USERS, set())
    users.add((service_sid, user_sid))


def take_changed(conn: Connection | None) -> list[str]:
    """The encoded changes marked on `conn`, one per conversation and per user, forgetting
    them (`info` outlives the transaction, as the deliveries mark does)."""
    if conn is None:
        return []
    marked = conn.info.pop(_CHANGED, {})
    users = conn.info.pop(_USERS, set())
    return [
        Change(service, conversation, None, tuple(sorted(indexes)), only).encode()
        for (service, conversation), (only, indexes) in sorted(marked.items())
    ] + [Change(service, "", user_sid=user).encode() for service, user in sorted(users)]


class ChangeBell:
    """Listeners of this process's committed changes (and of other processes' NOTIFYs)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[Change], None]] = []

    def subscribe(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def heard(self) -> bool:
        return bool(self._listeners)

    def ring(self, payload: str) -> None:
        try:
            change = Change.decode(payload)
        except (ValueError, KeyError, TypeError):
            return
        for listener in list(self._listeners):
            listener(change)
