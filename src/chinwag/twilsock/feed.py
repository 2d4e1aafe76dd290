"""Live Sync events: what one client has heard of each object, and what changed since.

Nothing is logged per change. When a conversation changes (store/changes.py), a
socket re-reads the objects its client subscribed to under it and sends the
difference as Sync events (`list_item_added`, `map_item_updated`, `document_updated`,
...), in the order the SDK applies them (twilio-sync 4.0.1 `src/subscriptions.ts`,
`src/synclist.ts`, `src/syncmap.ts`). A subscription replays what changed after the
client's `last_event_id` first, then says `subscription_established`, so nothing
between the client's fetch and its subscription is lost.

Event ids are the rows' times (domain/client_state.event_id); a change whose time did
not move past what the client holds gets the next id, since the SDK drops an event
whose id it has already seen for that item.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from chinwag.domain.client_state import event_id
from chinwag.twilio.dates import to_json, utc_now
from chinwag.twilsock.sync_shapes import SyncObject

SYNC_EVENT = "twilio.sync.event"  # strictly ordered events (twilio-sync src/client.ts)
_SID_FIELD = {"document": "document_sid", "list": "list_sid", "map": "map_sid"}


@dataclass
class Subscriptions:
    """One socket's subscribed objects, as its client last heard of them. A list (a
    conversation's messages) is held without its items: its history may be long, and a
    change names the items it touched (`diff_items`)."""

    known: dict[str, SyncObject] = field(default_factory=dict)
    last_sent: dict[str, int] = field(default_factory=dict)

    def establish(
        self, current: SyncObject, last_event_id: int | None, correlation_id: Any
    ) -> list[dict[str, Any]]:
        """The replay after `last_event_id`, then `subscription_established`."""
        since = last_event_id or 0
        self.last_sent[current.sid] = since
        events = []
        if current.kind == "document":
            if current.event_id > since:
                events.append(self._document_event(current))
        else:
            for key in sorted(current.items):
                item = current.items[key]
                if item.event_id > since:
                    kind = "added" if item.created_id > since else "updated"
                    events.append(self._item_event(current, key, kind))
            for key in sorted(set(current.removed) - set(current.items)):  # while away
                events.append(self._removed_event(current, key))
        self.known[current.sid] = replace(current, items={}) if current.kind == "list" else current
        established = {
            "object_sid": current.sid,
            "object_type": current.kind,
            "replay_status": "completed",
            "last_event_id": max(current.event_id, self.last_sent[current.sid]),
        }
        events.append(_payload("subscription_established", established, correlation_id))
        return events

    def cancel(self, sid: str, kind: str, correlation_id: Any) -> dict[str, Any]:
        self.known.pop(sid, None)
        self.last_sent.pop(sid, None)
        return _payload(
            "subscription_canceled", {"object_sid": sid, "object_type": kind}, correlation_id
        )

    def subscribed_under(self, conversation_sid: str) -> list[str]:
        """The subscribed objects of one conversation ("*": all of them)."""
        if conversation_sid == "*":
            return list(self.known)
        return [sid for sid in self.known if sid.startswith(f"{conversation_sid}.")]

    def reads_for(
        self,
        changed: dict[str, tuple[bool, set[int]]],
        conversations_map: str,
        users: frozenset[str] = frozenset(),
    ) -> dict[str, list[int] | None]:
        """What to re-read after `changed` (conversation -> (messages only?, message
        indexes)) and after changes of the `users` (their SIDs): each subscribed object
        with the items that may differ (None: all). A messages list is read at the
        changed indexes only, whole after `ANYTHING`; a change to messages alone leaves the
        user's conversations map and rosters be; a user's change, its `US….info` map."""
        whole = "*" in changed
        reads: dict[str, list[int] | None] = {f"{user}.info": None for user in sorted(users)}
        if not all(only for only, _ in changed.values()):
            reads[conversations_map] = None
        for conversation_sid, (only, indexes) in sorted(changed.items()):
            for sid in self.subscribed_under(conversation_sid):
                if sid.endswith(".messages") and not whole:
                    reads[sid] = sorted(indexes)
                elif not (only and sid.endswith(".roster")):
                    reads[sid] = None
        return {sid: items for sid, items in reads.items() if sid in self.known}

    def diff(self, current: SyncObject | None, sid: str) -> list[dict[str, Any]]:
        """The events that take the client from what it heard to `current` (None: gone)."""
        before = self.known.get(sid)
        if before is None:
            return []
        if current is None:  # removed, or the user left: the SDK closes it
            self.known.pop(sid, None)
            kind = before.kind
            removed = {_SID_FIELD[kind]: sid, "id": self._next_id(sid, 0)}
            return [_payload(f"{kind}_removed", removed)]
        self.known[sid] = current
        if current.kind == "document":
            return [self._document_event(current)] if current.data != before.data else []
        return self._item_events(before, current, set(before.items) | set(current.items))

    def diff_items(
        self, part: SyncObject | None, sid: str, keys: list[Any]
    ) -> list[dict[str, Any]]:
        """The events for a list of which only the items at `keys` may have changed; `part`
        holds those of them that exist (None: the list is gone). An item is new to the
        client when it was created after the last event the client heard of the list."""
        before = self.known.get(sid)
        if before is None or part is None:
            return self.diff(part, sid)
        heard = self.last_sent.get(sid, 0)
        events = []
        for key in sorted(keys):
            item = part.items.get(key)
            if item is None:
                events.append(self._removed_event(before, key))
            else:
                kind = "added" if item.created_id > heard else "updated"
                events.append(self._item_event(part, key, kind))
        self.known[sid] = replace(before, event_id=max(before.event_id, part.event_id))
        return events

    def _item_events(
        self, before: SyncObject, current: SyncObject, keys: set[Any]
    ) -> list[dict[str, Any]]:
        events = []
        for key in sorted(keys):
            old, new = before.items.get(key), current.items.get(key)
            if new is None:
                events.append(self._removed_event(before, key))
            elif old is None:
                events.append(self._item_event(current, key, "added"))
            elif old.data != new.data:
                events.append(self._item_event(current, key, "updated"))
        return events

    def _next_id(self, sid: str, wanted: int) -> int:
        """`wanted` (0: now), or past every id this client heard of the object: it then
        exceeds the item's own previous id too, which the SDK compares against."""
        chosen = max(wanted or event_id(utc_now()), self.last_sent.get(sid, 0) + 1)
        self.last_sent[sid] = chosen
        return chosen

    def _document_event(self, current: SyncObject) -> dict[str, Any]:
        number = self._next_id(current.sid, current.event_id)
        event = {
            "document_sid": current.sid,
            "id": number,
            "document_revision": str(number),
            "document_data": current.data,
            "date_created": to_json(utc_now()),
        }
        return _payload("document_updated", event)

    def _item_event(self, current: SyncObject, key: Any, kind: str) -> dict[str, Any]:
        item = current.items[key]
        number = self._next_id(current.sid, item.event_id)
        event = {
            _SID_FIELD[current.kind]: current.sid,
            "id": number,
            "item_url": f"{current.url}/Items/{key}",
            "item_revision": str(number),
            "item_data": item.data,
            "date_created": to_json(utc_now()),
        }
        event["item_index" if current.kind == "list" else "item_key"] = key
        return _payload(f"{current.kind}_item_{kind}", event)

    def _removed_event(self, before: SyncObject, key: Any) -> dict[str, Any]:
        event = {
            _SID_FIELD[before.kind]: before.sid,
            "id": self._next_id(before.sid, 0),
            # a list holds no items: the SDK finds the removed one by its index
            "item_data": before.items[key].data if key in before.items else {},
            "date_created": to_json(utc_now()),
        }
        event["item_index" if before.kind == "list" else "item_key"] = key
        return _payload(f"{before.kind}_item_removed", event)


def _payload(event_type: str, event: dict[str, Any], correlation_id: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"event_type": event_type, "event": event}
    if correlation_id is not None:
        body["correlation_id"] = correlation_id
    return body
