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
_CHANGED = "chinwag.changed"  # a set of encoded Change, in the connection's `info`


@dataclass(frozen=True)
class Change:
    """A conversation changed (`typing` None), or someone is typing in it (not stored).

    `service_sid` "*" means "something changed, re-read everything": SQLite tells other
    processes only that the file changed (`PRAGMA data_version`).
    """

    service_sid: str
    conversation_sid: str
    typing: str | None = None

    def encode(self) -> str:
        fields: dict[str, Any] = {"s": self.service_sid, "c": self.conversation_sid}
        if self.typing is not None:
            fields["t"] = self.typing
        return json.dumps(fields, separators=(",", ":"))

    @staticmethod
    def decode(payload: str) -> "Change":
        fields = json.loads(payload)
        return Change(str(fields["s"]), str(fields["c"]), fields.get("t"))


ANYTHING = Change("*", "*")


def mark_changed(conn: Connection, service_sid: str, conversation_sid: str) -> None:
    """The unit of work on `conn` changed this conversation: tell listeners at commit."""
    conn.info.setdefault(_CHANGED, set()).add(Change(service_sid, conversation_sid).encode())


def take_changed(conn: Connection | None) -> list[str]:
    """The encoded changes marked on `conn`, forgetting them (`info` outlives the
    transaction, as the deliveries mark does)."""
    if conn is None:
        return []
    return sorted(conn.info.pop(_CHANGED, ()))


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
