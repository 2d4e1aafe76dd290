"""One mapping between a table's rows and a frozen dataclass record, declared once per record.

A store module declares its record and a `RecordMapper`; its queries select
`mapper.columns`, turn rows into records with `mapper.from_row`, and write records
with `mapper.insert` and `mapper.save`; a record kept one row per owner (a
service's configuration) is read with `mapper.get` and written with
`mapper.replace`. The mapper's statements are built once, at import, as every
store statement is: building a SQLAlchemy statement costs more than running it
(docs/benchmarks.md); its writes run compiled (store/compiled.py).
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Delete,
    Row,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from chinwag.store import compiled

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


class RecordMapper(Generic[R]):
    """How the fields of `record` map to the columns of `table`.

    Each field is the column of the same name unless `columns` says otherwise: the
    name of another column of the table (`Message.index` is `message_index`), or a
    column of a table the query joins (a claimed delivery's `auth_token`); a record
    with such a column is only read. `id` is selected first when the record has no
    field of that name, as lists page on it (store/paging.py). `fixed` names the
    fields `save` never writes (the row's identity and parents); a mapper without
    it has no `save`. `key` names the field a record of one row per owner is kept
    by (`service_sid`): a mapper with it has `get` and `replace`.
    """

    def __init__(
        self,
        table: Table,
        record: type[R],
        *,
        columns: Mapping[str, str | ColumnElement[Any]] | None = None,
        fixed: Collection[str] | None = None,
        key: str | None = None,
    ) -> None:
        self._record = record
        names = [field.name for field in fields(record)]
        other = columns or {}
        selected: list[ColumnElement[Any]] = []
        for name in names:
            column = other.get(name, name)
            if isinstance(column, str):
                column = table.c[column]
            selected.append(column.label(name) if name in other else column)
        self._skip = 0 if "id" in names or "id" not in table.c else 1
        self.columns: tuple[ColumnElement[Any], ...] = (
            (table.c.id, *selected) if self._skip else tuple(selected)
        )
        # The column each field is written to, where it is not the field's own name.
        self._renamed = {name: column for name, column in other.items() if isinstance(column, str)}
        self._insert = insert(table)
        self._save = None
        self._saved: tuple[tuple[str, str], ...] = ()
        if fixed is not None:
            self._save = update(table).where(table.c.sid == bindparam("match_sid"))
            self._saved = tuple(
                (name, self._renamed.get(name, name)) for name in names if name not in fixed
            )
        self._key = key
        self._get: Select[Any] | None = None
        self._delete: Delete | None = None
        if key is not None:
            owner = table.c[self._renamed.get(key, key)] == bindparam("key")
            self._get = select(*self.columns).where(owner)
            self._delete = delete(table).where(owner)

    def from_row(self, row: Row[Any] | tuple[Any, ...]) -> R:
        """The record of a row selected with `columns`: positional, in field order."""
        return self._record(*row[self._skip :])

    def insert_values(self, record: R) -> Mapping[str, Any]:
        """The record as an insert's parameters, column by column (read-only)."""
        # vars(), not dataclasses.asdict(), which deep-copies every value.
        if not self._renamed:
            return vars(record)  # the record's own attributes: nothing copied
        values = dict(vars(record))
        for name, column in self._renamed.items():
            values[column] = values.pop(name)
        return values

    def insert(self, conn: Connection, record: R) -> None:
        compiled.execute(conn, self._insert, self.insert_values(record))

    def insert_all(self, conn: Connection, records: Sequence[R]) -> None:
        """One statement for all of `records` (executemany); nothing for none."""
        compiled.execute_many(conn, self._insert, [self.insert_values(r) for r in records])

    def save(self, conn: Connection, record: R) -> None:
        """Write every field but the fixed ones to the row with the record's `sid`."""
        if self._save is None:
            raise TypeError(f"{self._record.__name__} is never saved: its mapper has no `fixed`")
        attributes = vars(record)
        values = {column: attributes[name] for name, column in self._saved}
        values["match_sid"] = attributes["sid"]
        compiled.execute(conn, self._save, values)

    def get(self, conn: Connection, key: object) -> R | None:
        """The record whose `key` field is `key`, or None."""
        found, _, _ = self._keyed()
        row = conn.execute(found, {"key": key}).first()
        return self.from_row(row) if row else None

    def replace(self, conn: Connection, record: R) -> None:
        """Make `record` the one row of its key: delete + insert, the same on both engines
        (no upsert dialect), in the caller's transaction."""
        _, remove, key = self._keyed()
        conn.execute(remove, {"key": getattr(record, key)})
        self.insert(conn, record)

    def _keyed(self) -> tuple[Select[Any], Delete, str]:
        if self._key is None or self._get is None or self._delete is None:
            raise TypeError(f"{self._record.__name__} has no key: its mapper has no `key`")
        return self._get, self._delete, self._key
