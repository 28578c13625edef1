"""One engine per app; per request one connection, and a session bound to it; SQLite
tuned for concurrent writers.

A request that may write (POST, PUT, PATCH, DELETE; the CLI; tests) begins its
transaction by taking SQLite's write lock (``BEGIN IMMEDIATE``), so writers queue
instead of failing. A reading request (GET, HEAD, OPTIONS) and the CLI's read-only
steps begin a deferred transaction, which takes no lock and waits for no writer; a page
ends it before it is rendered (``end_reads``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, before_render_template, current_app, g, has_request_context, request
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import Session

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 30000  # SQLite: how long a writer waits for the write lock
# The mark, in a checked-out connection's info, of a checkout that only reads; it is
# cleared when the connection goes back to the pool.
READS_ONLY = "trainerpath.reads_only"


class SQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite beginning each transaction itself: deferred on a connection marked as
    only reading, else taking the write lock.

    A deferred transaction that reads and then writes can fail at once with "database
    is locked"; taking the write lock up front makes writers queue. A deferred one reads
    a snapshot and blocks nobody. Decided here rather than in a ``begin`` event: any
    engine event makes SQLAlchemy dispatch events around every statement.
    """

    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        """Send BEGIN straight to the driver; SQLAlchemy wraps a failure (e.g. busy)."""
        reads_only = dbapi_connection.info.get(READS_ONLY, False)
        dbapi_connection.driver_connection.execute("BEGIN" if reads_only else "BEGIN IMMEDIATE")


registry.register("sqlite.trainerpath", __name__, "SQLiteDialect")


# PostgreSQL's codes for a transaction it gave up so another could go on: a deadlock, or
# a serialization failure. Nothing of it was written; the same request may succeed again.
LOST_RACE_CODES = frozenset({"40P01", "40001"})


def lost_race(error: BaseException) -> bool:
    """Whether a database error says this transaction lost a race with another one."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in LOST_RACE_CODES


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for a database URL, with the SQLite pragmas we rely on."""
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, **kwargs)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info.pop(READS_ONLY, None)

    return engine


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+trainerpath")
    connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (SQLiteDialect).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if ":memory:" not in url and "mode=memory" not in url:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return engine


def connect(engine: Engine, reads_only: bool) -> Connection:
    """Check out a connection; one marked as only reading never takes SQLite's write lock."""
    connection = engine.connect()
    if reads_only:
        connection.info[READS_ONLY] = True
    return connection


def bound_session(connection: Connection) -> Session:
    """A session over ``connection`` whose commit, rollback and close are its transaction's."""
    return Session(bind=connection, join_transaction_mode="control_fully", expire_on_commit=False)


@contextmanager
def reading_session(engine: Engine) -> Iterator[Session]:
    """A session that only reads, on a connection of its own (the CLI, a streamed download)."""
    with connect(engine, reads_only=True) as connection, bound_session(connection) as session:
        yield session


def reads_only(session: Session) -> bool:
    """Whether the session's connection was checked out only to read."""
    bind = session.get_bind()
    return isinstance(bind, Connection) and bool(bind.info.get(READS_ONLY, False))


def init_app(app: Flask) -> None:
    """Create the app's engine and close the request's session at teardown."""
    app.extensions["trainerpath.engine"] = make_engine(app.config["DATABASE_URL"])
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
    """Return this request's session, opening it and its connection on first use.

    A reading request's connection never takes SQLite's write lock.
    """
    if "db_session" not in g:
        g.db_connection = connect(get_engine(), reads_only=is_reading_request())
        g.db_session = bound_session(g.db_connection)
    session: Session = g.db_session
    return session


def end_reads() -> None:
    """End a reading request's transaction before rendering; what it loaded stays loaded."""
    session = g.get("db_session")
    if session is not None and is_reading_request():
        if session.in_transaction():
            session.commit()  # nothing to write; unlike rollback, it expires nothing
        if g.db_connection.in_transaction():  # begun by a Prepared statement alone
            g.db_connection.commit()


def _end_reads_before_rendering(_app: Flask, **_extra: Any) -> None:
    end_reads()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    connection = g.pop("db_connection", None)
    if connection is not None:
        connection.close()
