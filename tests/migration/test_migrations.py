"""The Alembic migrations build exactly the schema `store/tables.py` declares, on each engine."""

import re
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from chinwag.store.migrate import _assigned, alembic_config, head_revision, upgrade
from chinwag.store.tables import metadata
from tests.databases import Databases, on_database, run_sql


def _differences(conn: Connection) -> list[object]:
    """What Alembic's autogenerate finds between the database and `store/tables.py`."""
    found: list[object] = compare_metadata(MigrationContext.configure(conn), metadata)
    return found


def _index(index: Any) -> dict[str, object]:
    """An index as reflected, its partial index's WHERE as text (SQLite reflects it as a
    clause object, equal only to itself)."""
    options = {name: str(value) for name, value in index.get("dialect_options", {}).items()}
    return {**index, "dialect_options": options}


def _schema(conn: Connection) -> dict[str, object]:
    """Every table's columns, keys, indexes and constraints as the database reports them.

    Columns in name order: a migration adds its columns at the end, create_all puts
    them where tables.py declares them, and no query depends on the order."""
    found = inspect(conn)
    return {
        table: (
            sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ),
            found.get_pk_constraint(table),
            sorted(found.get_foreign_keys(table), key=repr),
            sorted((_index(index) for index in found.get_indexes(table)), key=repr),
            sorted(found.get_unique_constraints(table), key=repr),
        )
        for table in sorted(found.get_table_names())
    }


def test_migrations_replayed_from_empty_match_the_tables(empty_database_url: str) -> None:
    url = empty_database_url
    command.upgrade(alembic_config(url), "head")
    upgrade(url)  # at the head already: a no-op, as at every server start

    assert on_database(url, _differences) == []
    assert run_sql(url, "SELECT version_num FROM alembic_version") == [("0029",)]
    tables = on_database(url, lambda conn: set(inspect(conn).get_table_names()))
    assert tables >= set(metadata.tables)


def test_a_fresh_database_is_created_as_the_migrations_build_it(
    empty_database_url: str, databases: Databases
) -> None:
    created = empty_database_url
    upgrade(created)  # empty: create_all and stamped at the head, in one step
    upgrade(created)  # a second run is a no-op
    migrated = databases.new(migrated=False)
    command.upgrade(alembic_config(migrated), "head")

    assert on_database(created, _differences) == []
    assert on_database(created, _schema) == on_database(migrated, _schema)
    assert run_sql(created, "SELECT version_num FROM alembic_version") == [("0029",)]
    head = ScriptDirectory.from_config(alembic_config(created)).get_current_head()
    assert head_revision() == head == "0029"
    command.check(alembic_config(created))  # Alembic itself sees nothing to generate


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


