"""`column IN (a list)` with the whole list bound as one parameter.

SQLAlchemy's `in_(bindparam(..., expanding=True))` renders one placeholder per
item, so the SQL differs with every length and cannot be compiled once
(store/compiled.py). Here the statement has one fixed shape on each engine:
SQLite reads the list as a JSON array (`IN (SELECT value FROM json_each(?))`),
PostgreSQL as an array (`= ANY($1::INTEGER[])`). NULL compares as `IN` does: a
NULL column is in no list, and `~in_list(...)` is unknown for it unless the
list is empty.
"""

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, BindParameter, Boolean, ColumnElement, Integer, String, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator


class _ListOf(TypeDecorator[Collection[Any]]):
    """A list parameter: an array on PostgreSQL, a JSON array in text elsewhere."""

    impl = String
    cache_ok = True
    item: TypeEngine[Any] = String()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Collection[Any] | None, dialect: Dialect) -> Any:
        items = list(value or ())
        return items if dialect.name == "postgresql" else json.dumps(items)


class _IntegerList(_ListOf):
    item = Integer()


class _StringList(_ListOf):
    pass


class InList(ColumnElement[bool]):
    """`column` is one of the items of the list bound as `values`."""

    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it stands: no `= 1` on SQLite
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any]) -> None:
        self.column = column
        self.values = values


def in_list(column: ColumnElement[Any], name: str) -> InList:
    """`column IN :name`, with `name` bound to a list of the column's kind (ints or strings)."""
    kind = _IntegerList() if isinstance(column.type, Integer) else _StringList()
    return InList(column, bindparam(name, type_=kind))


@compiles(InList)
def _in_json_array(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(InList, "postgresql")
def _in_array(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} = ANY({values})"
