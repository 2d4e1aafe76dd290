"""ParticipantConversation resource: /v1/ParticipantConversations and
/v1/Services/{ChatServiceSid}/ParticipantConversations (list only)."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain.participant_conversations import list_participant_conversations
from chinwag.operations.addressing import ServiceRoot
from chinwag.request_context import read_query
from chinwag.resources.addressing import list_in_service
from chinwag.resources.conversations import timers_json
from chinwag.resources.participants import binding_json
from chinwag.store.participant_conversations import ParticipantConversation
from chinwag.twilio.dates import to_json
from chinwag.twilio.pagination import Page, PageRequest, parse_page_request

MAX_PAGE_SIZE = 50  # spec: "The default is 50, and the maximum is 50."


def participant_conversation_json(
    view: ParticipantConversation, root: ServiceRoot
) -> dict[str, Any]:
    conversation_url = f"{root.url}/Conversations/{view.conversation_sid}"
    return {
        "account_sid": view.account_sid,
        "chat_service_sid": view.service_sid,  # in both families' schemas
        "participant_sid": view.participant_sid,
        "participant_user_sid": view.user_sid,
        "participant_identity": view.identity,
        "participant_messaging_binding": binding_json(
            view.messaging_address, view.proxy_address, view.projected_address
        ),
        "conversation_sid": view.conversation_sid,
        "conversation_unique_name": view.unique_name,
        "conversation_friendly_name": view.friendly_name,
        "conversation_attributes": view.attributes,
        "conversation_date_created": to_json(view.date_created),
        "conversation_date_updated": to_json(view.date_updated),
        "conversation_created_by": None,  # chinwag does not record who created a conversation
        "conversation_state": view.state,
        "conversation_timers": timers_json(view.date_inactive, view.date_closed),
        "links": {
            "participant": f"{conversation_url}/Participants/{view.participant_sid}",
            "conversation": conversation_url,
        },
    }


async def list_(request: web.Request) -> web.Response:
    query = read_query(request)
    page_request = parse_page_request(query, MAX_PAGE_SIZE)
    # An empty value counts as not given.
    identity, address = query.text("Identity") or None, query.text("Address") or None
    given = (("Identity", identity), ("Address", address))
    echoed = {name: value for name, value in given if value is not None}

    def fetch_page(conn: Connection, service_sid: str, wanted: PageRequest) -> Page:
        return list_participant_conversations(conn, service_sid, identity, address, wanted)

    return await list_in_service(
        request,
        "conversations",
        page_request,
        fetch_page,
        participant_conversation_json,
        echoed,
        path="ParticipantConversations",
    )