def test_upgrading_a_0007_database_gives_each_service_its_default_roles(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    command.upgrade(alembic_config(url), "0007")
    when = "'2026-01-01 00:00:00'"
    for sql in (
        f"INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
        f"VALUES ('AC1', 't', 'a', {when})",
        f"INSERT INTO services (sid, account_sid, friendly_name, is_default, date_created, "
        f"date_updated) VALUES ('IS1', 'AC1', 's', 1, {when}, {when})",
        f"INSERT INTO conversations (sid, account_sid, service_sid, attributes, state, "
        f"date_created, date_updated) VALUES ('CH1', 'AC1', 'IS1', '{{}}', 'active', "
        f"{when}, {when})",
        f"INSERT INTO participants (sid, account_sid, service_sid, conversation_sid, identity, "
        f"attributes, date_created, date_updated) VALUES ('MB1', 'AC1', 'IS1', 'CH1', 'a', "
        f"'{{}}', {when}, {when})",
        f"INSERT INTO participants (sid, account_sid, service_sid, conversation_sid, identity, "
        f"attributes, role_sid, date_created, date_updated) VALUES ('MB2', 'AC1', 'IS1', "
        f"'CH1', 'b', '{{}}', 'RLkept', {when}, {when})",
        f"INSERT INTO users (sid, account_sid, service_sid, identity, attributes, "
        f"date_created, date_updated) VALUES ('US1', 'AC1', 'IS1', 'a', '{{}}', {when}, {when})",
    ):
        run_sql(url, sql)
    upgrade(url)

    roles = dict(run_sql(url, "SELECT friendly_name, sid FROM roles WHERE service_sid = 'IS1'"))
    assert set(roles) == {"channel admin", "channel user", "service admin", "service user"}
    assert run_sql(
        url,
        "SELECT default_conversation_creator_role_sid, default_conversation_role_sid, "
        "default_chat_service_role_sid, reachability_enabled FROM service_configurations",
    ) == [(roles["channel admin"], roles["channel user"], roles["service user"], 0)]
    assert run_sql(url, "SELECT sid, role_sid FROM participants ORDER BY sid") == [
        ("MB1", roles["channel user"]),
        ("MB2", "RLkept"),
    ]
    assert run_sql(url, "SELECT role_sid FROM users") == [(roles["service user"],)]


def test_upgrading_gives_existing_accounts_a_default_messaging_service(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    command.upgrade(alembic_config(url), "0007")
    for sid in ("AC1", "AC2"):
        run_sql(
            url,
            "INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
            f"VALUES ('{sid}', 't', 'a', '2026-01-01 00:00:00')",
        )
    upgrade(url)
    rows = run_sql(
        url,
        "SELECT account_sid, default_messaging_service_sid, default_inactive_timer, "
        "default_closed_timer FROM account_configurations ORDER BY account_sid",
    )
    assert [(row[0], row[2], row[3]) for row in rows] == [("AC1", None, None), ("AC2", None, None)]
    messaging = [row[1] for row in rows]
    assert all(re.fullmatch(r"MG[0-9a-f]{32}", sid) for sid in messaging)
    assert messaging[0] != messaging[1]


def test_upgrading_makes_the_default_services_configuration_the_global_one(
    empty_database_url: str,
) -> None:
    """Until 0015 `/v1/Configuration/Webhooks` was the default service's row: it becomes
    the account's global configuration; other services keep theirs, without `target`."""
    url = empty_database_url
    command.upgrade(alembic_config(url), "0014")
    when = "'2026-01-01 00:00:00'"
    for sql in (
        f"INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
        f"VALUES ('AC1', 't', 'a', {when})",
        f"INSERT INTO services (sid, account_sid, friendly_name, is_default, date_created, "
        f"date_updated) VALUES ('IS1', 'AC1', 'default', 1, {when}, {when})",
        f"INSERT INTO services (sid, account_sid, friendly_name, is_default, date_created, "
        f"date_updated) VALUES ('IS2', 'AC1', 'other', 0, {when}, {when})",
        "INSERT INTO service_webhooks (service_sid, account_sid, pre_webhook_url, "
        "post_webhook_url, filters, method, target) VALUES ('IS1', 'AC1', 'http://pre', "
        "'http://post', '[\"onMessageAdded\"]', 'GET', 'flex')",
        "INSERT INTO service_webhooks (service_sid, account_sid, pre_webhook_url, "
        "post_webhook_url, filters, method, target) VALUES ('IS2', 'AC1', NULL, "
        "'http://two', '[]', 'POST', 'webhook')",
    ):
        run_sql(url, sql)
    upgrade(url)

    assert run_sql(
        url,
        "SELECT account_sid, pre_webhook_url, post_webhook_url, method, target "
        "FROM global_webhooks",
    ) == [("AC1", "http://pre", "http://post", "GET", "flex")]
    assert run_sql(url, "SELECT service_sid, post_webhook_url, method FROM service_webhooks") == [
        ("IS2", "http://two", "POST")
    ]
    [(filters,)] = run_sql(url, "SELECT filters FROM global_webhooks")
    assert filters in ('["onMessageAdded"]', ["onMessageAdded"])  # JSON text or decoded


def _media_columns(conn: Connection) -> list[str]:
    return [column["name"] for column in inspect(conn).get_columns("media")]


def _media_keys(conn: Connection) -> dict[str, Any]:
    """`media`'s primary key, unique constraints, foreign keys (and their ON DELETE) and
    indexes, as the database reports them."""
    found = inspect(conn)
    return {
        "primary": found.get_pk_constraint("media"),
        "unique": found.get_unique_constraints("media"),
        "foreign": sorted(found.get_foreign_keys("media"), key=repr),
        "indexes": sorted(found.get_indexes("media"), key=repr),
    }


def test_upgrading_a_0021_database_puts_media_content_last_and_keeps_the_media(
    empty_database_url: str,
) -> None:
    """0022 rebuilds `media` on SQLite with `content` last (where SQLite keeps an upload's
    zeroblob lazy); the media, their bytes, keys, cascades and indexes survive, and a
    downgrade puts the column back. PostgreSQL's table is left as it is."""
    url = empty_database_url
    sqlite = url.startswith("sqlite")
    command.upgrade(alembic_config(url), "0021")
    before = on_database(url, _media_columns)
    assert before.index("content") < before.index("date_created")
    keys = on_database(url, _media_keys)
    assert {fk["options"].get("ondelete") for fk in keys["foreign"]} == {"CASCADE"}
    when = "'2026-01-01 00:00:00'"
    for sql in (
        f"INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
        f"VALUES ('AC1', 't', 'a', {when})",
        f"INSERT INTO services (sid, account_sid, friendly_name, is_default, date_created, "
        f"date_updated) VALUES ('IS1', 'AC1', 's', 1, {when}, {when})",
        f"INSERT INTO conversations (sid, account_sid, service_sid, attributes, state, "
        f"date_created, date_updated) VALUES ('CH1', 'AC1', 'IS1', '{{}}', 'active', "
        f"{when}, {when})",
        f"INSERT INTO messages (sid, account_sid, service_sid, conversation_sid, "
        f"message_index, attributes, date_created, date_updated) VALUES ('IM1', 'AC1', "
        f"'IS1', 'CH1', 0, '{{}}', {when}, {when})",
    ):
        run_sql(url, sql)
    sent, kept = bytes(range(256)) * 4096 + b"sent", b"\0kept\xff"
    insert_medium = (
        "INSERT INTO media (id, sid, account_sid, service_sid, conversation_sid, message_sid, "
        "content_type, filename, size, content, date_created, date_updated) VALUES (:id, "
        ":sid, 'AC1', 'IS1', :conversation, :message, 'image/png', :filename, :size, "
        f":content, {when}, {when})"
    )
    for medium in (
        {"id": 7, "sid": "ME1", "conversation": "CH1", "message": "IM1", "filename": "a.png"},
        {"id": 9, "sid": "ME2", "conversation": None, "message": None, "filename": None},
    ):
        content = sent if medium["sid"] == "ME1" else kept
        run_sql(url, insert_medium, **medium, size=len(content), content=content)
    media = "SELECT id, sid, message_sid, filename, size, content FROM media ORDER BY id"
    stored = [(7, "ME1", "IM1", "a.png", len(sent), sent), (9, "ME2", None, None, 6, kept)]
    assert run_sql(url, media) == stored

    upgrade(url)

    assert run_sql(url, media) == stored
    if sqlite:
        columns = [row[1] for row in run_sql(url, "PRAGMA table_info(media)")]
        assert columns == [name for name in before if name != "content"] + ["content"]
    else:
        assert on_database(url, _media_columns) == before
        assert run_sql(url, CONTENT_STORAGE) == [("e",)]  # EXTERNAL: never compressed
    assert on_database(url, _media_keys) == keys
    assert on_database(url, _differences) == []
    run_sql(url, "DELETE FROM messages WHERE sid = 'IM1'")  # cascades to its medium
    assert run_sql(url, "SELECT sid FROM media") == [("ME2",)]
    command.downgrade(alembic_config(url), "0021")
    assert on_database(url, _media_columns) == before
    assert on_database(url, _media_keys) == keys
    assert run_sql(url, media) == [stored[1]]
    run_sql(url, "DELETE FROM services WHERE sid = 'IS1'")  # and the service to the rest
    assert run_sql(url, "SELECT sid FROM media") == []


CONTENT_STORAGE = (
    "SELECT attstorage::text FROM pg_attribute "
    "WHERE attrelid = 'media'::regclass AND attname = 'content'"
)


def test_a_fresh_database_stores_media_as_the_migrations_do(empty_database_url: str) -> None:
    """Content last on SQLite, uncompressed on PostgreSQL (store/tables.py, 0022)."""
    url = empty_database_url
    upgrade(url)  # create_all, not the migrations
    if url.startswith("sqlite"):
        assert run_sql(url, "PRAGMA table_info(media)")[-1][1] == "content"
    else:
        assert run_sql(url, CONTENT_STORAGE) == [("e",)]


def test_the_head_is_read_in_every_style_alembic_writes_a_revision() -> None:
    # script.py.mako writes repr()s (single quotes); Alembic's own templates annotate.
    source = "revision: str = '0021'\ndown_revision: str | tuple[str, ...] = ('0019', '0020')\n"
    assert _assigned("revision", source) == {"0021"}
    assert _assigned("down_revision", source) == {"0019", "0020"}
    assert _assigned("down_revision", 'revision = "0001"\ndown_revision = None\n') == set()


def test_upgrading_to_ordered_delivery_leaves_everything_unordered(empty_database_url: str) -> None:
    """0029: existing webhooks, configurations and sinks are not ordered, existing
    deliveries belong to no order; going back, a waiting delivery is due again."""
    url = empty_database_url
    command.upgrade(alembic_config(url), "0028")
    when = "'2026-01-01 00:00:00'"
    for sql in (
        f"INSERT INTO accounts (sid, auth_token, friendly_name, date_created) "
        f"VALUES ('AC1', 't', 'a', {when})",
        "INSERT INTO global_webhooks (account_sid, target) VALUES ('AC1', 'webhook')",
        f"INSERT INTO sinks (sid, account_sid, description, sink_type, sink_configuration, "
        f"status, date_created, date_updated) VALUES ('DG1', 'AC1', 's', 'webhook', '{{}}', "
        f"'active', {when}, {when})",
        f"INSERT INTO deliveries (token, account_sid, target, event_type, method, params, "
        f"status, date_created, date_updated) VALUES ('t1', 'AC1', 'webhook', 'onMessageAdded', "
        f"'POST', '[]', 'pending', {when}, {when})",
    ):
        run_sql(url, sql)
    upgrade(url)
    assert run_sql(url, "SELECT ordered FROM global_webhooks") == [(0,)]
    assert run_sql(url, "SELECT ordered FROM sinks") == [(0,)]
    assert run_sql(url, "SELECT status, order_key FROM deliveries") == [("pending", None)]

    run_sql(url, "UPDATE deliveries SET status = 'waiting', next_attempt_at = NULL")
    command.downgrade(alembic_config(url), "0028")
    assert run_sql(url, "SELECT status, next_attempt_at IS NOT NULL FROM deliveries") == [
        ("pending", True)
    ]
