"""The SDK's calls that create and administer: `client.createConversation`,
`conversation.delete`, `conversation.add` / `addNonChatParticipant` / `join`,
`participant.updateAttributes`, `user.updateFriendlyName` / `updateAttributes`.

Bodies and answers as twilio-conversations 3.0.1 sends and reads them
(`src/data/conversations.ts` addConversation, `src/conversation.ts`,
`src/data/participants.ts`, `src/participant.ts`, `src/user.ts`). Each call is checked
against the user's roles (domain/permissions.py; names from the role-resource doc),
asks the service's pre-event webhook as REST's same change does, then writes through
REST's domain functions, as the socket's actor (`Source=SDK`, `ClientIdentity`).
"""

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from chinwag.domain import client_state as state
from chinwag.domain import participants as participant_rules
from chinwag.domain import permissions
from chinwag.domain.addresses import binding_type
from chinwag.domain.client_state import ClientSession
from chinwag.domain.conversations import (
    ConversationFields,
    conversation_add_params,
    conversation_params,
    create_conversation,
    delete_conversation,
)
from chinwag.domain.participants import ParticipantFields
from chinwag.domain.pre_event_answers import CONVERSATION_FIELDS, conversation_with_changes
from chinwag.domain.service_configuration import current_configuration
from chinwag.domain.users import UserFields, find_user, update_user
from chinwag.operations.addressing import ConversationRef, ServiceRef
from chinwag.operations.prehooks import Describe, DescribeNew, Params, overlay, pre_event
from chinwag.store.conversations import Conversation
from chinwag.store.participants import Participant
from chinwag.store.services import Service
from chinwag.store.users import User
from chinwag.twilio.dates import to_json, to_webhook
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound
from chinwag.twilsock.router import NUL, TunnelledRequest

if TYPE_CHECKING:
    from chinwag.twilsock.connection import Needs, Tunnel

Reply = tuple[int, Any]
AIM = "https://aim.us1.twilio.com/Client/v2"  # the links' host, as client_api's


async def create_conversation_(tunnel: "Tunnel", request: TunnelledRequest) -> Reply:
    """`client.createConversation`: the conversation, with its creator as a participant of
    the service's DefaultConversationCreatorRoleSid role (service-configuration-resource).

    onConversationAdd is asked (it may rename, as for REST); onParticipantAdd is not asked
    for the creator: the creation is one act, which onConversationAdd already allowed,
    and a refusal of the creator would leave a conversation nobody takes part in.
    onConversationAdded and onParticipantAdded both fire."""
    session = tunnel.session
    fields = ConversationFields(
        friendly_name=request.text("friendly_name"),
        unique_name=request.text("unique_name"),
        attributes=request.text("attributes"),
    )
    await tunnel.database.read(_require_service, session, "createConversation")

    def as_added(conn: Connection, service: Service) -> Params:
        return conversation_add_params(conn, service.account_sid, fields)

    changes = await _service_pre_event(tunnel, "onConversationAdd", as_added, CONVERSATION_FIELDS)
    fields = conversation_with_changes(fields, changes)
    origin = session.origin()

    def work(conn: Connection) -> Conversation:
        _require_service(conn, session, "createConversation")
        service = session.service
        conversation = create_conversation(conn, service.account_sid, service.sid, fields, origin)
        configured = current_configuration(conn, service.sid, service.account_sid)
        creator = ParticipantFields(
            identity=session.identity, role_sid=configured.default_conversation_creator_role_sid
        )
        participant_rules.create_participant(conn, conversation, creator, origin)
        return conversation

    conversation = await tunnel.write(work)
    return 200, conversation_json(conversation)


async def delete_conversation_(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str
) -> Reply:
    """`conversation.delete()`: deleteConversation, from the conversation's role or the
    service's; onConversationRemove is asked as for REST's delete."""
    needs = _always("deleteConversation")
    await tunnel.authorize(conversation, needs, member=False)

    def describe(conn: Connection, found: Conversation) -> Params:
        return conversation_params(found)

    await _pre_event(tunnel, conversation, "onConversationRemove", describe)
    await tunnel.in_conversation(
        conversation, delete_conversation, tunnel.session.origin(), member=False, needs=needs
    )
    return 200, {}


