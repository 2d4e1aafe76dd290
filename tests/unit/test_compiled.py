"""store/compiled.py runs a statement exactly as `Connection.execute` does, on either engine."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError

from chinwag.store import compiled
from chinwag.store.tables import accounts, services
from tests.databases import on_database

ACCOUNT = "AC" + "1" * 32
WHEN = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
_SERVICE = select(services).where(
    services.c.account_sid == bindparam("account_sid"), services.c.is_default == 1
)
_INSERT_SERVICE = services.insert()


def _service(sid: str, is_default: bool) -> dict[str, object]:
    return {
        "sid": sid,
        "account_sid": ACCOUNT,
        "friendly_name": f"service {sid}",
        "is_default": is_default,
        "date_created": WHEN,
        "date_updated": WHEN,
    }


def _seed(conn: Connection) -> None:
    conn.execute(
        accounts.insert(),
        {"sid": ACCOUNT, "auth_token": "t", "friendly_name": "a", "date_created": WHEN},
    )
    params = [_service("IS" + "1" * 32, True), _service("IS" + "2" * 32, False)]
    compiled.execute_many(conn, _INSERT_SERVICE, params)


def test_rows_come_back_as_connection_execute_returns_them(database_url: str) -> None:
    def work(conn: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        _seed(conn)
        params = {"account_sid": ACCOUNT}
        return compiled.rows(conn, _SERVICE, params), [
            tuple(row) for row in conn.execute(_SERVICE, params)
        ]

    fast, slow = on_database(database_url, work)
    assert fast == slow
    assert len(fast) == 1  # the bound `is_default == 1` of the statement itself applies
    row = dict(zip(_SERVICE.selected_columns.keys(), fast[0], strict=True))
    assert row["date_created"] == WHEN and row["date_created"].tzinfo is not None
    assert row["is_default"] is True


def test_execute_counts_the_rows_an_update_matched(database_url: str) -> None:
    rename = (
        services.update()
        .where(services.c.account_sid == bindparam("match"))
        .values(friendly_name=bindparam("name"))
    )

    def work(conn: Connection) -> tuple[int, object]:
        _seed(conn)
        count = compiled.execute(conn, rename, {"match": ACCOUNT, "name": "renamed"})
        names = select(services.c.friendly_name).where(services.c.account_sid == ACCOUNT)
        return count, set(conn.execute(names).scalars())

    assert on_database(database_url, work) == (2, {"renamed"})


def test_a_driver_error_is_raised_as_sqlalchemys(database_url: str) -> None:
    def work(conn: Connection) -> None:
        _seed(conn)
        compiled.execute(conn, _INSERT_SERVICE, _service("IS" + "1" * 32, False))

    with pytest.raises(IntegrityError):  # the unique SID: what the retries read on PostgreSQL
        on_database(database_url, work)


def test_an_expanding_parameter_is_refused(database_url: str) -> None:
    in_list = select(services.c.sid).where(services.c.sid.in_(bindparam("sids", expanding=True)))
    with pytest.raises(TypeError, match="Expanding"):
        on_database(database_url, lambda conn: compiled.rows(conn, in_list, {"sids": ["x"]}))
