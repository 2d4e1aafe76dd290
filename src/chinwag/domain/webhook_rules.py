"""Webhook Rules: which Setting the requests to a URL get
(twilio.com/docs/usage/webhooks/webhook-rules; twilio-python 9.13's RuleList).

A Rule matches one exact URL (`EXACT_MATCH`, its `value`, "without a trailing slash"),
every URL under a prefix (`PREFIX_MATCH`, its `prefix`, which "must end with /"), or
every URL no other Rule matches (`DEFAULT`), and sends them to one or two Settings,
with the percentage of the traffic each gets ("must sum to 100"). An account has one
Rule per match (errors/59103). Which Rule a URL picks is decided when a request is sent
(delivery/url_settings.py).

Twilio applies a change in 30-60 s and answers 202 with an Operation to poll; chinwag
applies it in the call's own transaction, so the Operation it answers is COMPLETED.
"""

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Connection

from chinwag.domain.webhook_configuration import check_names, make_room
from chinwag.store import webhook_rules as store
from chinwag.store import webhook_settings
from chinwag.store.accounts import lock_account
from chinwag.store.webhook_rules import (
    DEFAULT,
    EXACT_MATCH,
    PREFIX_MATCH,
    WebhookOperation,
    WebhookRule,
)
from chinwag.twilio import type_ids
from chinwag.twilio.dates import utc_now
from chinwag.twilio.errors import (
    ConfigurationNotFound,
    ReferencedResourceNotFound,
    RuleAlreadyExists,
    ValidationFailed,
)
from chinwag.twilio.forms import shown
from chinwag.twilio.urls import is_http_url

MATCH_TYPES = (EXACT_MATCH, PREFIX_MATCH, DEFAULT)
MAX_PATTERN = 2048  # "Up to 2048 characters"
MAX_SETTINGS = 2  # "One or two Settings"
OPERATION_RETENTION = timedelta(days=7)  # retentionPeriod: "fixed at 7 days"


@dataclass(frozen=True)
class RuleFields:
    friendly_name: str | None = None
    description: str | None = None
    match_type: str | None = None
    value: str | None = None
    prefix: str | None = None
    settings: list[tuple[str | None, int | None]] | None = None  # (settingId, percentage)


def create_rule(
    conn: Connection, account_sid: str, fields: RuleFields
) -> tuple[WebhookRule, WebhookOperation]:
    check_names(fields.friendly_name, fields.description)
    if fields.match_type is None:
        raise ValidationFailed("matchType is required.")
    if fields.settings is None:
        raise ValidationFailed("settings is required.")
    make_room(conn, account_sid, store.count_rules, "Rules")
    now = utc_now()
    blank = WebhookRule(
        sid=type_ids.new_type_id(type_ids.RULE),
        account_sid=account_sid,
        friendly_name=fields.friendly_name or "",
        description=fields.description or "",
        match_type=DEFAULT,
        pattern="",
        setting_sid="",
        percentage=100,
        second_setting_sid=None,
        second_percentage=None,
        date_created=now,
        date_updated=now,
    )
    rule = _apply(conn, blank, fields)
    store.insert_rule(conn, rule)
    return rule, _completed(conn, rule)


def update_rule(
    conn: Connection, rule: WebhookRule, fields: RuleFields
) -> tuple[WebhookRule, WebhookOperation]:
    """PATCH: the names, the Settings, and (with `matchType`) the match, each if given."""
    check_names(fields.friendly_name, fields.description)
    lock_account(conn, rule.account_sid)
    changed = replace(_apply(conn, rule, fields), date_updated=utc_now())
    store.save_rule(conn, changed)
    return changed, _completed(conn, changed)


def delete_rule(conn: Connection, rule: WebhookRule) -> WebhookOperation:
    store.delete_rule(conn, rule.sid)
    return _completed(conn, rule)


def find_rule(conn: Connection, account_sid: str, sid: str) -> WebhookRule:
    """The account's Rule `sid`; another account's is as missing as an unknown one."""
    found = store.get_rule(conn, account_sid, sid)
    if found is None:
        raise ConfigurationNotFound(f"Rule '{shown(sid)}' was not found.")
    return found


