"""One engine per app, one session per request; SQLite tuned for concurrent writers.

A request that may write (POST, PUT, PATCH, DELETE; the CLI; tests) begins its
transaction by taking SQLite's write lock (``BEGIN IMMEDIATE``), so writers queue
instead of failing. A reading request (GET, HEAD, OPTIONS) begins a deferred
transaction, which takes no lock and waits for no writer, and ends it before the page
is rendered (``end_reads``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import Flask, before_render_template, current_app, g, has_request_context, request
from sqlalchemy import Engine, Executable, Result, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 30000  # SQLite: how long a writer waits for the write lock
READS_ONLY = "trainerpath_reads_only"  # the execution option of a reading request's engine


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for a database URL, with the SQLite pragmas we rely on."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if ":memory:" not in url and "mode=memory" not in url:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes can fail at once with
        # "database is locked"; taking the write lock up front makes writers queue.
        # Reads only: a deferred transaction reads a snapshot and blocks nobody.
        # Sent straight to the driver: SQLAlchemy's statement machinery would cost every
        # request as much again as the BEGIN itself.
        reads_only = connection.get_execution_options().get(READS_ONLY, False)
        begin = "BEGIN" if reads_only else "BEGIN IMMEDIATE"
        try:
            connection.connection.driver_connection.execute(begin)
        except sqlite3.Error as error:  # e.g. busy: raised as SQLAlchemy would raise it
            raise DBAPIError.instance(begin, None, error, sqlite3.Error) from error

    return engine


def init_app(app: Flask) -> None:
    """Create the app's engine and close the request's session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["trainerpath.engine"] = engine
    app.extensions["trainerpath.reading_engine"] = engine.execution_options(**{READS_ONLY: True})
    app.teardown_appcontext(_close_session)
    before_render_template.connect(_end_reads_before_rendering, app)


def get_engine() -> Engine:
    """Return the current app's engine."""
    engine: Engine = current_app.extensions["trainerpath.engine"]
    return engine


def is_reading_request() -> bool:
    """Whether this is a request that only reads (GET, HEAD, OPTIONS)."""
    return has_request_context() and request.method in READING_METHODS


def get_session() -> Session:
    """Return this request's session, opening it on first use.

    A reading request's session never takes SQLite's write lock.
    """
    if "db_session" not in g:
        key = "trainerpath.reading_engine" if is_reading_request() else "trainerpath.engine"
        g.db_session = Session(current_app.extensions[key], expire_on_commit=False)
    session: Session = g.db_session
    return session


def core_rows(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> Result[*tuple[Any, ...]]:
    """Run a statement of table columns (no ORM entities) on the session's connection.

    The rows are those ``session.execute`` gives, which never autoflushes for such a
    statement either, without the ORM's dispatch around it: for the hottest reads.
    """
    return session.connection().execute(statement, params)


def end_reads() -> None:
    """End a reading request's transaction before rendering; what it loaded stays loaded."""
    session = g.get("db_session")
    if session is not None and is_reading_request() and session.in_transaction():
        session.commit()  # nothing to write; unlike rollback, it expires nothing


def _end_reads_before_rendering(_app: Flask, **_extra: Any) -> None:
    end_reads()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
