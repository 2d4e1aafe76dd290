"""Run a list query one page at a time, by offset or by keyset cursor on `id`."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Row, Select, select

from chinwag.twilio.pagination import Page, PageRequest


def fetch_page(
    conn: Connection,
    query: Select[Any],
    id_column: Column[int],
    request: PageRequest,
    record: Callable[[Row[Any]], Any],
    *,
    descending: bool = False,
    sort_column: Column[Any] | None = None,
) -> Page:
    """Records in id order (ascending unless `descending`); `query` must select `id`.

    `sort_column`, a column of the same table unique within the list (the conversation
    SID of one participant's ParticipantConversations), orders it instead of `id`. The
    cursor stays the row's id, and its sort key is read back from the row it names: a
    row deleted between two pages ends the list there.

    One row more than the page size is read to know whether another page follows.
    A `before` cursor walks back towards the start of the list, so it reads in the
    opposite order and reverses.
    """
    size = request.size
    key: Column[Any] = id_column if sort_column is None else sort_column
    forward = key.desc() if descending else key.asc()
    backward = key.asc() if descending else key.desc()

    def at(cursor: int) -> Any:
        if sort_column is None:
            return cursor
        # An alias: the list's query reads the same table, which would correlate.
        row = sort_column.table.alias("cursor_row")
        found: ColumnElement[Any] = row.c[id_column.name] == cursor
        return select(row.c[sort_column.name]).where(found).scalar_subquery()

    def beyond(cursor: int) -> Any:
        return key < at(cursor) if descending else key > at(cursor)

    def before(cursor: int) -> Any:
        return key > at(cursor) if descending else key < at(cursor)

    if request.before_id is not None:
        query = query.where(before(request.before_id)).order_by(backward).limit(size + 1)
        rows = list(conn.execute(query))
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        has_next = True  # we came back from a later page
    else:
        if request.after_id is not None:
            query = query.where(beyond(request.after_id))
        query = query.order_by(forward).offset(request.offset).limit(size + 1)
        rows = list(conn.execute(query))
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = request.after_id is not None or request.offset > 0
    return Page(
        rows=[record(row) for row in rows],
        first_id=rows[0].id if rows else None,
        last_id=rows[-1].id if rows else None,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
    )
