"""ConversationWithParticipants: /v1/ConversationWithParticipants and its service twin.

A conversation's parameters plus repeated `Participant` values, each a JSON object
with the Participant resource's parameters in snake case, e.g. `{"identity": "alice"}`
or `{"messaging_binding": {"address": "+1555…", "proxy_address": "+1555…"}}`
(spec: "The JSON object attributes are as parameters in Participant Resource").
"""

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain.conversation_with_participants import create_conversation_with_participants
from chinwag.domain.participants import ParticipantFields
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_form
from chinwag.resources.addressing import in_service
from chinwag.resources.common import json_response, origin
from chinwag.resources.conversations import ask_pre_add, conversation_fields, conversation_json
from chinwag.store.conversations import Conversation
from chinwag.store.services import Service
from chinwag.twilio.dates import parse_iso8601
from chinwag.twilio.errors import InvalidParameter, ParticipantJsonInvalid
from chinwag.twilio.forms import NUL, NUL_MESSAGE, shown
from chinwag.twilio.json_text import NotJson, parse_json

PARTICIPANT_KEYS = frozenset(
    {"identity", "messaging_binding", "attributes", "role_sid", "date_created", "date_updated"}
)
BINDING_KEYS = frozenset({"address", "proxy_address", "projected_address"})


def conversation_with_participants_json(
    conversation: Conversation, root: ServiceRoot
) -> dict[str, Any]:
    """The conversation; its `links` are the three the spec's examples show (no `export`)."""
    body = conversation_json(conversation, root)
    body["links"] = {name: link for name, link in body["links"].items() if name != "export"}
    return body


def _text(raw: str, values: dict[str, Any], key: str, label: str) -> str | None:
    value = values.get(key)
    if isinstance(value, str) and NUL in value:  # "\u0000" in JSON: as refused as in a form
        raise InvalidParameter(f"Participant '{shown(raw)}': {label} {NUL_MESSAGE}")
    if value is None or isinstance(value, str):
        return value
    raise InvalidParameter(f"Participant '{shown(raw)}': {label} is not a string.")


def _date(raw: str, values: dict[str, Any], key: str) -> datetime | None:
    text = _text(raw, values, key, key)
    if text is None:
        return None
    parsed = parse_iso8601(text)
    if parsed is None:
        raise InvalidParameter(
            f"Participant '{shown(raw)}': {key} '{shown(text)}' is not an ISO 8601 date-time."
        )
    return parsed


def _object(raw: str, value: Any, allowed: frozenset[str], label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidParameter(f"Participant '{shown(raw)}': {label} is not a JSON object.")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidParameter(
            f"Participant '{shown(raw)}': unknown key(s) {', '.join(unknown)} in {label}; "
            f"expected {', '.join(sorted(allowed))}."
        )
    return value


def participant_fields(raw: str) -> ParticipantFields:
    """One `Participant` value: not a JSON object 50424 (errors/50424), other faults 20001."""
    try:
        parsed = parse_json(raw)
    except NotJson as refused:
        raise ParticipantJsonInvalid(
            f"Participant '{shown(raw)}' is not valid JSON: {refused}."
        ) from None
    if not isinstance(parsed, dict):
        raise ParticipantJsonInvalid(f"Participant '{shown(raw)}' is not a JSON object.")
    values = _object(raw, parsed, PARTICIPANT_KEYS, "the participant")
    binding = values.get("messaging_binding")
    binding = {} if binding is None else _object(raw, binding, BINDING_KEYS, "messaging_binding")
    return ParticipantFields(
        identity=_text(raw, values, "identity", "identity"),
        address=_text(raw, binding, "address", "messaging_binding.address"),
        proxy_address=_text(raw, binding, "proxy_address", "messaging_binding.proxy_address"),
        projected_address=_text(
            raw, binding, "projected_address", "messaging_binding.projected_address"
        ),
        attributes=_text(raw, values, "attributes", "attributes"),
        role_sid=_text(raw, values, "role_sid", "role_sid"),
        date_created=_date(raw, values, "date_created"),
        date_updated=_date(raw, values, "date_updated"),
    )


async def create(request: web.Request) -> web.Response:
    form = await read_form(request)
    fields = conversation_fields(form)
    members = [participant_fields(raw) for raw in form.values("Participant") or []]
    created_by = origin(request)
    fields = await ask_pre_add(request, fields)

    def work(conn: Connection, service: Service) -> Conversation:
        return create_conversation_with_participants(
            conn, service.account_sid, service.sid, fields, members, created_by
        )

    conversation, root = await in_service(request, work, write=True)
    # The spec's examples answer 202 when participants are given, 201 without.
    status = 202 if members else 201
    return json_response(conversation_with_participants_json(conversation, root), status)
