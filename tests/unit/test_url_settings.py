"""Which Webhook Rule a URL gets (exact, then the longest prefix, then the default), which
of its Settings a request goes to, and what a Setting's `connection` does to the retries.

`chinwag.delivery.url_settings` and `delivery/retry.py` on their own, as tables;
tests/e2e/test_shared_keys.py sends real requests through them.
"""

from datetime import UTC, datetime

import pytest

from chinwag.delivery.retry import RetryPolicy, failure_condition, retry_decision
from chinwag.delivery.sender import CONNECT_TIMEOUT_ERROR, SendResult, Timeouts
from chinwag.delivery.url_settings import (
    chosen_setting,
    matching_rule,
    retry_policy,
    shared_key_signing,
    timeouts,
)
from chinwag.store.outbox import DeliveryStatus
from chinwag.store.webhook_rules import DEFAULT, EXACT_MATCH, PREFIX_MATCH, WebhookRule
from chinwag.store.webhook_settings import SendingSetting

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def rule(name: str, match_type: str, pattern: str = "", second: int | None = None) -> WebhookRule:
    return WebhookRule(
        sid=name,
        account_sid="AC1",
        friendly_name="",
        description="",
        match_type=match_type,
        pattern=pattern,
        setting_sid=f"{name}-setting",
        percentage=100 if second is None else 100 - second,
        second_setting_sid=None if second is None else f"{name}-second",
        second_percentage=second,
        date_created=NOW,
        date_updated=NOW,
    )


RULES = [
    rule("default", DEFAULT),
    rule("short", PREFIX_MATCH, "https://hooks.test/"),
    rule("long", PREFIX_MATCH, "https://hooks.test/chat/"),
    rule("exact", EXACT_MATCH, "https://hooks.test/chat/pre"),
    rule("other-host", PREFIX_MATCH, "https://other.test/a/"),
]


@pytest.mark.parametrize(
    ("url", "picked"),
    [
        ("https://hooks.test/chat/pre", "exact"),  # the exact match beats every prefix
        ("https://hooks.test/chat/pre?x=1", "long"),  # not exactly the URL: its query differs
        ("https://hooks.test/chat/post", "long"),  # the longest matching prefix
        ("https://hooks.test/chat", "short"),  # "/chat/" needs its slash
        ("https://hooks.test/", "short"),
        ("https://other.test/a/b", "other-host"),
        ("https://other.test/ab", "default"),  # no prefix matches: the default
        ("http://hooks.test/chat/post", "default"),  # the scheme is part of the URL
    ],
)
def test_the_exact_rule_then_the_longest_prefix_then_the_default(url: str, picked: str) -> None:
    found = matching_rule(RULES, url)
    assert found is not None and found.sid == picked


def test_without_a_default_an_unmatched_url_gets_no_rule() -> None:
    assert matching_rule(RULES[1:], "https://elsewhere.test/") is None
    assert matching_rule([], "https://hooks.test/") is None


@pytest.mark.parametrize(
    ("draw", "setting"),
    [
        (0.0, "split-setting"),
        (0.699, "split-setting"),
        (0.7, "split-second"),
        (0.999, "split-second"),
    ],
)
def test_a_two_setting_rule_splits_by_percentage(draw: float, setting: str) -> None:
    assert chosen_setting(rule("split", DEFAULT, second=30), draw) == setting


def setting(
    retry_count: int | None = None, retry_on: list[str] | None = None, total: int | None = None
) -> SendingSetting:
    connected = retry_count is not None
    return SendingSetting(
        sid="webhooks_setting_x",
        shared_key_sid="webhooks_sharedkey_x",
        secret="shh",
        algorithm="HMAC_SHA256",
        connect_timeout_ms=1500 if connected else None,
        read_timeout_ms=250 if connected else None,
        total_timeout_ms=total,
        retry_count=retry_count,
        retry_on=retry_on,
    )


def test_a_setting_signs_with_its_key_and_times_with_its_connection() -> None:
    signing = shared_key_signing(setting())
    assert signing is not None
    assert signing.settings_header == "key=webhooks_sharedkey_x,algorithm=HMAC_SHA256"
    assert timeouts(setting()) is None  # no connection: chinwag's 5 seconds
    assert timeouts(setting(0, [], total=4000)) == Timeouts(connect=1.5, read=0.25, total=4.0)
    assert shared_key_signing(None) is None and timeouts(None) is None


@pytest.mark.parametrize(
    ("result", "condition"),
    [
        (SendResult(404, None), "HTTP_4XX"),
        (SendResult(429, None), "HTTP_4XX"),
        (SendResult(503, None), "HTTP_5XX"),
        (SendResult(302, None), ""),
        (SendResult(None, "timeout"), "READ_TIMEOUT"),
        (SendResult(None, "connection_reset"), "READ_TIMEOUT"),
        (SendResult(None, CONNECT_TIMEOUT_ERROR), "CONNECTION_TIMEOUT"),
        (SendResult(None, "connection_refused"), "CONNECTION_TIMEOUT"),
        (SendResult(None, "dns"), "CONNECTION_TIMEOUT"),
    ],
)
def test_each_failure_is_one_retry_on_condition(result: SendResult, condition: str) -> None:
    assert failure_condition(result) == condition


DEFAULT_POLICY = RetryPolicy(schedule=(5.0, 300.0), jitter=0.0)


@pytest.mark.parametrize(
    ("given", "result", "attempt", "status"),
    [
        # No connection: chinwag's own policy (5xx retried, 4xx not, on its schedule).
        (None, SendResult(500, None), 2, DeliveryStatus.PENDING),
        (None, SendResult(400, None), 1, DeliveryStatus.FAILED),
        # A connection without a retryPolicy: "default: 0, no retries".
        (setting(0, None), SendResult(500, None), 1, DeliveryStatus.FAILED),
        # retryCount 3 retries, past the 2 waits of chinwag's schedule, only on retryOn.
        (setting(3, ["HTTP_5XX"]), SendResult(500, None), 3, DeliveryStatus.PENDING),
        (setting(3, ["HTTP_5XX"]), SendResult(500, None), 4, DeliveryStatus.FAILED),
        (setting(3, ["HTTP_5XX"]), SendResult(None, "timeout"), 1, DeliveryStatus.FAILED),
        (setting(1, ["HTTP_4XX"]), SendResult(400, None), 1, DeliveryStatus.PENDING),
        (setting(1, ["READ_TIMEOUT"]), SendResult(None, "timeout"), 1, DeliveryStatus.PENDING),
        (setting(1, ["ALL"]), SendResult(302, None), 1, DeliveryStatus.PENDING),
        # A refused target is never retried, whatever the Setting says.
        (setting(1, ["ALL"]), SendResult(None, "denied", permanent=True), 1, DeliveryStatus.FAILED),
    ],
)
def test_a_settings_retry_policy_narrows_chinwags(
    given: SendingSetting | None, result: SendResult, attempt: int, status: DeliveryStatus
) -> None:
    policy = retry_policy(given, DEFAULT_POLICY)
    assert retry_decision(result, attempt, NOW, NOW, policy).status == status


def test_a_settings_retries_wait_as_chinwags_schedule_does() -> None:
    assert DEFAULT_POLICY.for_setting(3, ["ALL"]).schedule == (5.0, 300.0, 300.0)
    # --twilio-strict has no schedule: a Setting's retries wait as the default's first ones.
    assert RetryPolicy.twilio_strict().for_setting(2, ["ALL"]).schedule == (5.0, 300.0)
