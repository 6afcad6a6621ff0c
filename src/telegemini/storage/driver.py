"""The hot statements on SQLite, run straight on the driver.

Every text update runs a handful of small statements (its quota, its exchange, its inbox row).
Through SQLAlchemy each execution costs ~50 µs of Python around SQLite's ~10 µs: parameters
looked up and processed, an execution context, a result object. On SQLite (the statements run
on the event loop's thread) that is most of the database's share of an update. ``execute``
runs a prebuilt statement as SQLAlchemy compiled it for SQLite, once: its SQL, its parameters
in order with SQLAlchemy's own processing of each type (a time as SQLite stores it), and hands
back plain rows. On any other database it is SQLAlchemy's ``execute``, as before.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Executable, Insert
from sqlalchemy.sql.compiler import SQLCompiler

Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters' names, in the order of the SQL's "?"
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: Mapping[str, Any]  # values bound in the statement itself
    # Its rows' columns: a named row type and SQLAlchemy's processing of each column's type.
    row: Callable[..., Any] = field(compare=False)
    results: tuple[Callable[[Any], Any] | None, ...]

    def values(self, params: Params) -> tuple[Any, ...]:
        values = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params else self.defaults[name]
            values.append(process(value) if process is not None and value is not None else value)
        return tuple(values)


_compiled: dict[tuple[int, frozenset[str]], tuple[Executable, _Compiled]] = {}


def _compile(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
    """As SQLAlchemy compiles it for an execution with these parameter names: an INSERT takes
    its columns from them."""
    known = _compiled.get((id(statement), keys))
    if known is not None and known[0] is statement:
        return known[1]
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(
        dialect=dialect, column_keys=sorted(keys) if isinstance(statement, Insert) else None
    )
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    binds = compiled.binds
    made = _Compiled(
        sql=str(compiled),
        names=names,
        processors=tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ),
        defaults={name: binds[name].effective_value for name in names if not binds[name].required},
        **_columns(statement, dialect),
    )
    _compiled[id(statement), keys] = (statement, made)  # the statement kept: its id stays its own
    return made


def _columns(statement: Executable, dialect: Dialect) -> dict[str, Any]:
    columns = list(getattr(statement, "exported_columns", ()))
    processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
    return {
        "row": namedtuple("Row", [c.key for c in columns], rename=True),
        "results": tuple(processors),
    }


def direct(conn: Connection) -> bool:
    """Whether ``execute`` goes straight to the driver (SQLite), rather than through
    SQLAlchemy."""
    return conn.dialect.name == "sqlite"


def execute(conn: Connection, statement: Executable, params: Params) -> list[tuple[Any, ...]]:
    """Run a prebuilt statement with one set of parameters; its rows (RETURNING, SELECT)."""
    if not direct(conn):
        result = conn.execute(statement, dict(params))
        return [tuple(row) for row in result] if result.returns_rows else []
    compiled = _compile(statement, conn.dialect, frozenset(params))
    driver = conn.connection.dbapi_connection
    assert driver is not None
    rows: list[tuple[Any, ...]] = driver.execute(compiled.sql, compiled.values(params)).fetchall()
    return rows


def fetch(conn: Connection, statement: Executable, params: Params) -> list[Any]:
    """Run a prebuilt statement with one set of parameters; its rows as ``conn.execute`` gives
    them: columns by name, each value as SQLAlchemy reads its type (a time as a ``datetime``)."""
    if not direct(conn):
        return list(conn.execute(statement, dict(params)))
    compiled = _compile(statement, conn.dialect, frozenset(params))
    driver = conn.connection.dbapi_connection
    assert driver is not None
    results, row = compiled.results, compiled.row
    return [
        row(*(value if process is None or value is None else process(value)
              for process, value in zip(results, found, strict=True)))
        for found in driver.execute(compiled.sql, compiled.values(params))
    ]  # fmt: skip


def execute_many(conn: Connection, statement: Executable, params: Sequence[Params]) -> None:
    """Run a prebuilt statement once per set of parameters (no rows back)."""
    if not direct(conn):
        conn.execute(statement, [dict(p) for p in params])
        return
    if not params:
        return
    compiled = _compile(statement, conn.dialect, frozenset(params[0]))
    driver = conn.connection.dbapi_connection
    assert driver is not None
    driver.executemany(compiled.sql, [compiled.values(p) for p in params])
