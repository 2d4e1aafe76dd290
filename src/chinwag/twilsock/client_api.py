"""The endpoints tunnelled requests reach: Conversations (`aim`), Sync (`cds`) from
sync_api.py, push registration (`ers`) from push_api.py.

Each is `endpoint(tunnel, request, **path_args) -> (status, body)`. Writes go through
the same domain functions as REST, as the token's identity, `Source=SDK`, with the
service's pre-event webhook asked first (operations/prehooks.py), as the socket's actor
(`ClientSession.actor`).
"""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from chinwag.domain import client_state as state
from chinwag.domain import messages as message_rules
from chinwag.domain import participants as participant_rules
from chinwag.domain import permissions
from chinwag.domain.conversations import (
    ConversationFields,
    conversation_params,
    update_conversation,
)
from chinwag.domain.media import (
    MAX_MEDIA_BYTES,
    MAX_MEDIA_PER_MESSAGE,
    MAX_MEDIA_TOTAL_BYTES,
    MEBIBYTE,
)
from chinwag.domain.messages import MessageFields
from chinwag.domain.pre_event_answers import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    conversation_with_changes,
    message_with_changes,
)
from chinwag.domain.user_conversations import (
    NotificationLevel,
    UserConversationFields,
    unread_messages_count,
    update_user_conversation,
)
from chinwag.operations import media_urls
from chinwag.operations.addressing import ConversationRef, ServiceRef
from chinwag.operations.message_prehooks import describe_new, describe_stored
from chinwag.operations.prehooks import Describe, Params, overlay, pre_event
from chinwag.store.changes import Change
from chinwag.twilio.dates import to_json, to_webhook
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound
from chinwag.twilsock import client_calls, push_api, reachability, receipts_api, sync_api
from chinwag.twilsock.router import NUL, TunnelledRequest

if TYPE_CHECKING:
    from chinwag.twilsock.connection import Needs, Tunnel

Reply = tuple[int, Any]
AIM = "https://aim.us1.twilio.com/Client/v2"
TYPING_TIMEOUT = 5  # seconds; the SDK's own default (src/configuration.ts TYPING_TIMEOUT)


