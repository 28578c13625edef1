"""Items of every evidence kind in one statement, each row read back as its model.

The five evidence tables have different columns, so a ``UNION ALL`` of them selects,
besides the columns every kind shares, each row as one JSON object
(``json_object`` on SQLite, ``json_build_object`` on PostgreSQL); ``item_from_json``
turns it back into a (detached) model instance.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    String,
    TypeDecorator,
    literal_column,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from trainerpath.models import EvidenceBase, table_of


class _JsonFunction(FunctionElement[Any]):
    """A JSON function whose name differs by dialect: ``names`` holds SQLite's, then
    PostgreSQL's."""

    type = JSON()
    inherit_cache = True
    names: tuple[str, str]


@compiles(_JsonFunction)
def _json_function(element: _JsonFunction, compiler: SQLCompiler, **kw: Any) -> str:
    sqlite_name, postgresql_name = element.names
    name = postgresql_name if compiler.dialect.name == "postgresql" else sqlite_name
    return f"{name}({compiler.process(element.clauses, **kw)})"


class row_json(_JsonFunction):
    """A table row as one JSON object of its columns."""

    inherit_cache = True
    names = ("json_object", "json_build_object")


class json_rows(_JsonFunction):
    """An aggregate: the group's ``row_json`` objects as one JSON array (in no set order;
    on PostgreSQL NULL for no row, on SQLite an empty array)."""

    inherit_cache = True
    names = ("json_group_array", "json_agg")


INLINE_TEXT = re.compile(r"[a-z0-9_\-]+")


def inline_text(text: str) -> ColumnElement[str]:
    """One of our own fixed names (a kind's slug, a column's name, a status) written into
    the SQL rather than bound: a statement built once then binds nothing per execution
    for it (the review queue's and dashboard's unions would bind nearly a hundred)."""
    if not INLINE_TEXT.fullmatch(text):
        raise ValueError(f"not a fixed name: {text!r}")
    return literal_column(f"'{text}'", String)


def json_of(model: type[EvidenceBase]) -> row_json:
    """The row of ``model`` as JSON: every column under its own name."""
    pairs: list[Any] = []
    for column in table_of(model).columns:
        pairs += [inline_text(column.name), column]
    return row_json(*pairs)


def moment_from_json(value: Any) -> datetime:
    """A time column's value in a JSON row, as the column's type reads it (aware, UTC)."""
    moment = datetime.fromisoformat(str(value).replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # stored in UTC


def _day(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def _as_is(value: Any) -> Any:
    return value


def _reader(kind: Any) -> Callable[[Any], Any]:
    """How a column's JSON value is read as its type reads it from the table (the type a
    TypeDecorator, such as SQLModel's UTCDateTime, wraps decides)."""
    stored = kind.impl if isinstance(kind, TypeDecorator) else kind
    if isinstance(stored, DateTime):
        return moment_from_json
    if isinstance(stored, Date):
        return _day
    if isinstance(stored, Boolean):
        return bool
    return _as_is


@cache
def _readers(model: type[EvidenceBase]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Each column of ``model`` with its reader, worked out once."""
    return tuple((column.name, _reader(column.type)) for column in table_of(model).columns)


def item_from_json(model: type[EvidenceBase], data: dict[str, Any]) -> EvidenceBase:
    """The model instance ``json_of`` selected, detached from any session.

    Built with ``model_construct``: the values come from the table, so validating them
    again would only cost (ten times the time of building the instance).
    """
    values: dict[str, Any] = {
        name: None if data[name] is None else read(data[name]) for name, read in _readers(model)
    }
    return model.model_construct(**values)
