"""One attempt at a delivery, apart from sending it: where it goes, the signed request
it makes, the attempt-log row and outcome it leaves, and what the log says of it.

No database and no network: the worker sends, times and records.
"""

import logging
from datetime import datetime

from chinwag.delivery.retry import RetryDecision
from chinwag.delivery.sender import OutboundRequest, SendResult
from chinwag.delivery.url_settings import shared_key_signing, timeouts
from chinwag.store.outbox import Attempt, Delivery, DeliveryStatus, Outcome
from chinwag.store.webhook_settings import SendingSetting
from chinwag.twilio.urls import masked_url

logger = logging.getLogger("chinwag.delivery")

NO_STUDIO = "studio target: chinwag has no Studio and no --studio-url is configured"


def target_url(delivery: Delivery, studio_url: str | None) -> str | None:
    """Where `delivery` goes; None for a studio target without a Studio URL to send to."""
    if delivery.target != "studio":
        return delivery.url
    if studio_url is None or delivery.flow_sid is None:
        return None
    return studio_url.format(flow_sid=delivery.flow_sid)


def request_for(
    delivery: Delivery, url: str, setting: SendingSetting | None = None
) -> OutboundRequest:
    """The attempt's request; `setting`, the Webhook Setting its URL's Rule picks now,
    signs it with a shared key and gives its timeouts."""
    key, limits = shared_key_signing(setting), timeouts(setting)
    if delivery.body is not None:  # a sink's CloudEvents: the same body on every attempt
        return OutboundRequest(
            url=url,
            method=delivery.method,
            params=[],
            auth_token=delivery.auth_token,
            idempotency_token=delivery.token,
            body=delivery.body,
            shared_key=key,
            timeouts=limits,
        )
    return OutboundRequest(
        url=url,
        method=delivery.method,
        # RetryCount counts earlier attempts, and is signed with the rest.
        params=[*delivery.params, ("RetryCount", str(delivery.attempts))],
        auth_token=delivery.auth_token,
        idempotency_token=delivery.token,  # the same on every attempt
        shared_key=key,
        timeouts=limits,
    )


def undeliverable(delivery: Delivery) -> Outcome:
    """A delivery with nowhere to go (`target_url` None): no attempt, logged at ERROR."""
    logger.error("delivery undeliverable", extra={**_fields(delivery), "error": NO_STUDIO})
    status = DeliveryStatus.UNDELIVERABLE
    return Outcome(delivery.id, status, delivery.attempts, None, None, NO_STUDIO, None)


def attempt_outcome(
    delivery: Delivery,
    url: str,
    started_at: datetime,
    latency_ms: float,
    result: SendResult,
    decision: RetryDecision,
) -> Outcome:
    """The attempt-log row and outcome of one attempt, logged."""
    attempt = Attempt(
        delivery_id=delivery.id,
        attempt=delivery.attempts + 1,
        started_at=started_at,
        url=url,
        method=delivery.method,
        response_status=result.status,
        latency_ms=latency_ms,
        response_excerpt=result.body_excerpt,
        error=result.error,
    )
    _log_attempt(delivery, attempt, decision)
    return Outcome(
        delivery.id,
        decision.status,
        attempt.attempt,
        decision.retry_at,
        result.status,
        result.error,
        attempt,
    )


def _fields(delivery: Delivery) -> dict[str, object]:
    return {
        "delivery_sid": delivery.token,
        "webhook_sid": delivery.webhook_sid,
        "event_type": delivery.event_type,
    }


def _log_attempt(delivery: Delivery, attempt: Attempt, decision: RetryDecision) -> None:
    """Success at DEBUG, each failed attempt at WARNING, the end of retrying at ERROR."""
    fields = {
        **_fields(delivery),
        "url": masked_url(attempt.url),  # the attempt row keeps it whole
        "status": attempt.response_status,  # None: no HTTP answer, see `error`
        "error": attempt.error,
        "attempt": attempt.attempt,
        "latency_ms": round(attempt.latency_ms, 1),
    }
    if decision.status == DeliveryStatus.DELIVERED:
        logger.debug("delivered", extra=fields)
        return
    retry_at = decision.retry_at
    retry = {"retry_at": retry_at.isoformat() if retry_at is not None else None}
    logger.warning("delivery attempt failed", extra={**fields, **retry})
    if decision.status == DeliveryStatus.FAILED:
        logger.error("delivery failed, no more attempts (dead-lettered)", extra=fields)
