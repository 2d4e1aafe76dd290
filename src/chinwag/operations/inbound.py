"""A customer writes from SMS or WhatsApp: the whole inbound path, whatever the door.

REST's `POST /chinwag/v1/Inbound` (resources/inbound.py) and the dashboard's "write as a
customer" (ui/actions.py) both run `receive`. Routing and auto-creation are
domain/inbound.py. Each `MediaUrl` is fetched first. The pre-event webhook is asked as
Twilio asks it before each change it publishes, as the channel (`Source=SMS` or
`WhatsApp`, webhooks on) whatever the caller's own actor says: onMessageAdd before a
message joins an existing conversation; onConversationAdd, then onParticipantAdd (the
customer joining), then onMessageAdd before an auto-creation. All are asked before
anything is written, so a rejection writes nothing.
"""

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import PurePosixPath

import aiohttp
from yarl import URL

from chinwag.delivery.sender import Sender
from chinwag.delivery.target_guard import DeniedTarget, GuardedResolver, check_literal
from chinwag.domain import inbound as domain
from chinwag.domain.actors import Actor
from chinwag.domain.carrier import Carrier
from chinwag.domain.inbound import Answers, Download, InboundFields, Received, Route
from chinwag.domain.media import MAX_MEDIA_BYTES, MAX_MEDIA_PER_MESSAGE
from chinwag.domain.pre_event_answers import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    message_with_changes,
)
from chinwag.operations.addressing import ConversationRef, ServiceRef
from chinwag.operations.prehooks import pre_event
from chinwag.operations.targets import refuse_private_target
from chinwag.store.database import Database
from chinwag.twilio.errors import InvalidParameter, ResourceNotFound, TooManyMedia
from chinwag.twilio.forms import Form, shown
from chinwag.twilio.urls import NOT_A_URL, is_http_url

MAX_REDIRECTS = 10  # aiohttp's own default
REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def receive(
    form: Form,
    actor: Actor,
    *,
    database: Database,
    sender: Sender | None,
    carrier: Carrier,
    base_url: str,
    path: str,
    deny_private_targets: bool,
) -> Received:
    """The customer's message in the actor's account, routed (else 404), its media fetched
    (`deny_private_targets`: --deny-private-targets), the pre-event webhooks asked, then
    written in one transaction. `path` is what the caller asked for, named by a 404."""
    fields = InboundFields(
        from_address=form.text("From"),
        to_address=form.text("To"),
        body=form.text("Body"),
        media=await _fetch_media(form.values("MediaUrl") or [], deny_private_targets),
    )
    answers = await _ask(database, sender, actor, fields, base_url, path)
    return await database.write_locking(domain.receive, actor.account.sid, fields, carrier, answers)


async def _fetch_media(urls: list[str], guarded: bool) -> tuple[Download, ...]:
    """Each `MediaUrl`, fetched before anything is written (as Twilio fetches a channel
    message's media); stored as the message's media in the media store."""
    if len(urls) > MAX_MEDIA_PER_MESSAGE:
        raise TooManyMedia(
            f"{len(urls)} MediaUrl values, a message takes at most {MAX_MEDIA_PER_MESSAGE}."
        )
    downloads = []
    # Names are checked where they are resolved, so the address connected to is the one
    # checked (no DNS rebinding); IP literals never reach a resolver: `_refuse_literal`.
    connector = aiohttp.TCPConnector(resolver=GuardedResolver()) if guarded else None
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for url in urls:
            if not is_http_url(url):
                raise InvalidParameter(f"MediaUrl '{shown(url)}' {NOT_A_URL}")
            if guarded:
                await refuse_private_target("MediaUrl", url, InvalidParameter)
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


async def _ask(
    database: Database,
    sender: Sender | None,
    actor: Actor,
    fields: InboundFields,
    base_url: str,
    path: str,
) -> Answers:
    """The pre-event webhooks' say: any may reject (403, nothing written); onConversationAdd
    may name the new conversation, onMessageAdd change the message's body, author and
    attributes, as for a REST change."""
    from_, to, channel = domain.check(fields)
    customer = replace(actor, origin=channel)  # the channel publishes the customer's changes
    route: Route = await database.read(domain.find_route, actor.account.sid, from_, to)
    service = ServiceRef(actor.account, base_url, route.service_sid, path)
    ask = partial(pre_event, database, sender, customer)
    addressed: ServiceRef | ConversationRef = service
    friendly_name = None
    if route.creates:
        describe = partial(domain.conversation_add_payload, fields=fields)
        changes = await ask(service, "onConversationAdd", describe, CONVERSATION_FIELDS)
        friendly_name = changes.get("friendly_name")
        describe = partial(domain.participant_add_payload, route=route, fields=fields)
        await ask(
            service,
            "onParticipantAdd",
            describe,
            frozenset(),
            conversation_sid=route.conversation_sid,
        )
    else:
        addressed = ConversationRef(
            service, route.conversation_sid, ResourceNotFound.for_path(path)
        )
    message = domain.customer_message(fields)
    changes = await ask(
        addressed,
        "onMessageAdd",
        domain.message_add_payload(message, route.participant_sid),
        MESSAGE_FIELDS,
        conversation_sid=route.conversation_sid,
    )
    return Answers(route, friendly_name, message_with_changes(message, changes))
