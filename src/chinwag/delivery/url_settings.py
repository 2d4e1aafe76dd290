"""Which Webhook Setting a request uses, and what that Setting changes about it.

"Before Twilio sends a webhook, it compares the destination URL against your Webhook
Rules in evaluation order: exact-match Rules longest first, then prefix-match Rules
longest first, then the default Rule. Twilio applies the first Rule that matches"
(twilio.com/docs/usage/webhooks/webhook-configuration-faq). A Rule with two Settings
sends each request to one of them, in proportion to their percentages.

The Rule is looked up when the request is sent, at every attempt: a Rule, Setting or
key changed after a delivery was queued applies to its retries. Only an account that
has a Rule pays for the read (the claim says which: `Delivery.uses_webhook_rules`).
The URL compared is the one configured, without its fragment and before a GET
request's parameters are added to it.
"""

import random
from collections.abc import Sequence

from sqlalchemy import Connection

from chinwag.delivery.retry import RetryPolicy
from chinwag.delivery.sender import Timeouts
from chinwag.delivery.signing import SharedKeySigning, without_fragment
from chinwag.store import webhook_rules, webhook_settings
from chinwag.store.database import Database
from chinwag.store.outbox import Delivery
from chinwag.store.webhook_rules import DEFAULT, EXACT_MATCH, PREFIX_MATCH, WebhookRule
from chinwag.store.webhook_settings import SendingSetting

# Splits a Rule's traffic; chinwag's own generator, as retry.py's jitter has.
_SPLIT = random.Random()


def matching_rule(rules: Sequence[WebhookRule], url: str) -> WebhookRule | None:
    """The Rule `url` gets: its exact match, else its longest matching prefix, else the default."""
    for rule in rules:
        if rule.match_type == EXACT_MATCH and rule.pattern == url:
            return rule
    prefixes = [r for r in rules if r.match_type == PREFIX_MATCH and url.startswith(r.pattern)]
    if prefixes:
        return max(prefixes, key=lambda rule: len(rule.pattern))
    return next((rule for rule in rules if rule.match_type == DEFAULT), None)


def chosen_setting(rule: WebhookRule, draw: float) -> str:
    """The Setting a request to `rule` goes to, `draw` being uniform in [0, 1)."""
    below = 0.0
    for setting_sid, percentage in rule.settings:
        below += percentage / 100
        if draw < below:
            return setting_sid
    return rule.settings[-1][0]


def setting_in(
    conn: Connection, account_sid: str, url: str, draw: float | None = None
) -> SendingSetting | None:
    """The Setting of the account's Rule for `url` now, or None: no Rule matches. `draw`,
    uniform in [0, 1), splits a two-Setting Rule's traffic (random if not given)."""
    rule = matching_rule(webhook_rules.rules_of(conn, account_sid), without_fragment(url))
    if rule is None:
        return None
    split = _SPLIT.random() if draw is None else draw
    return webhook_settings.sending_setting(conn, chosen_setting(rule, split))


async def delivery_setting(
    database: Database, delivery: Delivery, url: str
) -> SendingSetting | None:
    """The Setting `delivery`'s attempt to `url` gets now; nothing is read when its account
    has no Rule."""
    if not delivery.uses_webhook_rules:
        return None
    return await database.read(setting_in, delivery.account_sid, url)


def shared_key_signing(setting: SendingSetting | None) -> SharedKeySigning | None:
    if setting is None or setting.shared_key_sid is None or setting.secret is None:
        return None
    return SharedKeySigning(setting.shared_key_sid, setting.secret, setting.algorithm or "")


def timeouts(setting: SendingSetting | None) -> Timeouts | None:
    """The Setting's `connection` timeouts: they replace the 5-second limit."""
    if setting is None or setting.connect_timeout_ms is None or setting.read_timeout_ms is None:
        return None
    total = setting.total_timeout_ms
    return Timeouts(
        connect=setting.connect_timeout_ms / 1000,
        read=setting.read_timeout_ms / 1000,
        total=None if total is None else total / 1000,
    )


def retry_policy(setting: SendingSetting | None, default: RetryPolicy) -> RetryPolicy:
    """chinwag's policy, narrowed by the Setting's `connection` (with no `retryPolicy`:
    "default: 0, no retries")."""
    if setting is None or setting.retry_count is None:
        return default
    return default.for_setting(setting.retry_count, setting.retry_on or ())
