"""The Sync objects the SDK reads, as views of the model, and their JSON shapes.

Object ids (opaque to the SDK, which also guesses `CH….channel` and `CH….roster`,
twilio-conversations `src/data/conversations.ts`):
- `CH….channel` the conversation (a document), `CH….messages` its messages (a list
  keyed by message index), `CH….roster` its participants (a map keyed by SID);
- `US….conversations` a user's conversations (a map keyed by conversation SID),
  `US….info` a user's info (a map: friendlyName, attributes, reachability).
Item shapes are the ones twilio-conversations 3.0.1 reads (`src/message.ts`,
`src/participant.ts`, `src/conversation.ts`, `src/user.ts`). Event ids come from the
rows' times (domain/client_state.event_id).
"""

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import Connection

from chinwag.domain import client_state as state
from chinwag.domain.addresses import binding_type
from chinwag.domain.client_state import EPOCH, ClientSession, event_id, event_time
from chinwag.domain.reachability import reachability_of
from chinwag.domain.receipts import (
    DeliverySummary,
    delivery_of,
    messages_with_receipts_changed_after,
    receipts_changed,
)
from chinwag.store.conversations import Conversation
from chinwag.store.messages import Message
from chinwag.store.participants import Participant
from chinwag.store.users import User
from chinwag.twilio.dates import to_json, utc_now

CDS = "https://cds.us1.twilio.com/v3"
LAST_INDEX = 2**31 - 1  # the largest message index (an INTEGER column): a descending start
KINDS = {"document": "Documents", "list": "Lists", "map": "Maps"}


@dataclass(frozen=True)
class Item:
    event_id: int
    data: dict[str, Any]
    created_id: int = 0  # the event id of the item's creation: replay says "added" after it


