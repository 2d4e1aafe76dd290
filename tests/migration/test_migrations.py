"""The Alembic migrations build exactly the schema `store/tables.py` declares."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from chinwag.store.migrate import upgrade
from chinwag.store.tables import metadata


def test_upgrade_from_empty_matches_the_tables_and_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    upgrade(url)  # a second run is a no-op, as at every server start
    engine = create_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    engine.dispose()
