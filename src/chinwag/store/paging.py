"""Run a list query one page at a time, by offset or by keyset cursor on `id`."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Connection, Row, Select

from chinwag.twilio.pagination import Page, PageRequest


def fetch_page(
    conn: Connection,
    query: Select[Any],
    id_column: Column[int],
    request: PageRequest,
    record: Callable[[Row[Any]], Any],
    *,
    descending: bool = False,
) -> Page:
    """Records in id order (ascending unless `descending`); `query` must select `id`.

    One row more than the page size is read to know whether another page follows.
    A `before` cursor walks back towards the start of the list, so it reads in the
    opposite order and reverses.
    """
    size = request.size
    forward = id_column.desc() if descending else id_column.asc()
    backward = id_column.asc() if descending else id_column.desc()

    def beyond(cursor: int) -> Any:
        return id_column < cursor if descending else id_column > cursor

    def before(cursor: int) -> Any:
        return id_column > cursor if descending else id_column < cursor

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
