"""User Conversation resource: .../Users/{UserSid}/Conversations[/{ConversationSid}]."""

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import user_conversations as domain
from chinwag.domain.user_conversations import NotificationLevel, UserConversationFields
from chinwag.domain.users import find_user
from chinwag.operations.addressing import ConversationRef, ServiceRoot
from chinwag.request_context import read_form, read_query
from chinwag.resources.addressing import in_service, service_ref
from chinwag.resources.common import json_response, list_response, origin
from chinwag.resources.conversations import timers_json
from chinwag.resources.prehooks import pre_event
from chinwag.store.participant_conversations import ParticipantConversation
from chinwag.store.services import Service
from chinwag.store.users import User
from chinwag.twilio.dates import to_json
from chinwag.twilio.errors import ResourceNotFound
from chinwag.twilio.forms import Form
from chinwag.twilio.pagination import Page, parse_page_request

MAX_PAGE_SIZE = 50  # spec: "The default is 50, and the maximum is 50."


def user_conversation_json(view: ParticipantConversation, root: ServiceRoot) -> dict[str, Any]:
    conversation_url = f"{root.url}/Conversations/{view.conversation_sid}"
    return {
        "account_sid": view.account_sid,
        "chat_service_sid": view.service_sid,  # in both families' schemas
        "conversation_sid": view.conversation_sid,
        "unread_messages_count": domain.unread_messages_count(view),
        "last_read_message_index": view.last_read_message_index,
        "participant_sid": view.participant_sid,
        "user_sid": view.user_sid,
        "friendly_name": view.friendly_name,
        "conversation_state": view.state,
        "timers": timers_json(view.date_inactive, view.date_closed),
        "attributes": view.attributes,
        "date_created": to_json(view.date_created),
        "date_updated": to_json(view.date_updated),
        "created_by": None,  # chinwag does not record who created a conversation
        "notification_level": view.notification_level,
        "unique_name": view.unique_name,
        "url": f"{root.url}/Users/{view.user_sid}/Conversations/{view.conversation_sid}",
        "links": {
            "participant": f"{conversation_url}/Participants/{view.participant_sid}",
            "conversation": conversation_url,
        },
    }


def _user(conn: Connection, service: Service, request: web.Request) -> User:
    """The user `{UserSid}` names (SID or identity); 20404 if there is none."""
    return find_user(conn, service, request.match_info["UserSid"], _missing(request))


def _membership(
    conn: Connection, service: Service, request: web.Request
) -> ParticipantConversation:
    """The User Conversation the path names; 20404 if the user is not in that conversation."""
    user = _user(conn, service, request)
    ref = request.match_info["ConversationSid"]
    return domain.find_user_conversation(conn, user, ref, _missing(request))


def _missing(request: web.Request) -> ResourceNotFound:
    return ResourceNotFound.for_path(request.path)


def _fields(form: Form) -> UserConversationFields:
    return UserConversationFields(
        notification_level=form.choice("NotificationLevel", NotificationLevel),
        last_read_message_index=form.text("LastReadMessageIndex"),
        last_read_timestamp=form.text("LastReadTimestamp"),
    )


async def _ask(request: web.Request, event_type: str) -> None:
    """The participant's pre-event, as a participant update or delete asks it: may only
    reject. It names the participant, so the membership is looked up first."""
    if not origin(request).webhooks_enabled:
        return
    view, _ = await in_service(request, _membership, request)
    params = [("ParticipantSid", view.participant_sid)]
    params += [("Identity", view.identity)] if view.identity is not None else []
    conversation = ConversationRef(service_ref(request), view.conversation_sid, _missing(request))
    await pre_event(request, conversation, event_type, params, frozenset())


async def fetch(request: web.Request) -> web.Response:
    view, root = await in_service(request, _membership, request)
    return json_response(user_conversation_json(view, root))


async def update(request: web.Request) -> web.Response:
    fields = _fields(await read_form(request))
    ref, changed_by = request.match_info["ConversationSid"], origin(request)
    await _ask(request, "onParticipantUpdate")

    def work(conn: Connection, service: Service) -> ParticipantConversation:
        user = _user(conn, service, request)
        return domain.update_user_conversation(
            conn, user, ref, fields, changed_by, _missing(request)
        )

    view, root = await in_service(request, work, write=True)
    return json_response(user_conversation_json(view, root))


async def delete(request: web.Request) -> web.Response:
    ref, changed_by = request.match_info["ConversationSid"], origin(request)
    await _ask(request, "onParticipantRemove")

    def work(conn: Connection, service: Service) -> None:
        user = _user(conn, service, request)
        domain.delete_user_conversation(conn, user, ref, changed_by, _missing(request))

    await in_service(request, work, write=True)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    page_request = parse_page_request(read_query(request), MAX_PAGE_SIZE)

    def work(conn: Connection, service: Service) -> tuple[Page, str]:
        user = _user(conn, service, request)
        return domain.list_user_conversations(conn, user, page_request), user.sid

    (page, user_sid), root = await in_service(request, work)
    items = [user_conversation_json(view, root) for view in page.rows]
    list_url = f"{root.url}/Users/{user_sid}/Conversations"
    return list_response("conversations", items, list_url, page_request, page)
