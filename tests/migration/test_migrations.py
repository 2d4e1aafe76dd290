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
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0005"
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    engine.dispose()


def test_upgrading_a_0001_database_keeps_its_data(tmp_path: Path) -> None:
    from alembic import command

    from chinwag.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
            "VALUES ('AC1', 't', 'a', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO services (sid, account_sid, friendly_name, is_default, date_created, "
            "date_updated) VALUES ('IS1', 'AC1', 's', 1, '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO conversations (sid, account_sid, service_sid, attributes, state, "
            "date_created, date_updated) VALUES ('CH1', 'AC1', 'IS1', '{}', 'active', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO scoped_webhooks (sid, account_sid, service_sid, conversation_sid, target, "
            "filters, triggers, date_created, date_updated) VALUES ('WH1', 'AC1', 'IS1', 'CH1', "
            "'studio', '[]', '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    upgrade(url)
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT sid, next_message_index FROM conversations").one()
        assert tuple(row) == ("CH1", 0)
        assert conn.exec_driver_sql("SELECT sid FROM scoped_webhooks").scalar() == "WH1"
    engine.dispose()
