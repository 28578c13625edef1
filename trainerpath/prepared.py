"""The hottest reads, compiled once per dialect and run on the driver's cursor.

Every API request looks its token up, the enrollment view reads one row, the candidate
dashboard counts and lists; run through SQLAlchemy's execution (execution context,
result object, row processing) such a statement costs four to five times what the
driver takes to run it. ``Prepared`` keeps what SQLAlchemy gives and drops what it
costs: the SQL is SQLAlchemy's, compiled for the engine's dialect; the rows hold the
values ``Connection.execute`` would give (each column's result processor applied); the
statement runs in the connection's transaction, begun the same way (``db.SQLiteDialect``:
deferred for a reading request); a driver error is raised as SQLAlchemy raises it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import CompoundSelect, Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any]
Statement = Select[Any] | CompoundSelect


class _Compiled(NamedTuple):
    """A statement as one dialect runs it."""

    sql: str
    positions: tuple[str, ...] | None  # parameter names in order; None: by name
    values: dict[str, Any]  # the parameters the statement holds (SQLite's OFFSET 0)
    binds: tuple[tuple[str, Processor], ...]  # parameters the dialect converts
    results: tuple[tuple[int, Processor], ...]  # columns the dialect converts

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters: converted, in order or by name."""
        params = self.values | dict(params)
        for name, convert in self.binds:
            params[name] = convert(params[name])
        if self.positions is None:
            return params
        return tuple(params[name] for name in self.positions)

    def row(self, values: Any) -> tuple[Any, ...]:
        """A driver row as SQLAlchemy's would hold it."""
        if not self.results:
            return tuple(values)
        converted = list(values)
        for index, convert in self.results:
            converted[index] = convert(converted[index])
        return tuple(converted)


def _compile(statement: Statement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    values, binds = {}, []
    for name, bind in compiled.binds.items():
        if bind.expanding:
            raise ValueError("a Prepared statement takes no expanding IN parameter")
        if not bind.required:
            values[name] = bind.effective_value
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            binds.append((name, convert))
    results = []
    for index, column in enumerate(statement.selected_columns):
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if convert is not None:
            results.append((index, convert))
    positions = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    return _Compiled(compiled.string, positions, values, tuple(binds), tuple(results))


class Prepared:
    """A SELECT (or a UNION of them) of table columns, no ORM entities, for a hot path.

    While something listens to the engine's cursor events (a statement counter, a
    tracer), it runs through SQLAlchemy instead, so that the listener sees it.
    """

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The statement's rows on the session's connection, in its transaction.

        The session joins a transaction begun here when it next acts; a read does not
        autoflush (nor does ``session.execute`` for such a statement)."""
        bind = session.get_bind()
        connection = bind if isinstance(bind, Connection) else session.connection()
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
            return self._through_sqlalchemy(connection, params)
        compiled = self._compiled(connection.dialect)
        if not connection.in_transaction():
            connection.begin()
        cursor = connection.connection.cursor()
        parameters = compiled.parameters(params)
        try:
            cursor.execute(compiled.sql, parameters)
            fetched = cursor.fetchall()
        except connection.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_raises(
                connection, cursor, compiled.sql, parameters, error
            ) from error
        finally:
            cursor.close()
        return [compiled.row(values) for values in fetched]

    def _through_sqlalchemy(
        self, connection: Connection, params: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(self.statement, params)]

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is None:
            found = self._by_dialect[dialect] = _compile(self.statement, dialect)
        return found


def _as_sqlalchemy_raises(
    connection: Connection, cursor: Any, sql: str, parameters: Any, error: Any
) -> Exception:
    """The driver's error wrapped as SQLAlchemy wraps it (``OperationalError``,
    ``ProgrammingError``, ...); a connection the error shows lost is invalidated, so the
    pool replaces it."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(
        sql, parameters, error, dialect.loaded_dbapi.Error, connection_invalidated=lost
    )
