"""Everything an account owns, found from the table metadata: what a Reset deletes.

No table is listed by hand. A row belongs to an account when its table has an
`account_sid` column that says so, or when a non-null foreign key points at a row
that belongs to it (a delivery's attempts); `accounts` is the account itself. The
delete statements run children first (the reverse of `metadata.sorted_tables`), so
each one finds its parents' rows still there, and no foreign key is broken midway.

A table added later is covered the day it is declared with an `account_sid` column
or a non-null foreign key into an account's rows; tests/unit/test_account_data.py
fails for a table that is neither and is not in `KEPT`.
"""

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Delete,
    Table,
    bindparam,
    delete,
    select,
)

from chinwag.store.tables import (
    account_configurations,
    accounts,
    api_keys,
    metadata,
    services,
    signed_out_sessions,
)

# What a Reset leaves: the account, the keys that authenticate as it, and its settings
# row (kept for its default Messaging Service; domain/reset.py clears its timers); and
# the dashboard sessions signed out, whoever's (a Reset must not bring a session back).
KEPT = frozenset(
    {accounts.name, api_keys.name, account_configurations.name, signed_out_sessions.name}
)

_ACCOUNT: BindParameter[str] = bindparam("account_sid")
# The service a Reset empties instead of deleting (the account's default).
_KEEP_SERVICE: BindParameter[str] = bindparam("keep_service_sid")


def owned_rows(table: Table, account_sid: BindParameter[str]) -> ColumnElement[bool] | None:
    """The condition that picks the account's rows of `table`, or None if it has no owner."""
    if table is accounts:
        return accounts.c.sid == account_sid
    if "account_sid" in table.c:
        return table.c.account_sid == account_sid
    # A nullable key may point nowhere, and such a row would be missed: only non-null keys.
    for key in sorted(table.foreign_keys, key=lambda key: key.parent.name):
        if key.parent.nullable or key.column.table is table:  # a tree's root has no owner
            continue
        parent_rows = owned_rows(key.column.table, account_sid)
        if parent_rows is not None:
            return key.parent.in_(select(key.column).where(parent_rows))
    return None


def _delete_plan() -> list[tuple[Table, Delete]]:
    plan: list[tuple[Table, Delete]] = []
    for table in reversed(metadata.sorted_tables):
        condition = owned_rows(table, _ACCOUNT)
        if table.name in KEPT or condition is None:
            continue
        statement = delete(table).where(condition)
        if table is services:
            statement = statement.where(services.c.sid != _KEEP_SERVICE)
        plan.append((table, statement))
    return plan


# Built once, at import, as every store statement is.
DELETE_PLAN = _delete_plan()


def delete_account_data(
    conn: Connection, account_sid: str, keep_service_sid: str | None
) -> dict[str, int]:
    """Delete every row of the account but the `KEPT` tables' and the service
    `keep_service_sid` itself (its contents go); returns the rows deleted per table."""
    # No SID is empty: without a service to keep, every service goes.
    params = {"account_sid": account_sid, "keep_service_sid": keep_service_sid or ""}
    deleted: dict[str, int] = {}
    for table, statement in DELETE_PLAN:
        deleted[table.name] = conn.execute(statement, params).rowcount
    return deleted