async def add_participant(tunnel: "Tunnel", request: TunnelledRequest, conversation: str) -> Reply:
    """`POST .../Participants`: the body names whom to add. `{"identity": <own>}` is
    `conversation.join()` (joinConversation, service role); another identity is
    `conversation.add()` (addParticipant); `{"messaging_binding": {"address",
    "proxy_address"}}` is `addNonChatParticipant` (addNonChatParticipant). onParticipantAdd
    is asked first, as for a REST add. Joining a conversation one takes part in already
    answers one's participant and changes nothing (a creator is in the conversation it
    created, and apps built on Twilio's samples `join()` after `createConversation`)."""
    session = tunnel.session
    fields, permission = _new_participant(request, session.identity)
    if permission == "joinConversation":
        joined = await tunnel.read(_own_participant, conversation)
        if joined is not None:  # e.g. the demo app's join() right after createConversation
            return 200, participant_json(joined)
    needs = _always(permission)
    await tunnel.authorize(conversation, needs, member=False)

    def describe(conn: Connection, found: Conversation) -> Params:
        return participant_rules.new_participant_params(conn, found, fields)

    await _pre_event(tunnel, conversation, "onParticipantAdd", describe)
    participant = await tunnel.in_conversation(
        conversation,
        participant_rules.create_participant,
        fields,
        session.origin(),
        member=False,
        needs=needs,
    )
    return 200, participant_json(participant)


def _new_participant(request: TunnelledRequest, own: str) -> tuple[ParticipantFields, str]:
    """The participant a POST's body names, and the permission adding it needs."""
    attributes = request.text("attributes")
    binding = request.json().get("messaging_binding")
    if binding is not None:
        if not isinstance(binding, dict):
            raise InvalidParameter("messaging_binding must be a JSON object.")
        fields = ParticipantFields(
            address=_binding_text(binding, "address"),
            proxy_address=_binding_text(binding, "proxy_address"),
            attributes=attributes,
        )
        return fields, "addNonChatParticipant"
    # The SDK's join() names the user; a body naming no one is taken as the same.
    identity = request.text("identity") or own
    fields = ParticipantFields(identity=identity, attributes=attributes)
    return fields, "joinConversation" if identity == own else "addParticipant"


def _own_participant(conn: Connection, session: ClientSession, ref: str) -> Participant | None:
    """The user's participant in the conversation `ref` names, if they take part."""
    found = state.conversation(conn, session, ref)
    return None if found is None else state.own_participant(conn, session, found.sid)


def _binding_text(binding: dict[str, Any], name: str) -> str | None:
    value = binding.get(name)
    if value is not None and (not isinstance(value, str) or NUL in value):
        raise InvalidParameter(f"messaging_binding.{name} must be a string.")
    return value


async def update_participant(
    tunnel: "Tunnel", request: TunnelledRequest, conversation: str, participant: str
) -> Reply:
    """`participant.updateAttributes`: editOwnParticipantAttributes (one's own) or
    editAnyParticipantAttributes; onParticipantUpdate is asked as for REST's update."""
    attributes = request.text("attributes")
    if attributes is None:
        raise InvalidParameter("attributes is required.")
    session = tunnel.session
    missing = ResourceNotFound(f"Participant '{participant}' was not found.")

    def held(conn: Connection, found: Conversation) -> Participant:
        return participant_rules.find_participant(conn, found, participant, missing)

    def needs(conn: Connection, found: Conversation) -> list[str]:
        own = held(conn, found).identity == session.identity
        return ["editOwnParticipantAttributes" if own else "editAnyParticipantAttributes"]

    def describe(conn: Connection, found: Conversation) -> Params:
        stored = participant_rules.participant_params(held(conn, found))
        stored.append(("DateUpdated", to_webhook(held(conn, found).date_updated)))
        return overlay(stored, [("Attributes", attributes)])

    await tunnel.authorize(conversation, needs, member=False)
    await _pre_event(tunnel, conversation, "onParticipantUpdate", describe)
    fields = ParticipantFields(attributes=attributes)
    origin = session.origin()

    def work(conn: Connection, found: Conversation) -> Participant:
        return participant_rules.update_participant(conn, found, held(conn, found), fields, origin)

    changed = await tunnel.in_conversation(conversation, work, member=False, needs=needs)
    return 200, participant_json(changed)