async def configuration(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """What `Client/v2/Configuration` returns (twilio-conversations src/configuration.ts)."""
    session = tunnel.session
    return 200, {
        "identity": session.identity,
        "links": {
            "my_conversations": f"{AIM}/Me/Conversations",
            "conversations": f"{AIM}/Conversations",
            "users": f"{AIM}/Users",
            "current_user": f"{AIM}/Users/{session.identity}",
            "typing": f"{AIM}/Indicators/Typing",
            # chinwag's own media store (its media client talks HTTP to these, not the socket)
            "media_service": media_urls.media_url(tunnel.base_url, session.service.sid),
            "media_set_service": media_urls.media_set_url(tunnel.base_url, session.service.sid),
            "messages_receipts": f"{AIM}/Conversations/%s/Messages/%s/Receipts",
        },
        "options": {
            "consumption_report_interval": "PT1S",
            "http_cache_interval": "PT1S",
            "reachability_enabled": await reachability.enabled(tunnel),
            "user_infos_to_subscribe": 100,
            # what domain/media.py enforces (the SDK checks only the count itself)
            "media_attachments_count_limit": MAX_MEDIA_PER_MESSAGE,
            "media_attachment_size_limit_in_mb": MAX_MEDIA_BYTES // MEBIBYTE,
            "media_attachments_total_size_limit_in_mb": MAX_MEDIA_TOTAL_BYTES // MEBIBYTE,
            "email_histories_allowed_mime_types": [],
            "email_bodies_allowed_mime_types": [],
        },
        "sync_objects": {
            "my_conversations": f"{session.user.sid}.conversations",
            "my_user_info": f"{session.user.sid}.info",
        },
    }


def _membership_json(view: Any) -> dict[str, Any]:
    sid = view.conversation_sid
    return {
        "conversation_sid": sid,
        "status": "joined",
        "sync_objects": {
            "conversation": f"{sid}.channel",
            "messages": f"{sid}.messages",
            "participants": f"{sid}.roster",
        },
        "last_read_message_index": view.last_read_message_index,
        "unread_messages_count": unread_messages_count(view),
        "notification_level": view.notification_level,
        "friendly_name": view.friendly_name,
        "unique_name": view.unique_name,
        "attributes": view.attributes,
        "date_created": to_json(view.date_created),
        "date_updated": to_json(view.date_updated),
    }


async def my_conversations(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    views = await tunnel.read(state.memberships)
    return 200, {
        "conversations": [_membership_json(view) for view in views],
        "meta": {"next_token": None, "previous_token": None},
    }


async def my_conversation(tunnel: "Tunnel", request: TunnelledRequest, conversation: str) -> Reply:
    view = await tunnel.read(state.membership, conversation)
    if view is None:
        raise ResourceNotFound(f"Conversation '{conversation}' is not one of yours.")
    return 200, _membership_json(view)


async def update_my_conversation(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str
) -> Reply:
    """`setAllMessagesRead`, `updateLastReadMessageIndex` (null: none read), notification level."""
    index = request.json().get("last_read_message_index", ...)
    level = request.text("notification_level")
    session = tunnel.session
    missing = ResourceNotFound(f"Conversation '{conversation}' is not one of yours.")
    if level is not None and level not in NotificationLevel.__members__.values():
        raise InvalidParameter(f"notification_level '{level}' is not default or muted.")
    fields = UserConversationFields(
        last_read_message_index=None if index is ... else ("" if index is None else str(index)),
        notification_level=None if level is None else NotificationLevel(level),
    )

    if level is not None:
        await tunnel.authorize(conversation, _always("editNotificationLevel"))
    horizon = (
        [] if index is ... else [("LastReadMessageIndex", "" if index is None else str(index))]
    )

    def describe(conn: Connection, found: Any) -> Params:
        mine = state.own_participant(conn, session, found.sid)
        if mine is None:
            raise missing
        return overlay(_stored_participant(mine), horizon)

    await _pre_event(tunnel, conversation, "onParticipantUpdate", describe, frozenset())

    def work(conn: Connection) -> Any:
        return update_user_conversation(
            conn, session.user, conversation, fields, session.origin(), missing
        )

    view = await tunnel.write(work)
    return 200, _membership_json(view)


async def conversation_(tunnel: "Tunnel", request: TunnelledRequest, conversation: str) -> Reply:
    found = await tunnel.read(state.conversation, conversation)
    if found is None:
        raise ResourceNotFound(f"Conversation '{conversation}' was not found.")
    messages_count, participants_count = await tunnel.read(state.counts, found.sid)
    # the counts: what getMessagesCount / getParticipantsCount read (src/conversation.ts)
    counts = {"messages_count": messages_count, "participants_count": participants_count}
    return 200, {**client_calls.conversation_json(found), **counts}


async def update_conversation_(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str
) -> Reply:
    fields = ConversationFields(
        friendly_name=request.text("friendly_name"),
        unique_name=request.text("unique_name"),
        attributes=request.text("attributes"),
    )
    naming = fields.friendly_name is not None or fields.unique_name is not None
    needed = ["editConversationName"] if naming else []
    needed += ["editConversationAttributes"] if fields.attributes is not None else []
    needs = _always(*needed)
    await tunnel.authorize(conversation, needs)
    given = [
        ("FriendlyName", fields.friendly_name),
        ("UniqueName", fields.unique_name),
        ("Attributes", fields.attributes),
    ]

    def describe(conn: Connection, found: Any) -> Params:
        new = [(name, value) for name, value in given if value is not None]
        return overlay(conversation_params(found), new)

    changes = await _pre_event(
        tunnel, conversation, "onConversationUpdate", describe, CONVERSATION_FIELDS
    )
    fields = conversation_with_changes(fields, changes)
    await tunnel.in_conversation(
        conversation, update_conversation, fields, tunnel.session.origin(), needs=needs
    )
    return await conversation_(tunnel, request, conversation)


async def send_message(tunnel: "Tunnel", request: TunnelledRequest, conversation: str) -> Reply:
    media_sids = request.json().get("media_sids") or None
    if media_sids is not None and not (
        isinstance(media_sids, list)
        and all(isinstance(sid, str) and NUL not in sid for sid in media_sids)
    ):
        raise InvalidParameter("media_sids must be a list of media SIDs.")
    fields = MessageFields(
        author=tunnel.session.identity,
        body=request.text("body"),
        attributes=request.text("attributes"),
        media_sids=media_sids,
    )
    needs = _always(
        *(["sendMessage"] if fields.body is not None or not media_sids else []),
        *(["sendMediaMessage"] if media_sids else []),
    )
    await tunnel.authorize(conversation, needs)
    fields = await _ask(tunnel, conversation, "onMessageAdd", fields)
    message = await tunnel.in_conversation(
        conversation, message_rules.create_message, fields, tunnel.session.origin(), needs=needs
    )
    return 200, {"sid": message.sid, "index": message.index}


async def update_message(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str, message: str
) -> Reply:
    given = MessageFields(body=request.text("body"), attributes=request.text("attributes"))
    identity = tunnel.session.identity

    def needs(conn: Connection, found: Any) -> list[str]:
        stored = message_rules.find_message(conn, found, message, request.path)
        body, attributes = given.body is not None, given.attributes is not None
        return permissions.to_edit(stored, identity, body, attributes)

    await tunnel.authorize(conversation, needs)
    stored = (message, request.path)
    fields = await _ask(tunnel, conversation, "onMessageUpdate", given, stored)
    origin = tunnel.session.origin()

    def work(conn: Connection, found: Any) -> Any:
        stored = message_rules.find_message(conn, found, message, request.path)
        return message_rules.update_message(conn, found, stored, fields, origin)

    changed = await tunnel.in_conversation(conversation, work, needs=needs)
    return 200, {"sid": changed.sid, "index": changed.index}


async def remove_message(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str, message: str
) -> Reply:
    identity = tunnel.session.identity

    def needs(conn: Connection, found: Any) -> list[str]:
        stored = message_rules.find_message(conn, found, message, request.path)
        return [permissions.to_delete(stored, identity)]

    await tunnel.authorize(conversation, needs)
    await _ask(tunnel, conversation, "onMessageRemove", MessageFields(), (message, request.path))
    origin = tunnel.session.origin()

    def work(conn: Connection, found: Any) -> None:
        stored = message_rules.find_message(conn, found, message, request.path)
        message_rules.delete_message(conn, found, stored, origin)

    await tunnel.in_conversation(conversation, work, needs=needs)
    return 200, {}


async def join(tunnel: "Tunnel", request: TunnelledRequest, conversation: str) -> Reply:
    """`POST .../Participants`: `conversation.join()` (the body names the user themself),
    `conversation.add(identity)` or `addNonChatParticipant` (client_calls.add_participant):
    the body names whom to add (the caller only when it names them, or no one)."""
    return await client_calls.add_participant(tunnel, request, conversation)


async def leave(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str, participant: str
) -> Reply:
    """`conversation.leave()` (the user's own participant, by identity) or
    `participant.remove()` (anyone's, by identity or SID)."""
    origin, identity = tunnel.session.origin(), tunnel.session.identity
    missing = ResourceNotFound(f"Participant '{participant}' was not found.")

    def held(conn: Connection, found: Any) -> Any:
        return participant_rules.find_participant(
            conn, found, participant, missing, by_identity=True
        )

    def needs(conn: Connection, found: Any) -> list[str]:
        return [permissions.to_remove(held(conn, found), identity)]

    def describe(conn: Connection, found: Any) -> Params:
        return _stored_participant(held(conn, found))

    await tunnel.authorize(conversation, needs)
    await _pre_event(tunnel, conversation, "onParticipantRemove", describe, frozenset())

    def work(conn: Connection, found: Any) -> None:
        participant_rules.delete_participant(conn, found, held(conn, found), origin)

    await tunnel.in_conversation(conversation, work, needs=needs)
    return 200, {}


async def user(tunnel: "Tunnel", request: TunnelledRequest, identity: str) -> Reply:
    found = await tunnel.read(state.user, identity)
    if found is None:
        raise ResourceNotFound(f"User '{identity}' was not found.")
    return 200, {
        "sid": found.sid,
        "identity": found.identity,
        "friendly_name": found.friendly_name,
        "attributes": found.attributes,
        "sync_objects": {"user_info_map": f"{found.sid}.info"},
    }


async def typing(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """Told to the conversation's other clients on every server; nothing is stored."""
    conversation = request.text("ChannelSid") or ""
    view = await tunnel.read(state.membership, conversation)
    if view is None:
        raise ResourceNotFound(f"Conversation '{conversation}' is not one of yours.")
    session = tunnel.session
    change = Change(session.service.sid, view.conversation_sid, typing=session.identity)
    await tunnel.database.announce(change)
    return 200, {"typing_timeout": TYPING_TIMEOUT}


async def _ask(
    tunnel: "Tunnel",
    conversation: str,
    event_type: str,
    fields: MessageFields,
    stored: tuple[str, str] | None = None,
) -> MessageFields:
    """The service's pre-event webhook may change or reject an SDK message too, told of it
    as of a REST change: the new message, or the `stored` one (its SID and the path that
    names it) with the new values."""
    if stored is None:
        described = describe_new(fields)
    else:
        sid, path = stored
        described = describe_stored(sid, fields, path)
    changes = await _pre_event(tunnel, conversation, event_type, described, MESSAGE_FIELDS)
    return message_with_changes(fields, changes)


async def _pre_event(
    tunnel: "Tunnel",
    conversation: str,
    event_type: str,
    params: Params | Describe,
    allowed: frozenset[str],
) -> dict[str, str]:
    """Ask the service's pre-event webhook about a change in `conversation`, as the user."""
    ref = _conversation_ref(tunnel, conversation)
    session = tunnel.session
    return await pre_event(
        tunnel.database, tunnel.sender, session.actor, ref, event_type, params, allowed
    )


def _stored_participant(participant: Any) -> Params:
    """A participant's pre-event description, as REST's participant update and remove."""
    stored = participant_rules.participant_params(participant)
    stored.append(("DateUpdated", to_webhook(participant.date_updated)))
    return stored


def _conversation_ref(tunnel: "Tunnel", conversation: str) -> ConversationRef:
    """The conversation a client names, in its token's account and service."""
    session = tunnel.session
    return ConversationRef(
        ServiceRef(
            session.account, tunnel.base_url, session.service.sid, request_path(conversation)
        ),
        conversation,
        ResourceNotFound(f"Conversation '{conversation}' was not found."),
    )


def _always(*permissions: str) -> "Needs":
    """The permissions of an action whatever the conversation holds."""
    return lambda conn, conversation: list(permissions)


def request_path(conversation: str) -> str:
    return f"/Client/v2/Conversations/{conversation}"


Endpoint = Callable[..., Awaitable[Reply]]
ENDPOINTS: dict[str, Endpoint] = {
    "configuration": configuration,
    "my_conversations": my_conversations,
    "my_conversation": my_conversation,
    "update_my_conversation": update_my_conversation,
    "conversation": conversation_,
    "update_conversation": update_conversation_,
    "send_message": send_message,
    "update_message": update_message,
    "remove_message": remove_message,
    "join": join,
    "leave": leave,
    "user": user,
    "typing": typing,
    "create_conversation": client_calls.create_conversation_,
    "delete_conversation": client_calls.delete_conversation_,
    "update_participant": client_calls.update_participant,
    "update_user": client_calls.update_user_,
    "message_receipts": receipts_api.message_receipts,
    "message_recipients": receipts_api.message_recipients,
    "content_templates": receipts_api.content_templates,
    "sync_object": sync_api.sync_object,
    "sync_items": sync_api.sync_items,
    "subscriptions": sync_api.subscriptions,
    "register_push": push_api.register,
    "unregister_push": push_api.unregister,
    "unregister_push_device": push_api.unregister_device_address,
}
