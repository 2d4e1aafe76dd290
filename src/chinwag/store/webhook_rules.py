"""Webhook Rules of an account (which Setting a URL gets), and the Operations their
changes answered."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, or_, select

from chinwag.store.paging import fetch_page
from chinwag.store.records import RecordMapper
from chinwag.store.tables import webhook_operations, webhook_rules
from chinwag.twilio.pagination import Page, PageRequest

# A Rule's `matchType`: one URL, every URL under a prefix, or every other URL.
EXACT_MATCH, PREFIX_MATCH, DEFAULT = "EXACT_MATCH", "PREFIX_MATCH", "DEFAULT"


@dataclass(frozen=True)
class WebhookRule:
    sid: str  # webhooks_rule_...: the API's `id`
    account_sid: str
    friendly_name: str
    description: str
    match_type: str  # EXACT_MATCH, PREFIX_MATCH or DEFAULT
    pattern: str  # the exact URL (`value`), the `prefix`, or "" for DEFAULT
    setting_sid: str
    percentage: int
    second_setting_sid: str | None
    second_percentage: int | None
    date_created: datetime
    date_updated: datetime

    @property
    def settings(self) -> list[tuple[str, int]]:
        """(Setting id, percentage of the traffic) for its one or two Settings."""
        first = [(self.setting_sid, self.percentage)]
        if self.second_setting_sid is None or self.second_percentage is None:
            return first
        return [*first, (self.second_setting_sid, self.second_percentage)]


@dataclass(frozen=True)
class WebhookOperation:
    sid: str
    account_sid: str
    resource_sid: str
    date_created: datetime


_RULES = RecordMapper(webhook_rules, WebhookRule, fixed={"sid", "account_sid", "date_created"})
_LIST = select(*_RULES.columns).where(webhook_rules.c.account_sid == bindparam("account_sid"))
_GET = _LIST.where(webhook_rules.c.sid == bindparam("sid"))
_ALL = _LIST.order_by(webhook_rules.c.id)
_SAME_MATCH = _LIST.where(
    webhook_rules.c.match_type == bindparam("match_type"),
    webhook_rules.c.pattern == bindparam("pattern"),
)
_COUNT = select(func.count()).where(webhook_rules.c.account_sid == bindparam("account_sid"))
_DELETE = delete(webhook_rules).where(webhook_rules.c.sid == bindparam("sid"))
_OPERATIONS = RecordMapper(webhook_operations, WebhookOperation)
_LIST_OPERATIONS = select(*_OPERATIONS.columns).where(
    webhook_operations.c.account_sid == bindparam("account_sid")
)
_GET_OPERATION = _LIST_OPERATIONS.where(webhook_operations.c.sid == bindparam("sid"))
_PRUNE_OPERATIONS = delete(webhook_operations).where(
    webhook_operations.c.account_sid == bindparam("account_sid"),
    webhook_operations.c.date_created < bindparam("before"),
)


def insert_rule(conn: Connection, rule: WebhookRule) -> None:
    _RULES.insert(conn, rule)


def save_rule(conn: Connection, rule: WebhookRule) -> None:
    _RULES.save(conn, rule)


def get_rule(conn: Connection, account_sid: str, sid: str) -> WebhookRule | None:
    row = conn.execute(_GET, {"account_sid": account_sid, "sid": sid}).first()
    return _RULES.from_row(row) if row else None


def rule_matching_the_same(
    conn: Connection, account_sid: str, match_type: str, pattern: str
) -> WebhookRule | None:
    params = {"account_sid": account_sid, "match_type": match_type, "pattern": pattern}
    row = conn.execute(_SAME_MATCH, params).first()
    return _RULES.from_row(row) if row else None


def rules_of(conn: Connection, account_sid: str) -> list[WebhookRule]:
    """Every Rule of the account (at most 50: domain/webhook_rules.py)."""
    return [_RULES.from_row(row) for row in conn.execute(_ALL, {"account_sid": account_sid})]


def count_rules(conn: Connection, account_sid: str) -> int:
    count: int = conn.execute(_COUNT, {"account_sid": account_sid}).scalar_one()
    return count


def list_rules(
    conn: Connection, account_sid: str, request: PageRequest, setting_sid: str | None = None
) -> Page:
    """The account's Rules, oldest first; with `setting_sid`, those that send to it."""
    query = _LIST.params(account_sid=account_sid)
    if setting_sid is not None:
        query = query.where(
            or_(
                webhook_rules.c.setting_sid == setting_sid,
                webhook_rules.c.second_setting_sid == setting_sid,
            )
        )
    return fetch_page(conn, query, webhook_rules.c.id, request, _RULES.from_row)


def delete_rule(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


def insert_operation(conn: Connection, operation: WebhookOperation, prune_before: datetime) -> None:
    """Record `operation`, and forget the account's Operations made before `prune_before`."""
    params = {"account_sid": operation.account_sid, "before": prune_before}
    conn.execute(_PRUNE_OPERATIONS, params)
    _OPERATIONS.insert(conn, operation)


def get_operation(conn: Connection, account_sid: str, sid: str) -> WebhookOperation | None:
    row = conn.execute(_GET_OPERATION, {"account_sid": account_sid, "sid": sid}).first()
    return _OPERATIONS.from_row(row) if row else None


def list_operations(
    conn: Connection, account_sid: str, request: PageRequest, resource_sid: str | None = None
) -> Page:
    """The account's Operations of the last 7 days; with `resource_sid`, one Rule's."""
    query = _LIST_OPERATIONS.params(account_sid=account_sid)
    if resource_sid is not None:
        query = query.where(webhook_operations.c.resource_sid == resource_sid)
    return fetch_page(conn, query, webhook_operations.c.id, request, _OPERATIONS.from_row)
