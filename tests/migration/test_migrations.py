"""The Alembic migrations build exactly the schema `store/tables.py` declares, on each engine."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from chinwag.store.migrate import alembic_config, upgrade
from chinwag.store.tables import metadata
from tests.databases import on_database, run_sql


def test_upgrade_from_empty_matches_the_tables_and_is_repeatable(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url)
    upgrade(url)  # a second run is a no-op, as at every server start

    def differences(conn: Connection) -> list[object]:
        found: list[object] = compare_metadata(MigrationContext.configure(conn), metadata)
        return found

    assert on_database(url, differences) == []
    assert run_sql(url, "SELECT version_num FROM alembic_version") == [("0011",)]
    tables = on_database(url, lambda conn: set(inspect(conn).get_table_names()))
    assert tables >= set(metadata.tables)


def test_upgrading_a_0001_database_keeps_its_data(empty_database_url: str) -> None:
    url = empty_database_url
    command.upgrade(alembic_config(url), "0001")
    run_sql(
        url,
        "INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
        "VALUES ('AC1', 't', 'a', '2026-01-01 00:00:00')",
    )
    run_sql(
        url,
        "INSERT INTO services (sid, account_sid, friendly_name, is_default, date_created, "
        "date_updated) VALUES ('IS1', 'AC1', 's', 1, '2026-01-01 00:00:00', "
        "'2026-01-01 00:00:00')",
    )
    run_sql(
        url,
        "INSERT INTO conversations (sid, account_sid, service_sid, attributes, state, "
        "date_created, date_updated) VALUES ('CH1', 'AC1', 'IS1', '{}', 'active', "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    run_sql(
        url,
        "INSERT INTO scoped_webhooks (sid, account_sid, service_sid, conversation_sid, target, "
        "filters, triggers, date_created, date_updated) VALUES ('WH1', 'AC1', 'IS1', 'CH1', "
        "'studio', '[]', '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    upgrade(url)
    assert run_sql(url, "SELECT sid, next_message_index FROM conversations") == [("CH1", 0)]
    assert run_sql(url, "SELECT sid FROM scoped_webhooks") == [("WH1",)]
