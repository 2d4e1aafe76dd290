"""chinwag's own `POST /chinwag/v1/Inbound`: a customer writes from SMS or WhatsApp.

Routing and auto-creation are domain/inbound.py. The pre-event webhook is asked as
Twilio would for a channel message (onMessageAdd into an existing conversation,
onConversationAdd before auto-creating one), whatever the request's headers.
"""

from dataclasses import replace
from pathlib import PurePosixPath

import aiohttp
from aiohttp import web
from yarl import URL

from chinwag.domain import inbound as domain
from chinwag.domain.inbound import Download, InboundFields, Received, Route
from chinwag.domain.media import MAX_MEDIA_BYTES, MAX_MEDIA_PER_MESSAGE
from chinwag.resources.addressing import ConversationRef, ServiceRef
from chinwag.resources.common import (
    account,
    base_url,
    carrier,
    check_target,
    database,
    json_response,
    read_form,
)
from chinwag.resources.prehooks import pre_event
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound, TooManyMedia
from chinwag.twilio.forms import Form, shown
from chinwag.twilio.urls import NOT_A_URL, is_http_url

# What a pre-event webhook's JSON answer may change (conversations-webhooks doc).
MESSAGE_CHANGES = frozenset({"body"})
CONVERSATION_CHANGES = frozenset({"friendly_name"})


async def create(request: web.Request) -> web.Response:
    received = await receive(request, await read_form(request))
    return json_response(_received_json(received), 201)


async def receive(request: web.Request, form: Form) -> Received:
    """The whole inbound path, also what the dashboard's "write as a customer" runs."""
    fields = InboundFields(
        from_address=form.text("From"),
        to_address=form.text("To"),
        body=form.text("Body"),
        media=await _fetch_media(request, form.values("MediaUrl") or []),
    )
    fields, friendly_name = await _ask(request, fields)
    account_sid = account(request).sid
    return await database(request).write_locking(
        domain.receive, account_sid, fields, carrier(request), friendly_name
    )


async def _fetch_media(request: web.Request, urls: list[str]) -> tuple[Download, ...]:
    """Each `MediaUrl`, fetched before anything is written (as Twilio fetches a channel
    message's media); stored as the message's media in the media store."""
    if len(urls) > MAX_MEDIA_PER_MESSAGE:
        raise TooManyMedia(
            f"{len(urls)} MediaUrl values, a message takes at most {MAX_MEDIA_PER_MESSAGE}."
        )
    downloads = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for url in urls:
            if not is_http_url(url):
                raise InvalidParameter(f"MediaUrl '{shown(url)}' {NOT_A_URL}")
            await check_target(request, "MediaUrl", url, InvalidParameter)
            downloads.append(await _download(session, url))
    return tuple(downloads)


async def _download(session: aiohttp.ClientSession, url: str) -> Download:
    try:
        async with session.get(url, allow_redirects=True) as response:
            if response.status != 200:
                raise InvalidParameter(f"MediaUrl '{shown(url)}' answered HTTP {response.status}.")
            content = await response.content.read(MAX_MEDIA_BYTES + 1)
            content_type = response.content_type or "application/octet-stream"
    except (aiohttp.ClientError, TimeoutError) as error:
        raise InvalidParameter(
            f"MediaUrl '{shown(url)}' could not be fetched: {type(error).__name__}."
        ) from None
    filename = PurePosixPath(URL(url).path).name or None
    return Download(content_type, filename, content)


async def _ask(request: web.Request, fields: InboundFields) -> tuple[InboundFields, str | None]:
    """The pre-event webhook's say: it may reject the message (403) or change it."""
    from_, to, origin = domain.check(fields)
    route: Route = await database(request).read(domain.find_route, account(request).sid, from_, to)
    service = ServiceRef(account(request), base_url(request), route.service_sid, request.path)
    if route.conversation_sid is None:
        params = [("Attributes", "{}"), ("State", "active")]
        changes = await pre_event(
            request, service, "onConversationAdd", params, CONVERSATION_CHANGES, asked_by=origin
        )
        return fields, changes.get("friendly_name")
    missing = ResourceNotFound.for_path(request.path)
    conversation = ConversationRef(service, route.conversation_sid, missing)
    params = [("Author", from_), ("Body", fields.body or ""), ("Attributes", "{}")]
    params.append(("ParticipantSid", route.participant_sid or ""))
    changes = await pre_event(
        request, conversation, "onMessageAdd", params, MESSAGE_CHANGES, asked_by=origin
    )
    return replace(fields, body=changes.get("body", fields.body)), None


def _received_json(received: Received) -> dict[str, object]:
    return {
        "conversation_sid": received.conversation.sid,
        "participant_sid": received.participant_sid,
        "message_sid": received.message.sid,
        "created_conversation": received.created_conversation,
        "chat_service_sid": received.conversation.service_sid,
        "account_sid": received.conversation.account_sid,
    }
