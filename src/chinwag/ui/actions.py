"""What the dashboard changes (POST): sign in and out, send, write as a customer, redeliver.

Every change goes through the same operations, domain and store calls as the REST
API, as the signed-in account's dashboard actor (domain/actors.py); a Twilio error (a
closed conversation, no route for an inbound message) comes back to the page as a
notice instead of the JSON envelope.
"""

from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import Connection

from chinwag.domain import messages as message_domain
from chinwag.domain.actors import Actor
from chinwag.domain.carrier import Carrier
from chinwag.domain.messages import MessageFields
from chinwag.domain.pre_event_answers import MESSAGE_FIELDS, message_with_changes
from chinwag.operations import inbound
from chinwag.operations.addressing import ConversationRef, ServiceRef
from chinwag.operations.prehooks import pre_event
from chinwag.request_context import (
    AUTH_FAILURES,
    base_url,
    carrier,
    database,
    deny_private_targets,
    sender,
)
from chinwag.store import conversations as conversation_store
from chinwag.store import deliveries as delivery_store
from chinwag.store.messages import Message
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import ResourceNotFound, TwilioError
from chinwag.ui import inputs
from chinwag.ui.live import STREAMS
from chinwag.ui.origins import is_cross_origin
from chinwag.ui.pages import find_conversation
from chinwag.ui.sessions import (
    Session,
    action,
    clear_cookie,
    end_session,
    read_session,
    see_other,
    set_cookie,
    sign_in,
)

HOME = "/chinwag/ui/"


def conversation_path(sid: str) -> str:
    return f"/chinwag/ui/conversations/{quote(sid, safe='')}"


def with_notice(path: str, notice: str) -> str:
    return f"{path}?notice={quote(notice)}"


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    if await read_session(request) is not None:
        return see_other(HOME)
    return aiohttp_jinja2.render_template("sign_in.html", request, {"session": None})


async def sign_in_submit(request: web.Request) -> web.StreamResponse:
    """Refused when posted from another site (login CSRF) and, like HTTP Basic, once the
    client has failed too often (domain/auth_failures.py)."""
    if is_cross_origin(request):
        return web.Response(status=403, text="A sign-in posted from another site is refused.")
    form = await inputs.form(request)
    username, password = form.text("username") or "", form.text("password") or ""
    failures, client = request.app[AUTH_FAILURES], request.remote or ""
    wait = failures.retry_after(client)
    if wait is not None:
        error = f"Too many failed sign-ins; try again in {wait} seconds."
        refused = _sign_in_again(request, username, error, status=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    cookie = await sign_in(request, username, password)
    if cookie is None:
        failures.record_failure(client)
        return _sign_in_again(request, username, "Wrong SID or secret.", status=401)
    response = see_other(HOME)
    set_cookie(request, response, cookie)
    return response


def _sign_in_again(request: web.Request, username: str, error: str, status: int) -> web.Response:
    context = {"session": None, "error": error, "username": username}
    return aiohttp_jinja2.render_template("sign_in.html", request, context, status=status)


@action
async def sign_out(request: web.Request, session: Session) -> web.StreamResponse:
    await end_session(request, session)
    request.app[STREAMS].end(session.csrf)
    response = see_other("/chinwag/ui/sign-in")
    clear_cookie(response)
    return response


@action
async def send_message(request: web.Request, session: Session) -> web.StreamResponse:
    """As the REST API's message create; webhooks fire when the form's box is ticked, as
    `X-Twilio-Webhook-Enabled: true` makes them fire for a REST request."""
    sid = request.match_info["ConversationSid"]
    form = await inputs.form(request)
    fields = MessageFields(author=form.text("Author") or None, body=form.text("Body"))
    actor = Actor.dashboard(session.account, webhooks_enabled=form.text("Webhooks") == "on")
    service_sid = await database(request).read(_service_of, session.account.sid, sid)
    if service_sid is None:
        return web.Response(status=404, text=f"Conversation {sid} was not found.")
    try:
        fields = await _ask_pre_event(request, actor, service_sid, sid, fields)
        await database(request).write_locking(
            _add_message, sid, fields, actor, carrier(request), request.path
        )
    except TwilioError as error:
        return see_other(with_notice(conversation_path(sid), error.message))
    return see_other(conversation_path(sid))


async def _ask_pre_event(
    request: web.Request, actor: Actor, service_sid: str, sid: str, fields: MessageFields
) -> MessageFields:
    """onMessageAdd to the service's pre-event webhook, if any: it may refuse or change."""
    service = ServiceRef(actor.account, base_url(request), service_sid, request.path)
    missing = ResourceNotFound.for_path(request.path)
    given = [("Author", fields.author or message_domain.DEFAULT_AUTHOR), ("Body", fields.body)]
    changes = await pre_event(
        database(request),
        sender(request),
        actor,
        ConversationRef(service, sid, missing),
        "onMessageAdd",
        [(name, value) for name, value in given if value is not None],
        MESSAGE_FIELDS,
    )
    return message_with_changes(fields, changes)


def _service_of(conn: Connection, account_sid: str, sid: str) -> str | None:
    found = find_conversation(conn, account_sid, sid)
    return found.service_sid if found is not None else None


def _add_message(
    conn: Connection, sid: str, fields: MessageFields, actor: Actor, carrier: Carrier, path: str
) -> Message:
    conversation = conversation_store.get_conversation(conn, sid, for_update=True)
    if conversation is None or conversation.account_sid != actor.account.sid:
        raise ResourceNotFound.for_path(path)
    return message_domain.create_message(conn, conversation, fields, actor.origin, carrier)


@action
async def write_as_customer(request: web.Request, session: Session) -> web.StreamResponse:
    """POST /chinwag/v1/Inbound from a form (operations/inbound.py): routed, auto-created,
    pre-event asked alike."""
    form = await inputs.form(request)
    back = inputs.local_path(form.text("back"), HOME)
    back = back if back.startswith(HOME) else HOME  # a dashboard page
    try:
        received = await inbound.receive(
            form,
            Actor.dashboard(session.account),
            database=database(request),
            sender=sender(request),
            carrier=carrier(request),
            base_url=base_url(request),
            path=request.path,
            deny_private_targets=deny_private_targets(request),
        )
    except TwilioError as error:
        return see_other(with_notice(back, error.message))
    return see_other(conversation_path(received.conversation.sid))


@action
async def redeliver(request: web.Request, session: Session) -> web.StreamResponse:
    token = request.match_info["Token"]
    requeued = await database(request).write(
        delivery_store.redeliver, session.account.sid, token, utc_now()
    )
    if requeued is None:
        return web.Response(status=404, text=f"Delivery {token} was not found.")
    return see_other(f"/chinwag/ui/deliveries/{quote(token, safe='')}")


@action
async def redeliver_failed(request: web.Request, session: Session) -> web.StreamResponse:
    """Every failed delivery of one scoped webhook, or of one conversation, queued again."""
    form = await inputs.form(request)
    webhook, conversation = form.text("WebhookSid") or None, form.text("ConversationSid") or None
    back = conversation_path(conversation) if conversation else "/chinwag/ui/deliveries"
    if webhook is None and conversation is None:
        return see_other(with_notice(back, "Choose a webhook or a conversation."))
    count = await database(request).write(
        delivery_store.redeliver_failed,
        session.account.sid,
        utc_now(),
        webhook_sid=webhook,
        conversation_sid=conversation,
    )
    return see_other(with_notice(back, f"{count} failed deliveries queued again."))
