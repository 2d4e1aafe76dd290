"""What a Reset deletes is derived from the table metadata (store/account_data.py): every
table with account data is covered, children before parents."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, Text, bindparam

from chinwag.store.account_data import DELETE_PLAN, KEPT, owned_rows
from chinwag.store.tables import metadata

PLANNED = [table.name for table, _ in DELETE_PLAN]


def test_every_table_is_either_reset_or_kept() -> None:
    """A new table must carry `account_sid`, or a non-null foreign key into a table that
    does, for a Reset to find its rows; or be listed in KEPT on purpose."""
    uncovered = set(metadata.tables) - set(PLANNED) - KEPT
    assert not uncovered, (
        f"{sorted(uncovered)}: give each an account_sid column or a non-null foreign key "
        "into an account's rows (store/account_data.py), or add it to KEPT"
    )


def test_only_the_account_its_keys_its_settings_and_signed_out_sessions_are_kept() -> None:
    kept = {"accounts", "api_keys", "account_configurations", "signed_out_sessions"}
    assert kept == KEPT
    assert not KEPT & set(PLANNED)


def test_every_planned_table_is_deleted_once() -> None:
    assert len(PLANNED) == len(set(PLANNED))


def test_children_are_deleted_before_their_parents() -> None:
    position = {name: index for index, name in enumerate(PLANNED)}
    for table, _ in DELETE_PLAN:
        for key in table.foreign_keys:
            parent = key.column.table.name
            if parent in position and parent != table.name:
                assert position[table.name] < position[parent], (table.name, parent)


def _sql(table: Table) -> str:
    condition = owned_rows(table, bindparam("account_sid"))
    assert condition is not None, table.name
    return str(condition.compile(compile_kwargs={"literal_binds": False}))


def test_a_table_without_account_sid_is_owned_through_its_foreign_key() -> None:
    attempts = metadata.tables["delivery_attempts"]
    assert "account_sid" not in attempts.c
    sql = _sql(attempts)
    assert "delivery_attempts.delivery_id IN" in sql
    assert "deliveries.account_sid = :account_sid" in sql


def _child(scratch: MetaData, name: str, nullable: bool) -> Table:
    key = Column("parent_id", Integer, ForeignKey("parent.id"), nullable=nullable)
    return Table(name, scratch, Column("id", Integer, primary_key=True), key)


def test_a_nullable_foreign_key_does_not_make_an_owner() -> None:
    """A row whose key is null points at no account's row: it would be left behind."""
    scratch = MetaData()
    Table("parent", scratch, Column("id", Integer, primary_key=True), Column("account_sid", Text))
    loose, tied = _child(scratch, "loose", True), _child(scratch, "tied", False)
    assert owned_rows(loose, bindparam("account_sid")) is None
    assert owned_rows(tied, bindparam("account_sid")) is not None


def test_the_default_service_is_emptied_not_deleted() -> None:
    services = {table.name: statement for table, statement in DELETE_PLAN}["services"]
    assert "services.sid != :keep_service_sid" in str(services)