def find_operation(conn: Connection, account_sid: str, sid: str) -> WebhookOperation:
    found = store.get_operation(conn, account_sid, sid)
    if found is None:
        raise ConfigurationNotFound(f"Operation '{shown(sid)}' was not found.")
    return found


def _apply(conn: Connection, rule: WebhookRule, fields: RuleFields) -> WebhookRule:
    changed = rule
    if fields.friendly_name is not None:
        changed = replace(changed, friendly_name=fields.friendly_name)
    if fields.description is not None:
        changed = replace(changed, description=fields.description)
    if fields.match_type is not None:
        match_type, pattern = _match(fields)
        same = store.rule_matching_the_same(conn, rule.account_sid, match_type, pattern)
        if same is not None and same.sid != rule.sid:
            raise RuleAlreadyExists(f"Rule '{same.sid}' already has this {match_type} match.")
        changed = replace(changed, match_type=match_type, pattern=pattern)
    if fields.settings is not None:
        (first, share), *second = _settings(conn, rule.account_sid, fields.settings)
        changed = replace(
            changed,
            setting_sid=first,
            percentage=share,
            second_setting_sid=second[0][0] if second else None,
            second_percentage=second[0][1] if second else None,
        )
    return changed


def _match(fields: RuleFields) -> tuple[str, str]:
    """(matchType, pattern): the URL or prefix its type requires, checked."""
    match_type = fields.match_type
    if match_type == DEFAULT:
        return DEFAULT, ""
    if match_type == EXACT_MATCH:
        name, pattern = "value", fields.value
    elif match_type == PREFIX_MATCH:
        name, pattern = "prefix", fields.prefix
    else:
        raise ValidationFailed(
            f"matchType '{shown(str(match_type))}' is not one of: {', '.join(MATCH_TYPES)}."
        )
    if not pattern:
        raise ValidationFailed(f"{name} is required for matchType {match_type}.")
    if len(pattern) > MAX_PATTERN:
        raise ValidationFailed(f"{name} is longer than {MAX_PATTERN} characters.")
    if not is_http_url(pattern):
        raise ValidationFailed(f"{name} '{shown(pattern)}' is not an http(s) URL.")
    if match_type == EXACT_MATCH and pattern.endswith("/"):
        raise ValidationFailed(f"value '{shown(pattern)}' must not end with '/'.")
    if match_type == PREFIX_MATCH and not pattern.endswith("/"):
        raise ValidationFailed(f"prefix '{shown(pattern)}' must end with '/'.")
    return match_type, pattern


def _settings(
    conn: Connection, account_sid: str, given: list[tuple[str | None, int | None]]
) -> list[tuple[str, int]]:
    if not 1 <= len(given) <= MAX_SETTINGS:
        raise ValidationFailed(f"settings must hold one or two Settings, not {len(given)}.")
    checked: list[tuple[str, int]] = []
    for number, (setting_sid, percentage) in enumerate(given):
        if not setting_sid:
            raise ValidationFailed(f"settings[{number}].settingId is required.")
        if percentage is None or not 1 <= percentage <= 100:
            raise ValidationFailed(f"settings[{number}].percentage must be from 1 to 100.")
        if webhook_settings.get_setting(conn, account_sid, setting_sid) is None:
            raise ReferencedResourceNotFound(f"Setting '{shown(setting_sid)}' was not found.")
        checked.append((setting_sid, percentage))
    if len({sid for sid, _ in checked}) < len(checked):
        raise ValidationFailed("settings names the same Setting twice.")
    if sum(percentage for _, percentage in checked) != 100:
        raise ValidationFailed("settings' percentages must sum to 100.")
    return checked


def _completed(conn: Connection, rule: WebhookRule) -> WebhookOperation:
    now = utc_now()
    operation = WebhookOperation(
        sid=type_ids.new_type_id(type_ids.OPERATION),
        account_sid=rule.account_sid,
        resource_sid=rule.sid,
        date_created=now,
    )
    store.insert_operation(conn, operation, prune_before=now - OPERATION_RETENTION)
    return operation
