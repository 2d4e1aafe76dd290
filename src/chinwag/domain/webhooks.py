"""Conversation-scoped webhooks: what a valid configuration is, and at most five per conversation.

Rules and error codes: twilio.com/docs/conversations/api/conversation-scoped-webhook-resource
and twilio.com/docs/api/errors/<code>; docs/compatibility.md lists each with its source.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import Connection

from chinwag.domain.events import canonical_event
from chinwag.domain.messages import message_params
from chinwag.domain.publishing import replay
from chinwag.store import messages as message_store
from chinwag.store import webhooks as store
from chinwag.store.conversations import Conversation
from chinwag.store.webhooks import ScopedWebhook
from chinwag.twilio import sids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import (
    InvalidParameter,
    InvalidWebhookFilter,
    InvalidWebhookFlowSid,
    InvalidWebhookSid,
    InvalidWebhookTarget,
    InvalidWebhookTrigger,
    TooManyWebhookTriggers,
    WebhookFiltersMissing,
    WebhookLimitExceeded,
    WebhookNotFound,
    WebhookTargetMissing,
    WebhookTriggersMissing,
    WebhookUrlMissing,
    WebhookUrlTooLong,
)
from chinwag.twilio.forms import shown
from chinwag.twilio.urls import NOT_A_URL, is_http_url

MAX_WEBHOOKS_PER_CONVERSATION = 5
MAX_TRIGGER_LENGTH = 248  # twilio.com/docs/api/errors/50366
MAX_TRIGGERS = 5  # twilio.com/docs/api/errors/50362
MAX_URL_LENGTH = 512  # twilio.com/docs/api/errors/50372


class Target(StrEnum):
    WEBHOOK = "webhook"
    TRIGGER = "trigger"
    STUDIO = "studio"


class Method(StrEnum):
    GET = "get"
    POST = "post"


@dataclass(frozen=True)
class WebhookConfiguration:
    """The `Configuration.*` parameters of a create or update; None means "not given"."""

    url: str | None = None
    method: Method | None = None
    filters: list[str] | None = None
    triggers: list[str] | None = None
    flow_sid: str | None = None
    replay_after: int | None = None


def parse_target(raw: str | None) -> Target:
    if raw is None or raw == "":
        raise WebhookTargetMissing("Missing required parameter Target in the post body")
    try:
        return Target(raw.lower())
    except ValueError:
        raise InvalidWebhookTarget(
            f"Target '{raw}' is not one of: webhook, trigger, studio."
        ) from None


def create_webhook(
    conn: Connection, conversation: Conversation, target: Target, config: WebhookConfiguration
) -> ScopedWebhook:
    _check(target, config)
    # The write transaction began IMMEDIATE, so no other writer can slip in between
    # this count and the insert: the limit holds under concurrency.
    if store.count_webhooks(conn, conversation.sid) >= MAX_WEBHOOKS_PER_CONVERSATION:
        raise WebhookLimitExceeded(
            f"Conversation {conversation.sid} already has the maximum of "
            f"{MAX_WEBHOOKS_PER_CONVERSATION} webhooks."
        )
    now = utc_now()
    webhook = ScopedWebhook(
        sid=sids.new_sid(sids.WEBHOOK),
        account_sid=conversation.account_sid,
        service_sid=conversation.service_sid,
        conversation_sid=conversation.sid,
        target=target,
        url=config.url,
        method=(config.method or Method.POST) if target != Target.STUDIO else None,
        filters=config.filters or [],
        triggers=config.triggers or [],
        flow_sid=config.flow_sid,
        replay_after=config.replay_after,
        date_created=now,
        date_updated=now,
    )
    store.insert_webhook(conn, webhook)
    if webhook.replay_after is not None:
        # "ReplayAfter: the message index for which and its successors the webhook
        # will be replayed" (spec): so a bot attached late misses nothing.
        earlier = message_store.messages_from_index(conn, conversation.sid, webhook.replay_after)
        replay(
            conn,
            conversation,
            webhook,
            [
                (
                    message_params(
                        m,
                        with_date_updated=False,
                        messaging_service_sid=conversation.messaging_service_sid,
                    ),
                    m.body,
                )
                for m in earlier
            ],
        )
    return webhook


def update_webhook(
    conn: Connection, webhook: ScopedWebhook, config: WebhookConfiguration
) -> ScopedWebhook:
    """Given parameters replace the stored ones; the result must still be valid for its target."""
    target = Target(webhook.target)
    merged = WebhookConfiguration(
        url=config.url if config.url is not None else webhook.url,
        method=config.method or (Method(webhook.method) if webhook.method else None),
        filters=config.filters if config.filters is not None else webhook.filters,
        triggers=config.triggers if config.triggers is not None else webhook.triggers,
        flow_sid=config.flow_sid if config.flow_sid is not None else webhook.flow_sid,
    )
    _check(target, merged)
    changed = replace(
        webhook,
        url=merged.url,
        method=merged.method if target != Target.STUDIO else None,
        filters=merged.filters or [],
        triggers=merged.triggers or [],
        flow_sid=merged.flow_sid,
        date_updated=utc_now(),
    )
    store.save_webhook(conn, changed)
    return changed


def find_webhook(conn: Connection, conversation: Conversation, sid: str) -> ScopedWebhook:
    if not sids.is_sid(sid, sids.WEBHOOK):
        raise InvalidWebhookSid(f"'{sid}' is not a webhook SID (WH + 32 hex digits).")
    webhook = store.get_webhook(conn, conversation.sid, sid)
    if webhook is None:
        raise WebhookNotFound(f"Webhook '{sid}' was not found in conversation {conversation.sid}.")
    return webhook


def delete_webhook(conn: Connection, webhook: ScopedWebhook) -> None:
    store.delete_webhook(conn, webhook.sid)


def _check(target: Target, config: WebhookConfiguration) -> None:
    if config.replay_after is not None and config.replay_after < 0:
        raise InvalidParameter(
            f"Configuration.ReplayAfter must be 0 or more, got {config.replay_after}."
        )
    if target in (Target.WEBHOOK, Target.TRIGGER):
        _check_url(config.url)
    if target == Target.WEBHOOK:
        _check_filters(config.filters)
    elif target == Target.TRIGGER:
        _check_triggers(config.triggers)
    if target == Target.STUDIO or config.flow_sid:
        # The spec's pattern holds whatever the target: a FlowSid a `webhook` or `trigger`
        # webhook does not use is still stored and shown, so it must be one (schemathesis
        # found 35 characters answering 500 on PostgreSQL, whose column holds 34).
        _check_flow_sid(config.flow_sid)


def _check_url(url: str | None) -> None:
    if not url:
        raise WebhookUrlMissing("Missing required parameter Configuration.Url in the post body")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlTooLong(f"Configuration.Url is longer than {MAX_URL_LENGTH} characters.")
    if not is_http_url(url):
        raise WebhookUrlMissing(f"Configuration.Url '{shown(url)}' {NOT_A_URL}")


def _check_filters(filters: list[str] | None) -> None:
    if not filters:
        raise WebhookFiltersMissing(
            "Missing required parameter Configuration.Filters in the post body"
        )
    for name in filters:
        if canonical_event(name) is None:
            raise InvalidWebhookFilter(
                f"Configuration.Filters '{name}' is not a post-event a conversation-scoped "
                "webhook can subscribe to."
            )


def _check_triggers(triggers: list[str] | None) -> None:
    if not triggers:
        raise WebhookTriggersMissing(
            "Missing required parameter Configuration.Triggers in the post body"
        )
    if len(triggers) > MAX_TRIGGERS:
        raise TooManyWebhookTriggers(
            f"Configuration.Triggers has {len(triggers)} keywords; at most {MAX_TRIGGERS}."
        )
    for keyword in triggers:
        if not keyword.strip() or len(keyword) > MAX_TRIGGER_LENGTH:
            raise InvalidWebhookTrigger(
                f"Configuration.Triggers '{keyword}' must be 1 to {MAX_TRIGGER_LENGTH} characters."
            )


def _check_flow_sid(flow_sid: str | None) -> None:
    if not flow_sid or not sids.is_sid(flow_sid, sids.FLOW):
        raise InvalidWebhookFlowSid(
            f"Configuration.FlowSid '{flow_sid or ''}' is not a Studio Flow SID "
            "(FW + 32 hex digits)."
        )
