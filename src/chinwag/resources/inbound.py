"""chinwag's own `POST /chinwag/v1/Inbound`: a customer writes from SMS or WhatsApp.

Routing and auto-creation are domain/inbound.py. The pre-event webhook is asked as
Twilio asks it before each change it publishes, whatever the request's headers:
onMessageAdd before a message joins an existing conversation; onConversationAdd, then
onParticipantAdd (the customer joining), then onMessageAdd before an auto-creation.
All are asked before anything is written, so a rejection writes nothing.
"""

from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath

import aiohttp
from aiohttp import web
from yarl import URL

from chinwag.delivery.target_guard import DeniedTarget, GuardedResolver, check_literal
from chinwag.domain import inbound as domain
from chinwag.domain.inbound import Answers, Download, InboundFields, Received, Route
from chinwag.domain.media import MAX_MEDIA_BYTES, MAX_MEDIA_PER_MESSAGE
from chinwag.resources import conversations, messages
from chinwag.resources.addressing import ConversationRef, ServiceRef
from chinwag.resources.common import (
    DENY_PRIVATE_TARGETS,
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

MAX_REDIRECTS = 10  # aiohttp's own default
REDIRECTS = frozenset({301, 302, 303, 307, 308})


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
    answers = await _ask(request, fields)
    account_sid = account(request).sid
    return await database(request).write_locking(
        domain.receive, account_sid, fields, carrier(request), answers
    )


async def _fetch_media(request: web.Request, urls: list[str]) -> tuple[Download, ...]:
    """Each `MediaUrl`, fetched before anything is written (as Twilio fetches a channel
    message's media); stored as the message's media in the media store."""
    if len(urls) > MAX_MEDIA_PER_MESSAGE:
        raise TooManyMedia(
            f"{len(urls)} MediaUrl values, a message takes at most {MAX_MEDIA_PER_MESSAGE}."
        )
    downloads = []
    guarded = request.app[DENY_PRIVATE_TARGETS]
    # Names are checked where they are resolved, so the address connected to is the one
    # checked (no DNS rebinding); IP literals never reach a resolver: `_refuse_literal`.
    connector = aiohttp.TCPConnector(resolver=GuardedResolver()) if guarded else None
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for url in urls:
            if not is_http_url(url):
                raise InvalidParameter(f"MediaUrl '{shown(url)}' {NOT_A_URL}")
            await check_target(request, "MediaUrl", url, InvalidParameter)
            hop_check = _refuse_literal if guarded else None
            downloads.append(await _download(session, url, hop_check))
    return tuple(downloads)


def _refuse_literal(url: str) -> None:
    check_literal(URL(url).raw_host or "")


async def _download(
    session: aiohttp.ClientSession, url: str, hop_check: Callable[[str], None] | None = None
) -> Download:
    """The file at `url`, following redirects one at a time (at most `MAX_REDIRECTS`):
    each URL redirected to is held to the rule of every URL and to `hop_check` (the
    --deny-private-targets guard) before it is asked, as the first one was."""
    target = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            if hop_check is not None:
                hop_check(target)
            async with session.get(target, allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status in REDIRECTS and location:
                    target = str(response.url.join(URL(location)))
                    if not is_http_url(target):
                        raise InvalidParameter(
                            f"MediaUrl '{shown(url)}' redirects to '{shown(target)}', which "
                            f"{NOT_A_URL}"
                        )
                    continue
                if response.status != 200:
                    status = response.status
                    raise InvalidParameter(f"MediaUrl '{shown(url)}' answered HTTP {status}.")
                content = await response.content.read(MAX_MEDIA_BYTES + 1)
                content_type = response.content_type or "application/octet-stream"
                break
        else:
            raise InvalidParameter(
                f"MediaUrl '{shown(url)}' redirects more than {MAX_REDIRECTS} times."
            )
    except DeniedTarget as denied:
        raise _refused(url, denied) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        if isinstance(error, aiohttp.ClientConnectorError) and isinstance(
            error.os_error, DeniedTarget
        ):
            raise _refused(url, error.os_error) from None
        raise InvalidParameter(
            f"MediaUrl '{shown(url)}' could not be fetched: {type(error).__name__}."
        ) from None
    filename = PurePosixPath(URL(url).path).name or None
    return Download(content_type, filename, content)


def _refused(url: str, denied: DeniedTarget) -> InvalidParameter:
    return InvalidParameter(
        f"MediaUrl '{shown(url)}' is refused by --deny-private-targets: {denied}."
    )


async def _ask(request: web.Request, fields: InboundFields) -> Answers:
    """The pre-event webhooks' say: any may reject (403, nothing written); onConversationAdd
    may name the new conversation, onMessageAdd change the message's body, author and
    attributes, as for a REST change."""
    from_, to, origin = domain.check(fields)
    route: Route = await database(request).read(domain.find_route, account(request).sid, from_, to)
    service = ServiceRef(account(request), base_url(request), route.service_sid, request.path)
    addressed: ServiceRef | ConversationRef = service
    friendly_name = None
    if route.creates:
        describe = partial(domain.conversation_add_payload, fields=fields)
        changes = await pre_event(
            request,
            service,
            "onConversationAdd",
            describe,
            conversations.PRE_EVENT_FIELDS,
            asked_by=origin,
        )
        friendly_name = changes.get("friendly_name")
        describe = partial(domain.participant_add_payload, route=route, fields=fields)
        await pre_event(
            request,
            service,
            "onParticipantAdd",
            describe,
            frozenset(),
            asked_by=origin,
            conversation_sid=route.conversation_sid,
        )
    else:
        missing = ResourceNotFound.for_path(request.path)
        addressed = ConversationRef(service, route.conversation_sid, missing)
    message = domain.customer_message(fields)
    changes = await pre_event(
        request,
        addressed,
        "onMessageAdd",
        domain.message_add_payload(message, route.participant_sid),
        messages.PRE_EVENT_FIELDS,
        asked_by=origin,
        conversation_sid=route.conversation_sid,
    )
    return Answers(route, friendly_name, messages.with_changes(message, changes))


def _received_json(received: Received) -> dict[str, object]:
    return {
        "conversation_sid": received.conversation.sid,
        "participant_sid": received.participant_sid,
        "message_sid": received.message.sid,
        "created_conversation": received.created_conversation,
        "chat_service_sid": received.conversation.service_sid,
        "account_sid": received.conversation.account_sid,
    }
