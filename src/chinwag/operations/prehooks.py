"""Asking the service-level pre-event webhook before a change (see delivery/prehook.py).

The service's own configuration's webhook, or else the account's global one
(domain/service_webhooks.hooks_for). Asked whatever the door the change came in by,
as the actor it comes from (`Source`, `ClientIdentity`, whether webhooks fire); what
an answer may change is domain/pre_event_answers.py.
"""

import uuid
from collections.abc import Callable
from typing import cast

from sqlalchemy import Connection

from chinwag.delivery.prehook import MAX_ANSWER, ask_pre_hook
from chinwag.delivery.sender import OutboundRequest, Sender
from chinwag.delivery.url_settings import setting_in, shared_key_signing, timeouts
from chinwag.domain.actors import Actor
from chinwag.domain.events import envelope
from chinwag.domain.service_webhooks import EventHooks, hooks_for
from chinwag.operations.addressing import ConversationRef, ServiceRef
from chinwag.store import accounts as account_store
from chinwag.store.conversations import Conversation
from chinwag.store.database import Database
from chinwag.store.services import Service
from chinwag.store.webhook_settings import SendingSetting
from chinwag.twilio.errors import Forbidden

Params = list[tuple[str, str]]
# The payload from what is stored (the resource a change is about), read in the look-up.
Describe = Callable[[Connection, Conversation], Params]
# The same for a change that adds to a service (onConversationAdd): from the service.
DescribeNew = Callable[[Connection, Service], Params]


def overlay(stored: Params, given: Params) -> Params:
    """The stored resource's parameters with the request's new values in their place."""
    new = dict(given)
    names = {name for name, _ in stored}
    return [(name, new.get(name, value)) for name, value in stored] + [
        (name, value) for name, value in given if name not in names
    ]


def _auth_token(conn: Connection, account_sid: str) -> str:
    """The token the request is signed with, as stored now: the actor's account may be a
    lookup remembered from before `chinwag accounts rotate-token` (domain/accounts.py)."""
    found = account_store.get_account(conn, account_sid)
    return found.auth_token if found else ""


async def pre_event(
    database: Database,
    sender: Sender | None,
    actor: Actor,
    addressed: ServiceRef | ConversationRef,
    event_type: str,
    params: Params | Describe | DescribeNew,
    allowed: frozenset[str],
    *,
    conversation_sid: str | None = None,
) -> dict[str, str]:
    """Ask the service-level pre-event webhook, if it wants `event_type`; returns its changes.

    Nothing is asked when the actor's changes fire no webhooks, nor without a `sender`
    (the app not started). With a `ConversationRef` the payload names the conversation,
    and the ref's `missing` error is raised if there is none; `params` may then be a
    `Describe`, so the payload carries the whole stored resource as Twilio's does. With a
    `ServiceRef` it may be a `DescribeNew`, and `conversation_sid` names a conversation
    not stored yet (one an inbound message auto-creates: its SID is chosen before the
    webhook is asked). Only the `allowed` fields of the answer are returned. Raises
    Forbidden when the webhook rejects the change, so nothing is written.
    """
    if not actor.webhooks_enabled or sender is None:
        return {}

    def look_up(
        conn: Connection,
    ) -> tuple[Service, EventHooks, str | None, Params, str, SendingSetting | None]:
        named, described = conversation_sid, params
        if isinstance(addressed, ConversationRef):
            conversation, root = addressed.resolve(conn)
            named = conversation.sid
            if callable(params):
                described = cast(Describe, params)(conn, conversation)
        else:
            root = addressed.resolve(conn)
            if callable(params):
                described = cast(DescribeNew, params)(conn, root.service)
        assert not callable(described)
        hooks = hooks_for(conn, root.service.account_sid, root.service.sid)
        url = hooks.pre_url(event_type)
        if url is None:
            return root.service, hooks, named, described, "", None
        account_sid = root.service.account_sid
        # A Webhook Rule for its URL may sign it with a shared key and give its timeouts.
        setting = setting_in(conn, account_sid, url)
        return root.service, hooks, named, described, _auth_token(conn, account_sid), setting

    service, hooks, named, payload_params, auth_token, setting = await database.read(look_up)
    url = hooks.pre_url(event_type)
    if url is None:
        return {}
    payload = envelope(
        event_type,
        service.account_sid,
        service.sid,
        named,
        payload_params,
        actor.origin,
        pre_event=True,
    )
    outbound = OutboundRequest(
        url=url,
        method=hooks.method,
        params=payload,
        auth_token=auth_token,
        idempotency_token=str(uuid.uuid4()),
        read_limit=MAX_ANSWER,
        shared_key=shared_key_signing(setting),
        timeouts=timeouts(setting),
    )
    verdict = await ask_pre_hook(sender, outbound, allowed)
    if verdict.rejected_with is not None:
        raise Forbidden(
            f"The pre-event webhook rejected {event_type} with HTTP {verdict.rejected_with}."
        )
    return verdict.changes