@dataclass(frozen=True)
class SyncObject:
    """One document, list or map as it stands: its items (a list's keys are ints)."""

    kind: str
    sid: str
    event_id: int
    data: dict[str, Any] = field(default_factory=dict)  # a document's
    items: dict[Any, Item] = field(default_factory=dict)
    # Keys removed after the event a read was asked from, with their removals' ids.
    removed: dict[Any, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{CDS}/{KINDS[self.kind]}/{self.sid}"

    def descriptor(self, with_items: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sid": self.sid,
            "unique_name": None,
            "url": self.url,
            "revision": str(self.event_id),
            "last_event_id": self.event_id,
            "date_updated": to_json(utc_now()),
            "date_expires": None,
        }
        if self.kind == "document":
            body["data"] = self.data
        else:
            body["links"] = {"items": f"{self.url}/Items"}
            if with_items:
                body["items"] = [self.item_json(key) for key in sorted(self.items)]
        return body

    def item_json(self, key: Any) -> dict[str, Any]:
        item = self.items[key]
        body = {
            "url": f"{self.url}/Items/{key}",
            "revision": str(item.event_id),
            "last_event_id": item.event_id,
            "data": item.data,
            "date_updated": to_json(utc_now()),
            "date_expires": None,
        }
        body["index" if self.kind == "list" else "key"] = key
        return body


def read_object(
    conn: Connection, session: ClientSession, sid: str, since: int | None = None
) -> SyncObject | None:
    """The object `sid` names, if the session's user may read it. A messages list is never
    read whole: it comes with its event id and the items changed after event `since`
    (none when not given); its pages are read by `messages_page`."""
    owner, _, suffix = sid.partition(".")
    if suffix in ("conversations", "info") and owner.startswith("US"):
        if suffix == "conversations":
            return my_conversations(conn, session) if owner == session.user.sid else None
        return user_info(conn, session, owner)
    if suffix not in ("channel", "messages", "roster") or not owner.startswith("CH"):
        return None
    if suffix == "channel":  # what `peekConversationBySid` reads, so that `join()` can follow
        return conversation_document(conn, session, owner)
    if not state.takes_part(conn, session, owner):
        return None  # messages and roster: only the conversations the user takes part in
    if suffix == "messages":
        found = messages_list(conn, owner, since)
        removed = _removed(conn, owner, "messages", since)
        return replace(found, removed={int(key): event for key, event in removed.items()})
    return replace(roster_map(conn, session, owner), removed=_removed(conn, owner, "roster", since))


def _removed(
    conn: Connection, conversation_sid: str, object: str, since: int | None
) -> dict[str, int]:
    """What left the object after `since` (nothing asked: none), for a client that was away."""
    return {} if not since else state.removed_after(conn, conversation_sid, object, since)


def my_conversations(conn: Connection, session: ClientSession) -> SyncObject:
    items = {}
    for view in state.memberships(conn, session):
        sid = view.conversation_sid
        data = {
            "status": "joined",
            "channel": f"{sid}.channel",
            "messages": f"{sid}.messages",
            "roster": f"{sid}.roster",
            "lastConsumedMessageIndex": view.last_read_message_index,
            "notificationLevel": view.notification_level,
        }
        participant = state.participant(conn, sid, view.participant_sid)
        when = participant.date_updated if participant else view.date_updated
        created = participant.date_created if participant else view.date_created
        items[sid] = Item(event_id(when), data, event_id(created))
    return SyncObject("map", f"{session.user.sid}.conversations", _latest(items), items=items)


def user_info(conn: Connection, session: ClientSession, user_sid: str) -> SyncObject | None:
    found = state.user_by_sid(conn, session, user_sid)
    if found is None:
        return None
    when = event_id(found.date_updated)
    items = {
        "friendlyName": Item(when, {"value": found.friendly_name}),
        "attributes": Item(when, {"value": found.attributes}),
        "reachability": _reachability(conn, found, when),
    }
    return SyncObject("map", f"{user_sid}.info", when, items=items)


def _reachability(conn: Connection, user: User, when: int) -> Item:
    """`{online, notifiable}`, null while the service has reachability off; numbered now
    when on, so that a client subscribing again hears a change it missed (the SDK
    compares the values and tells nothing when they are the same)."""
    now = utc_now()
    found = reachability_of(conn, user, now)
    if found is None:
        return Item(when, {"online": None, "notifiable": None})
    return Item(event_id(now), {"online": found.online, "notifiable": found.notifiable})


def conversation_document(conn: Connection, session: ClientSession, sid: str) -> SyncObject | None:
    found = state.conversation(conn, session, sid)
    return None if found is None else _document(conn, found)


def shared_document(conn: Connection, service_sid: str, sid: str) -> SyncObject | None:
    """A `CH….channel` document, read once for every socket of the service holding it
    (any of them may read it by its SID: `conversation_document`)."""
    found = state.in_service(conn, service_sid, sid.partition(".")[0])
    return None if found is None else _document(conn, found)


def _document(conn: Connection, found: Conversation) -> SyncObject:
    sid = found.sid
    last = state.last_message(conn, sid)
    data: dict[str, Any] = {
        "sid": sid,
        "friendlyName": found.friendly_name,
        "uniqueName": found.unique_name,
        "attributes": found.attributes,
        "createdBy": "system",
        "dateCreated": to_json(found.date_created),
        "dateUpdated": to_json(found.date_updated),
        "messages": f"{sid}.messages",
        "roster": f"{sid}.roster",
        "state": {"current": found.state, "dateUpdated": to_json(found.date_updated)},
    }
    when = event_id(found.date_updated)
    if last is not None:
        data["lastMessage"] = {"index": last.index, "timestamp": to_json(last.date_created)}
        when = max(when, event_id(last.date_created))
    return SyncObject("document", f"{sid}.channel", when, data=data)


def message_data(message: Message, delivery: DeliverySummary | None = None) -> dict[str, Any]:
    """A message item; `delivery` (its receipts' summary, REST's `delivery`) is the SDK's
    `aggregatedDeliveryReceipt`, given only when the message has receipts."""
    data: dict[str, Any] = {
        "sid": message.sid,
        "author": message.author,
        "text": message.body,
        "attributes": message.attributes,
        "timestamp": to_json(message.date_created),
        "dateUpdated": to_json(message.date_updated),
        "memberSid": message.participant_sid,
        "type": "media" if message.media else "text",
        "medias": [media_descriptor(item) for item in message.media] if message.media else None,
        "contentSid": message.content_sid,
    }
    if delivery is not None:
        data["delivery"] = asdict(delivery)
    return data


def media_descriptor(item: dict[str, Any]) -> dict[str, Any]:
    """One of a message's media as the SDK's `Media` reads it (src/media.ts: `sid`,
    `category`, `filename`, `contentType`, `size`), from REST's `media` item: the same
    medium, whether the SDK, REST's `MediaSid` or an inbound `MediaUrl` attached it."""
    return {
        "sid": item["sid"],
        "category": item.get("category") or "media",
        "filename": item.get("filename"),
        "contentType": item["content_type"],
        "size": item["size"],
    }


def messages_list(conn: Connection, sid: str, since: int | None = None) -> SyncObject:
    changed = [] if since is None else state.messages_changed_after(conn, sid, since)
    if since is not None:  # a message's item changes with its receipts too
        known = {message.sid for message in changed}
        changed += messages_with_receipts_changed_after(conn, sid, event_time(since), known)
    found = _messages_object(conn, sid, changed)
    return replace(found, event_id=state.newest_message_event(conn, sid))


def messages_page(
    conn: Connection,
    session: ClientSession,
    sid: str,
    first: int | None,
    descending: bool,
    size: int,
) -> tuple[SyncObject, bool, bool] | None:
    """A page of a `CH….messages` list from index `first` (the start, when None): the list
    with those items, whether items come before them and whether after (None: not yours)."""
    owner, _, suffix = sid.partition(".")
    if suffix != "messages" or not state.takes_part(conn, session, owner):
        return None
    start = first if first is not None else (LAST_INDEX if descending else 0)
    found, before = state.message_range(conn, owner, start, descending, size + 1)
    page = _messages_object(conn, owner, found[:size])
    return page, before, len(found) > size


def shared_messages(
    conn: Connection, service_sid: str, sid: str, indexes: tuple[int, ...]
) -> tuple[SyncObject | None, frozenset[str]]:
    """Part of a `CH….messages` list, its items at `indexes` that exist, and who may read
    it (None, nobody: gone), read once for every socket that holds the list: a change
    costs the messages it changed, not the history nor the number of sockets."""
    owner = sid.partition(".")[0]
    if state.in_service(conn, service_sid, owner) is None:
        return None, frozenset()
    messages = _messages_object(conn, owner, state.messages_at(conn, owner, list(indexes)))
    return messages, state.members(conn, owner)


def _messages_object(conn: Connection, sid: str, messages: list[Message]) -> SyncObject:
    message_sids = [message.sid for message in messages]
    summaries, receipted = delivery_of(conn, message_sids), receipts_changed(conn, message_sids)
    items = {
        message.index: Item(
            max(event_id(message.date_updated), event_id(receipted.get(message.sid, EPOCH))),
            message_data(message, summaries.get(message.sid)),
            event_id(message.date_created),
        )
        for message in messages
    }
    return SyncObject("list", f"{sid}.messages", _latest(items), items=items)


def participant_data(participant: Participant, user_sid: str | None) -> dict[str, Any]:
    return {
        "sid": participant.sid,
        "identity": participant.identity,
        "attributes": participant.attributes,
        "dateCreated": to_json(participant.date_created),
        "dateUpdated": to_json(participant.date_updated),
        "lastConsumedMessageIndex": participant.last_read_message_index,
        "lastConsumptionTimestamp": participant.last_read_timestamp,
        "roleSid": participant.role_sid,
        "type": participant_type(participant),
        "userInfo": f"{user_sid}.info" if user_sid else None,
    }


def participant_type(participant: Participant) -> str:
    """What the SDK shows as `participant.type`: `chat`, or the channel of the messaging
    binding's address (`whatsapp:+1...` is `whatsapp`, a bare number `sms`)."""
    if participant.identity or not participant.messaging_address:
        return "chat"
    return binding_type(participant.messaging_address)


def roster_map(conn: Connection, session: ClientSession, sid: str) -> SyncObject:
    items = {}
    for participant in state.roster(conn, sid):
        user_sid = None
        if participant.identity:
            found = state.user(conn, session, participant.identity)
            user_sid = found.sid if found else None
        items[participant.sid] = Item(
            event_id(participant.date_updated),
            participant_data(participant, user_sid),
            event_id(participant.date_created),
        )
    return SyncObject("map", f"{sid}.roster", _latest(items), items=items)


def _latest(items: dict[Any, Item]) -> int:
    return max((item.event_id for item in items.values()), default=0)