async def update_user_(tunnel: "Tunnel", request: TunnelledRequest, identity: str) -> Reply:
    """`user.updateFriendlyName` / `updateAttributes`: editOwnUserInfo (oneself) or
    editAnyUserInfo, service role; onUserUpdate may reject it, as for REST. The user's
    `US….info` map changes for every client holding it (store/changes.py)."""
    session = tunnel.session
    fields = UserFields(
        friendly_name=request.text("friendly_name"), attributes=request.text("attributes")
    )
    missing = ResourceNotFound(f"User '{identity}' was not found.")

    def allowed(conn: Connection) -> User:
        found = find_user(conn, session.service, identity, missing)
        own = found.sid == session.user.sid
        _require_service(conn, session, "editOwnUserInfo" if own else "editAnyUserInfo")
        return found

    stored = await tunnel.database.read(allowed)
    given = [
        ("UserSid", stored.sid),
        ("Identity", stored.identity),
        ("FriendlyName", fields.friendly_name),
        ("Attributes", fields.attributes),
        ("DateUpdated", to_webhook(stored.date_updated)),
    ]
    params = [(name, value) for name, value in given if value is not None]
    await _service_pre_event(tunnel, "onUserUpdate", params, frozenset())
    origin = session.origin()

    def work(conn: Connection) -> User:
        return update_user(conn, allowed(conn), fields, origin)

    changed = await tunnel.write(work)
    return 200, {
        "sid": changed.sid,
        "identity": changed.identity,
        "friendly_name": changed.friendly_name,
        "attributes": changed.attributes,
        "sync_objects": {"user_info_map": f"{changed.sid}.info"},
    }


def conversation_json(found: Conversation) -> dict[str, Any]:
    """What `addConversation` reads: `sid`, `url` (its self link), `links` (messages,
    participants) and `sync_objects.conversation`."""
    url = f"{AIM}/Conversations/{found.sid}"
    return {
        "sid": found.sid,
        "url": url,
        "links": {"messages": f"{url}/Messages", "participants": f"{url}/Participants"},
        "friendly_name": found.friendly_name,
        "unique_name": found.unique_name,
        "attributes": found.attributes,
        "date_created": to_json(found.date_created),
        "date_updated": to_json(found.date_updated),
        "sync_objects": {
            "conversation": f"{found.sid}.channel",
            "messages": f"{found.sid}.messages",
            "participants": f"{found.sid}.roster",
        },
    }


def participant_json(participant: Participant) -> dict[str, Any]:
    """What `upsertParticipantFromResponse` reads (`messaging_binding.type`: the roster's
    type, sync_shapes.participant_type)."""
    address = participant.messaging_address
    binding = None
    if address is not None:
        binding = {
            "type": binding_type(address),
            "address": address,
            "proxy_address": participant.proxy_address,
        }
    return {
        "sid": participant.sid,
        "conversation_sid": participant.conversation_sid,
        "identity": participant.identity,
        "attributes": participant.attributes,
        "role_sid": participant.role_sid,
        "messaging_binding": binding,
        "date_created": to_json(participant.date_created),
        "date_updated": to_json(participant.date_updated),
    }


def _require_service(conn: Connection, session: ClientSession, permission: str) -> None:
    """NotAuthorized (50107) unless the user's service role, as stored now, holds it."""
    user = state.user(conn, session, session.identity) or session.user
    permissions.grants(conn, user).require(permission)


async def _pre_event(
    tunnel: "Tunnel", conversation: str, event_type: str, describe: Describe
) -> None:
    """Ask the service's pre-event webhook about a change in `conversation` (it may only
    reject these), as the user."""
    session = tunnel.session
    ref = ConversationRef(
        _service_ref(tunnel),
        conversation,
        ResourceNotFound(f"Conversation '{conversation}' was not found."),
    )
    await pre_event(
        tunnel.database, tunnel.sender, session.actor, ref, event_type, describe, frozenset()
    )


async def _service_pre_event(
    tunnel: "Tunnel", event_type: str, params: Params | DescribeNew, allowed: frozenset[str]
) -> dict[str, str]:
    """Ask the service's pre-event webhook about a change to the service (a new
    conversation, a user), as the user; the answer's `allowed` changes."""
    session = tunnel.session
    return await pre_event(
        tunnel.database,
        tunnel.sender,
        session.actor,
        _service_ref(tunnel),
        event_type,
        params,
        allowed,
    )


def _service_ref(tunnel: "Tunnel") -> ServiceRef:
    session = tunnel.session
    return ServiceRef(session.account, tunnel.base_url, session.service.sid, "/Client/v2")


def _always(*needed: str) -> "Needs":
    """The permissions of an action whatever the conversation holds."""
    return lambda conn, conversation: list(needed)
