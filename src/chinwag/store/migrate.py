"""Bring a database to the latest schema: created in one step when empty, else migrated.

An empty database gets `store/tables.py`'s schema through `metadata.create_all`
and is stamped with the head revision, in one transaction: replaying every
Alembic migration (SQLite rebuilds a table for most of them) made up most of a
server's start (docs/benchmarks.md, "Start-up", and its git history). tests/migration
proves that the two paths give the same schema on both engines. A database already at the head
is left alone; any other runs the Alembic migrations shipped inside the package.
Alembic itself is imported only to migrate: a server that starts on a fresh or
current database never loads it.
"""

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from chinwag.store.database import create_sqlite_engine, engine_url
from chinwag.store.tables import metadata

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Servers started together on one PostgreSQL database take turns (env.py takes it too).
MIGRATION_LOCK = 7463711

# Alembic's own version table, as `alembic stamp` creates it.
_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _assigned(name: str, source: str) -> set[str]:
    """The revision IDs a migration file assigns to `name` (a string, a tuple of them for
    a merge, or None), in the quotes and with the annotation Alembic's templates use."""
    found = re.search(rf"^{name}\b[^=\n]*=(.*)$", source, re.MULTILINE)
    return set(re.findall(r"""["']([^"']+)["']""", found.group(1))) if found else set()


def head_revision() -> str:
    """The newest migration's revision: the one no other migration names as its
    `down_revision` (read from the files, so that Alembic need not be loaded)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revisions |= _assigned("revision", source)
        parents |= _assigned("down_revision", source)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"The migrations have {len(heads)} heads, not one: {sorted(heads)}")
    return heads.pop()


def _create_or_check(conn: Connection, head: str) -> Literal["current", "created", "migrate"]:
    """In one write transaction: create the schema if the database is empty."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
    tables = set(inspect(conn).get_table_names())
    if not tables:
        metadata.create_all(conn)
        _VERSION.create(conn)
        conn.execute(_VERSION.insert().values(version_num=head))
        return "created"
    if _VERSION.name in tables:
        versions = conn.execute(select(_VERSION.c.version_num)).scalars().all()
        if versions == [head]:
            return "current"
    return "migrate"


def _in_transaction(url: str, head: str) -> str:
    if make_url(url).get_backend_name() == "postgresql":

        async def run() -> str:
            engine = create_async_engine(url)
            try:
                async with engine.begin() as conn:
                    return await conn.run_sync(_create_or_check, head)
            finally:
                await engine.dispose()

        return asyncio.run(run())
    engine = create_sqlite_engine(url)  # its write transactions begin IMMEDIATE
    try:
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            return _create_or_check(conn, head)
    finally:
        engine.dispose()


def upgrade(url: str) -> None:
    """Bring the database at `url` to the latest schema (a no-op when it is there)."""
    if _in_transaction(engine_url(url), head_revision()) == "migrate":
        from alembic import command

        command.upgrade(alembic_config(url), "head")
