"""store/bound_lists.py: a list bound as one parameter selects what an expanding `IN` does,
on either engine, through the compiled path."""

from datetime import UTC, datetime

from sqlalchemy import Connection, Select, bindparam, func, or_, select

from chinwag.store import compiled
from chinwag.store.bound_lists import in_list
from chinwag.store.tables import accounts, services
from tests.databases import on_database

ACCOUNT = "AC" + "2" * 32
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SIDS = ["IS" + str(i) * 32 for i in range(1, 5)]
_IN = select(services.c.sid).where(in_list(services.c.sid, "sids")).order_by(services.c.sid)
_NOT_IN = select(services.c.sid).where(~in_list(services.c.sid, "sids")).order_by(services.c.sid)
# A NULL column is in no list: `~in_list` leaves it out unless the list is empty, as NOT IN does.
_NAME_NOT_IN = select(services.c.sid).where(
    or_(
        services.c.sid == bindparam("always"),
        ~in_list(func.nullif(services.c.friendly_name, "s0"), "names"),  # s0's is NULL
    )
)


def _seed(conn: Connection) -> None:
    conn.execute(
        accounts.insert(),
        {"sid": ACCOUNT, "auth_token": "t", "friendly_name": "a", "date_created": WHEN},
    )
    conn.execute(
        services.insert(),
        [
            {
                "sid": sid,
                "account_sid": ACCOUNT,
                "friendly_name": f"s{i}",
                "is_default": False,
                "date_created": WHEN,
                "date_updated": WHEN,
            }
            for i, sid in enumerate(SIDS)
        ],
    )


def test_a_bound_list_selects_as_in_and_not_in_do(database_url: str) -> None:
    def work(conn: Connection) -> dict[str, object]:
        _seed(conn)

        def sids(statement: Select[tuple[str]], **params: object) -> list[str]:
            return [row[0] for row in compiled.rows(conn, statement, params)]

        return {
            "in": sids(_IN, sids=[SIDS[2], SIDS[0], "ISnone"]),
            "in none": sids(_IN, sids=[]),
            "not in": sids(_NOT_IN, sids=frozenset([SIDS[1]])),
            "not in none": sids(_NOT_IN, sids=[]),
            "null, not in": sorted(sids(_NAME_NOT_IN, always="-", names=["s1"])),
            "null, not in none": sorted(sids(_NAME_NOT_IN, always="-", names=[])),
        }

    assert on_database(database_url, work) == {
        "in": [SIDS[0], SIDS[2]],
        "in none": [],
        "not in": [SIDS[0], SIDS[2], SIDS[3]],
        "not in none": SIDS,
        "null, not in": [SIDS[2], SIDS[3]],  # the NULL name is left out, as NOT IN leaves it
        "null, not in none": SIDS,
    }


def test_a_list_of_any_length_runs_one_compiled_statement(database_url: str) -> None:
    def work(conn: Connection) -> int:
        _seed(conn)
        for length in (1, 2, 3, 7000):  # past SQLite's and asyncpg's bound-parameter limits
            compiled.rows(conn, _IN, {"sids": SIDS[:1] * length})
        plans = compiled._plans
        return sum(1 for (of, dialect, _) in plans if (of, dialect) == (id(_IN), conn.dialect.name))

    assert on_database(database_url, work) == 1
