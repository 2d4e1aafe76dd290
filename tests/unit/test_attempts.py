"""One attempt apart from its sending: where it goes, the request it makes, the row and
outcome it leaves, and the log lines it writes."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from chinwag.delivery.attempts import (
    NO_STUDIO,
    attempt_outcome,
    request_for,
    target_url,
    undeliverable,
)
from chinwag.delivery.retry import RetryDecision
from chinwag.delivery.sender import SendResult
from chinwag.logs import JsonFormatter, TextFormatter
from chinwag.store.outbox import Attempt, Delivery, DeliveryStatus, Outcome

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
STUDIO = "http://studio.test/flows/{flow_sid}"


def delivery(target: str = "webhook", flow_sid: str | None = None, attempts: int = 2) -> Delivery:
    return Delivery(
        id=7,
        token="0000-token",
        auth_token="secret",
        webhook_sid="WH1",
        target=target,
        event_type="onMessageAdded",
        flow_sid=flow_sid,
        url="http://hooks.test/a",
        method="POST",
        params=[("EventType", "onMessageAdded"), ("Body", "hi")],
        attempts=attempts,
        created=NOW,
    )


@pytest.mark.parametrize(
    ("target", "flow_sid", "studio_url", "url"),
    [
        ("webhook", None, None, "http://hooks.test/a"),
        ("trigger", None, STUDIO, "http://hooks.test/a"),
        ("studio", "FW1", STUDIO, "http://studio.test/flows/FW1"),
        ("studio", "FW1", None, None),  # no --studio-url: undeliverable
        ("studio", None, STUDIO, None),
    ],
)
def test_where_a_delivery_goes(
    target: str, flow_sid: str | None, studio_url: str | None, url: str | None
) -> None:
    assert target_url(delivery(target, flow_sid), studio_url) == url


def test_the_request_carries_the_count_of_earlier_attempts_and_the_same_token() -> None:
    request = request_for(delivery(attempts=2), "http://hooks.test/a")
    assert request.params == [("EventType", "onMessageAdded"), ("Body", "hi"), ("RetryCount", "2")]
    assert (request.url, request.method) == ("http://hooks.test/a", "POST")
    assert (request.auth_token, request.idempotency_token) == ("secret", "0000-token")


def test_a_delivery_with_nowhere_to_go_is_undeliverable_without_an_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("ERROR", logger="chinwag.delivery"):
        outcome = undeliverable(delivery("studio", "FW1", attempts=0))
    status = DeliveryStatus.UNDELIVERABLE
    assert outcome == Outcome(7, status, 0, None, None, NO_STUDIO, None)
    [record] = caplog.records
    assert (record.getMessage(), record.__dict__["error"]) == ("delivery undeliverable", NO_STUDIO)


RETRY_AT = NOW + timedelta(seconds=5)


@pytest.mark.parametrize(
    ("result", "decision", "logged"),
    [
        (SendResult(200, None), RetryDecision(DeliveryStatus.DELIVERED), [(10, "delivered")]),
        (
            SendResult(503, None, "busy"),
            RetryDecision(DeliveryStatus.PENDING, RETRY_AT),
            [(30, "delivery attempt failed")],
        ),
        (
            SendResult(None, "timeout"),
            RetryDecision(DeliveryStatus.FAILED),
            [
                (30, "delivery attempt failed"),
                (40, "delivery failed, no more attempts (dead-lettered)"),
            ],
        ),
    ],
)
def test_an_attempt_leaves_its_row_and_outcome_and_is_logged_by_what_follows(
    result: SendResult,
    decision: RetryDecision,
    logged: list[tuple[int, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "http://hooks.test/a"
    with caplog.at_level(logging.DEBUG, logger="chinwag.delivery"):
        outcome = attempt_outcome(delivery(attempts=2), url, NOW, 12.34, result, decision)
    attempt = Attempt(
        7, 3, NOW, url, "POST", result.status, 12.34, result.body_excerpt, result.error
    )
    assert outcome == Outcome(
        7, decision.status, 3, decision.retry_at, result.status, result.error, attempt
    )
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == logged
    fields = caplog.records[0].__dict__
    assert (fields["delivery_sid"], fields["attempt"], fields["latency_ms"]) == (
        "0000-token",
        3,
        12.3,
    )
    if decision.status is not DeliveryStatus.DELIVERED:
        retry_at = decision.retry_at.isoformat() if decision.retry_at else None
        assert fields["retry_at"] == retry_at


def test_a_failed_attempt_logs_the_url_without_its_password_and_keeps_it_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "https://hook-user:s3cret@hooks.test/a?b=c"
    request = request_for(delivery(), url)
    failed = RetryDecision(DeliveryStatus.FAILED)
    with caplog.at_level(logging.DEBUG, logger="chinwag.delivery"):
        outcome = attempt_outcome(delivery(), url, NOW, 1.0, SendResult(404, None), failed)
    assert request.url == url  # signed and sent as given: Twilio signs the full URL
    assert outcome.attempt is not None and outcome.attempt.url == url  # the attempt log's row
    logged = [record.__dict__["url"] for record in caplog.records]
    assert logged == ["https://hook-user:***@hooks.test/a?b=c"] * 2  # the failure, the dead letter
    for formatter in (TextFormatter(), JsonFormatter()):  # what `chinwag serve` writes
        assert not [line for r in caplog.records if "s3cret" in (line := formatter.format(r))]
