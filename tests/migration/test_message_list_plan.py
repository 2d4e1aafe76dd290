"""A conversation's messages are paged through an index, never by sorting all of them.

Without the (conversation_sid, id) index of migration 0006, SQLite sorted every
message of the conversation for each page (docs/benchmarks.md, "Message history").
SQLite's plan, without statistics, is deterministic, so it is checked here;
PostgreSQL chooses by cost (bench/history.py records its plans).
"""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event

from chinwag.store.database import create_sqlite_engine
from chinwag.store.messages import list_messages
from chinwag.store.migrate import upgrade
from chinwag.store.receipts import statuses_of
from chinwag.twilio.pagination import PageRequest


def plan_of_list(conn: Connection, request: PageRequest, descending: bool) -> str:
    statements: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        statements.append((args[2], args[3]))  # the statement and its parameters

    event.listen(conn, "before_cursor_execute", capture)
    list_messages(conn, "CH" + "0" * 32, request, descending=descending)
    event.remove(conn, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    return " / ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize("descending", [False, True], ids=["oldest first", "newest first"])
@pytest.mark.parametrize(
    "request_",
    [PageRequest(50, 0), PageRequest(50, 0, after_id=7), PageRequest(50, 0, before_id=7)],
    ids=["first page", "next page", "previous page"],
)
def test_message_pages_read_the_conversation_id_index_without_a_sort(
    tmp_path: Path, request_: PageRequest, descending: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_sqlite_engine(url)
    try:
        with engine.connect() as conn:
            plan = plan_of_list(conn, request_, descending)
    finally:
        engine.dispose()
    assert "USING INDEX ix_messages_conversation_sid_id" in plan
    assert "TEMP B-TREE" not in plan


def test_a_pages_delivery_summaries_are_one_indexed_query(tmp_path: Path) -> None:
    """Every message of a page gets its `delivery` from one statement, read by message SID."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_sqlite_engine(url)
    statements: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        statements.append((args[2], args[3]))

    try:
        with engine.connect() as conn:
            event.listen(conn, "before_cursor_execute", capture)
            statuses_of(conn, [f"IM{n:032x}" for n in range(100)])
            event.remove(conn, "before_cursor_execute", capture)
            [(statement, parameters)] = [s for s in statements if s[0].startswith("SELECT")]
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = " / ".join(str(row[-1]) for row in rows)
    finally:
        engine.dispose()
    assert "USING INDEX" in plan and "message_sid" in plan, plan
    assert "SCAN delivery_receipts" not in plan, plan
