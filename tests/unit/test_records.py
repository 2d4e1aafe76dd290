"""store/records.RecordMapper: a keyed record is read with `get` and kept one row per
key by `replace`."""

from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Connection, MetaData, String, Table, create_engine, func, select

from chinwag.store.records import RecordMapper

_metadata = MetaData()
_settings = Table(
    "settings",
    _metadata,
    Column("owner_sid", String(34), primary_key=True),
    Column("colour", String(10), nullable=False),
)


@dataclass(frozen=True)
class Setting:
    owner: str
    colour: str


KEYED = RecordMapper(_settings, Setting, columns={"owner": "owner_sid"}, key="owner")


def _connection() -> Connection:
    engine = create_engine("sqlite://")
    _metadata.create_all(engine)
    return engine.connect()


def test_replace_keeps_one_row_per_key_and_get_reads_it() -> None:
    with _connection() as conn:
        assert KEYED.get(conn, "A") is None
        KEYED.replace(conn, Setting("A", "red"))
        KEYED.replace(conn, Setting("B", "blue"))
        KEYED.replace(conn, Setting("A", "green"))
        assert KEYED.get(conn, "A") == Setting("A", "green")
        assert KEYED.get(conn, "B") == Setting("B", "blue")
        assert conn.execute(select(func.count()).select_from(_settings)).scalar_one() == 2


def test_a_mapper_without_key_has_no_get_or_replace() -> None:
    plain = RecordMapper(_settings, Setting, columns={"owner": "owner_sid"})
    with _connection() as conn, pytest.raises(TypeError, match="has no key"):
        plain.replace(conn, Setting("A", "red"))
