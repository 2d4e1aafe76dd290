"""Participant resource: .../Conversations/{ConversationSid}/Participants."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import participants as domain
from chinwag.domain.addresses import binding_type
from chinwag.domain.participants import ParticipantFields
from chinwag.operations.addressing import ServiceRoot
from chinwag.operations.prehooks import Params, overlay
from chinwag.request_context import read_form, read_query
from chinwag.resources.addressing import conversation_ref, in_conversation, list_in_conversation
from chinwag.resources.common import json_response, origin
from chinwag.resources.prehooks import pre_event
from chinwag.store import participants as store
from chinwag.store.conversations import Conversation
from chinwag.store.participants import Participant
from chinwag.twilio.dates import to_json, to_webhook
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import parse_page_request

MAX_PAGE_SIZE = 100  # spec: "The default is 50, and the maximum is 100."


def messaging_binding_json(participant: Participant) -> dict[str, Any] | None:
    return binding_json(
        participant.messaging_address, participant.proxy_address, participant.projected_address
    )


def binding_json(
    address: str | None, proxy_address: str | None, projected_address: str | None
) -> dict[str, Any] | None:
    """As in the spec's examples: only the addresses that are set, null for chat participants."""
    if address is None and projected_address is None:
        return None
    binding: dict[str, Any] = {"type": binding_type(address or "")}
    for name, value in (
        ("address", address),
        ("proxy_address", proxy_address),
        ("projected_address", projected_address),
    ):
        if value is not None:
            binding[name] = value
    return binding


def participant_json(participant: Participant, root: ServiceRoot) -> dict[str, Any]:
    url = f"{root.url}/Conversations/{participant.conversation_sid}/Participants/{participant.sid}"
    body: dict[str, Any] = {
        "account_sid": participant.account_sid,
        "chat_service_sid": participant.service_sid,
        "conversation_sid": participant.conversation_sid,
        "sid": participant.sid,
        "identity": participant.identity,
        "attributes": participant.attributes,
        "messaging_binding": messaging_binding_json(participant),
        "role_sid": participant.role_sid,
        "date_created": to_json(participant.date_created),
        "date_updated": to_json(participant.date_updated),
        "url": url,
        "last_read_message_index": participant.last_read_message_index,
        "last_read_timestamp": participant.last_read_timestamp,
    }
    if not root.explicit:  # the default-service schema has no chat_service_sid
        del body["chat_service_sid"]
    return body


def _fields(form: Form, *, on_create: bool) -> ParticipantFields:
    return ParticipantFields(
        identity=form.text("Identity"),
        address=form.text("MessagingBinding.Address") if on_create else None,
        proxy_address=form.text("MessagingBinding.ProxyAddress"),
        projected_address=form.text("MessagingBinding.ProjectedAddress"),
        attributes=form.text("Attributes"),
        role_sid=form.text("RoleSid"),
        last_read_message_index=None if on_create else form.text("LastReadMessageIndex"),
        last_read_timestamp=None if on_create else form.text("LastReadTimestamp"),
        date_created=form.date("DateCreated"),
        date_updated=form.date("DateUpdated"),
    )


def _participant(
    conn: Connection, conversation: Conversation, ref: str, path: str, *, by_identity: bool = False
) -> Participant:
    missing = ResourceNotFound.for_path(path)
    return domain.find_participant(conn, conversation, ref, missing, by_identity=by_identity)


def _given(fields: ParticipantFields) -> Params:
    given = [
        ("Identity", fields.identity),
        ("MessagingBinding.Address", fields.address),
        ("MessagingBinding.ProxyAddress", fields.proxy_address),
        ("MessagingBinding.ProjectedAddress", fields.projected_address),
        ("RoleSid", fields.role_sid),
        ("Attributes", fields.attributes),
    ]
    return [(name, value) for name, value in given if value is not None]


async def _ask(request: web.Request, event_type: str, fields: ParticipantFields) -> None:
    """Participant pre-events may only reject; Twilio documents no fields they can change.

    onParticipantAdd describes the participant as it would be added, once it passes
    every rule, with the role it will get; Update and Remove the stored participant
    with the request's new values.
    """
    sid = request.match_info.get("Sid")

    def describe(conn: Connection, conversation: Conversation) -> Params:
        if sid is None:
            return domain.new_participant_params(conn, conversation, fields)
        participant = _participant(conn, conversation, sid, request.path)
        stored = domain.participant_params(participant)
        stored.append(("DateUpdated", to_webhook(participant.date_updated)))
        return overlay(stored, _given(fields))

    await pre_event(request, conversation_ref(request), event_type, describe, frozenset())


async def create(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=True)
    await _ask(request, "onParticipantAdd", fields)
    participant, root = await in_conversation(
        request, domain.create_participant, fields, origin(request), write=True
    )
    return json_response(participant_json(participant, root), 201)


async def fetch(request: web.Request) -> web.Response:
    sid = request.match_info["Sid"]

    def work(conn: Connection, conversation: Conversation) -> Participant:
        return _participant(conn, conversation, sid, request.path, by_identity=True)

    participant, root = await in_conversation(request, work)
    return json_response(participant_json(participant, root))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request), on_create=False)
    sid, changed_by = request.match_info["Sid"], origin(request)
    await _ask(request, "onParticipantUpdate", fields)

    def work(conn: Connection, conversation: Conversation) -> Participant:
        participant = _participant(conn, conversation, sid, request.path)
        return domain.update_participant(conn, conversation, participant, fields, changed_by)

    participant, root = await in_conversation(request, work, write=True)
    return json_response(participant_json(participant, root))


async def delete(request: web.Request) -> web.Response:
    sid, changed_by = request.match_info["Sid"], origin(request)
    await _ask(request, "onParticipantRemove", ParticipantFields())

    def work(conn: Connection, conversation: Conversation) -> None:
        participant = _participant(conn, conversation, sid, request.path)
        domain.delete_participant(conn, conversation, participant, changed_by)

    await in_conversation(request, work, write=True)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)
    return await list_in_conversation(
        request, "participants", page_request, store.list_participants, participant_json
    )
