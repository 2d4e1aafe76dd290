"""The hot paths' statements, compiled once per dialect and run as driver SQL.

`Connection.execute` spends ~20 us of Python on every statement (cache lookup,
execution context, parameter and result processing set up anew) around ~5 us of
SQLite; for the statements every create and every delivery runs, that was a
third of the server's CPU (docs/benchmarks.md, "API", and its git history). Here a statement is
compiled once per dialect into its SQL string, the order of its parameters and
their types' bind and result processors (SQLAlchemy's own, so values go in and
come out exactly as through `Connection.execute`), and is run with
the driver's own cursor, inside the transaction SQLAlchemy began; a driver
error comes out as the `DBAPIError` `Connection.execute` would raise (the retries
in store/database.py read its SQLSTATE). `exec_driver_sql` was tried first: it
still builds an execution context per statement and saved nothing measurable.

Only for statements built once at import without expanding (`IN`) parameters or
Python-side column defaults; anything else raises at its first use. A list is
bound as one parameter instead (store/bound_lists.py).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None
Params = Mapping[str, Any]
_Processing = tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor) pairs


@dataclass(frozen=True)
class _Plan:
    """A statement as one dialect runs it."""

    sql: str
    names: tuple[str, ...]  # the parameters, in the order the SQL takes them
    defaults: Mapping[str, Any]  # values bound in the statement itself (`== 1`)
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    _binding: _Processing = field(init=False, repr=False, compare=False)
    _reading: _Processing = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Only the positions that have a processor are visited per statement and per row.
        object.__setattr__(self, "_binding", _processing(self.binds))
        object.__setattr__(self, "_reading", _processing(self.results))

    def parameters(self, params: Params) -> tuple[Any, ...]:
        defaults = self.defaults
        values = [params[name] if name in params else defaults[name] for name in self.names]
        for index, process in self._binding:
            values[index] = process(values[index])
        return tuple(values)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not self._reading:
            return tuple(raw)
        values = list(raw)
        for index, process in self._reading:
            values[index] = process(values[index])
        return tuple(values)


def _processing(processors: tuple[Processor, ...]) -> _Processing:
    return tuple((index, process) for index, process in enumerate(processors) if process)


# Keyed by the parameters' names as given (a call site always gives them in one order), so
# a lookup builds no set; another order only plans the statement once more.
_plans: dict[tuple[int, str, tuple[str, ...]], _Plan] = {}
_held: list[ClauseElement] = []  # keeps each planned statement alive, so its id stays its own


def _plan(conn: Connection, statement: ClauseElement, keys: Iterable[str]) -> _Plan:
    dialect = conn.dialect
    key = (id(statement), dialect.name, tuple(keys))
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _compile(statement, dialect, sorted(key[2]))
        _held.append(statement)
    return plan


def _compile(statement: ClauseElement, dialect: Dialect, keys: list[str]) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    assert isinstance(compiled, SQLCompiler) and dialect.positional
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError(f"Python-side column defaults are not run here: {compiled.string}")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    if any(bind.expanding for bind in by_name.values()):
        raise TypeError(f"Expanding parameters are not compiled once: {compiled.string}")
    names = tuple(compiled.positiontup or ())
    selected = getattr(statement, "selected_columns", ())
    return _Plan(
        sql=compiled.string,
        names=names,
        defaults={name: bind.value for name, bind in by_name.items() if not bind.required},
        binds=tuple(
            by_name[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ),
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
        ),
    )


def _run(
    conn: Connection, plan: _Plan, parameters: Any, many: bool = False
) -> tuple[Sequence[Any], int]:
    """The statement on the driver's cursor: its rows and row count. A driver error is
    raised as SQLAlchemy raises it (`DBAPIError.instance`), and a lost connection is
    invalidated, as `Connection.execute` does."""
    driver = conn.connection.dbapi_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        if many:
            cursor.executemany(plan.sql, parameters)
        else:
            cursor.execute(plan.sql, parameters)
        found = cursor.fetchall() if cursor.description is not None else []
        return found, cursor.rowcount
    except conn.dialect.loaded_dbapi.Error as error:
        if conn.dialect.is_disconnect(error, driver, cursor):
            conn.invalidate(error)
        raise DBAPIError.instance(
            plan.sql, parameters, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error
    finally:
        cursor.close()


def rows(conn: Connection, statement: ClauseElement, params: Params) -> list[tuple[Any, ...]]:
    """Every row the select returns, each a tuple in the order of its columns."""
    plan = _plan(conn, statement, params)
    found, _ = _run(conn, plan, plan.parameters(params))
    return [plan.row(raw) for raw in found]


def first(conn: Connection, statement: ClauseElement, params: Params) -> tuple[Any, ...] | None:
    """The select's first row, or None."""
    found = rows(conn, statement, params)
    return found[0] if found else None


def scalar(conn: Connection, statement: ClauseElement, params: Params) -> Any:
    """The first column of the select's first row, or None."""
    row = first(conn, statement, params)
    return None if row is None else row[0]


def execute(conn: Connection, statement: ClauseElement, params: Params) -> int:
    """Run an insert, update or delete; the number of rows it matched."""
    plan = _plan(conn, statement, params)
    return _run(conn, plan, plan.parameters(params))[1]


def execute_many(conn: Connection, statement: ClauseElement, params: Sequence[Params]) -> None:
    """Run an insert, update or delete once per parameter set, in one driver call."""
    if params:
        plan = _plan(conn, statement, params[0])
        _run(conn, plan, [plan.parameters(one) for one in params], many=True)
