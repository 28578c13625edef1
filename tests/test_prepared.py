"""The hottest reads run on the driver's cursor and give what SQLAlchemy would give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy.exc
from conftest import pk
from sqlalchemy import Connection, Engine, column, event, select, table
from sqlalchemy.orm import Session

from trainerpath.dashboards.candidate import _feedback_stmt, _mentors_stmt
from trainerpath.db import bound_session, connect
from trainerpath.models import Enrollment, EvidenceBase, Mentorship, ReviewStatus, User
from trainerpath.prepared import Prepared
from trainerpath.queries import _counts_stmt, _reviewed_stmt
from trainerpath.services.feedback import leave_feedback
from trainerpath.services.pathways import enrol, fire_event
from trainerpath.services.standings import _with_history_stmt
from trainerpath.services.tokens import _token_stmt, hash_token, issue_token


@pytest.fixture
def enrolled(session: Session, make_user: Callable[..., User]) -> tuple[User, Enrollment, str]:
    """A candidate with an API token and an enrollment that has a history."""
    candidate = make_user(name="Ada Lovelace")
    token = issue_token(session=session, user=candidate).token
    enrollment = enrol(session=session, actor=candidate, candidate_id=pk(candidate), pathway="cst")
    fire_event(session=session, enrollment=enrollment, event="withdraw", actor=candidate)
    session.commit()
    return candidate, enrollment, token


@pytest.fixture
def reading(engine: Engine) -> Iterator[tuple[Connection, Session]]:
    """A session on a connection of its own that only reads, as a GET request has."""
    with connect(engine, reads_only=True) as connection, bound_session(connection) as session:
        yield connection, session


def _sqlalchemy_rows(connection: Connection, prepared: Prepared, params: Any) -> list[Any]:
    return [tuple(row) for row in connection.execute(prepared.statement, params)]


def test_rows_hold_the_values_sqlalchemy_gives(
    enrolled: tuple[User, Enrollment, str], reading: tuple[Connection, Session]
) -> None:
    candidate, enrollment, token = enrolled
    connection, session = reading
    asked: list[tuple[Prepared, dict[str, Any]]] = [
        (_token_stmt(), {"token_hash": hash_token(token)}),
        (_with_history_stmt("enrollment_id"), {"enrollment_id": enrollment.id}),
        (_with_history_stmt("candidate_id"), {"candidate_id": candidate.id}),
    ]
    for prepared, params in asked:
        rows = prepared.rows(session, params)
        assert len(rows) == 1
        assert rows == _sqlalchemy_rows(connection, prepared, params)
    token_row = _token_stmt().rows(session, {"token_hash": hash_token(token)})[0]
    assert token_row[:2] == (candidate.id, "candidate")
    assert isinstance(token_row[-1], datetime) and token_row[-1].tzinfo is not None
    standing = _with_history_stmt("enrollment_id").rows(session, {"enrollment_id": enrollment.id})
    enrollment_id, *_rest = standing[0]
    assert enrollment_id == enrollment.id
    assert any(isinstance(value, date) and not isinstance(value, datetime) for value in _rest)
    assert any(isinstance(value, list) for value in _rest)  # the stored requirements, decoded


def test_the_dashboards_statements_give_what_sqlalchemy_gives(
    session: Session,
    enrolled: tuple[User, Enrollment, str],
    make_user: Callable[..., User],
    make_evidence: Callable[..., EvidenceBase],
    assign: Callable[[User, User], Mentorship],
    reading: tuple[Connection, Session],
) -> None:
    candidate, _enrollment, _token = enrolled
    mentor = make_user(role="mentor", name="Mia Mentor")
    assign(mentor, candidate)
    make_evidence(candidate, "teaching-sessions", status=ReviewStatus.REJECTED.value)
    make_evidence(candidate, "teaching-sessions", students=12)
    make_evidence(candidate, "teaching-sessions", status=ReviewStatus.PENDING.value)
    leave_feedback(session=session, actor=mentor, candidate_id=pk(candidate), body="Well taught.")
    session.commit()
    connection, reading_session = reading
    mine = {"candidate_id": candidate.id}
    asked: list[tuple[Prepared, dict[str, Any], list[Any] | None]] = [
        (_mentors_stmt(), mine, [("Mia Mentor", mentor.email)]),
        (_feedback_stmt(), mine | {"limit": 20}, None),  # SQLite adds OFFSET 0 itself
        (_reviewed_stmt(), mine | {"limit": 5}, None),
        (_counts_stmt(), mine, None),
    ]
    for prepared, params, expected in asked:
        rows = prepared.rows(reading_session, params)
        assert rows, prepared.statement
        assert rows == _sqlalchemy_rows(connection, prepared, params)
        assert expected is None or rows == expected
    assert _feedback_stmt().rows(reading_session, mine | {"limit": 20})[0][0] == "Well taught."
    counted = {(kind, status): n for kind, status, n in _counts_stmt().rows(reading_session, mine)}
    assert counted[("teaching-sessions", ReviewStatus.PENDING.value)] == 1
    assert counted[("teaching-sessions", ReviewStatus.REJECTED.value)] == 1


def test_no_row_is_an_empty_list(reading: tuple[Connection, Session]) -> None:
    _connection, session = reading
    assert _token_stmt().rows(session, {"token_hash": hash_token("tp_nobody")}) == []


def test_a_listener_on_the_cursor_events_sees_the_statement(
    engine: Engine, enrolled: tuple[User, Enrollment, str], reading: tuple[Connection, Session]
) -> None:
    _candidate, enrollment, _token = enrolled
    _connection, session = reading
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        rows = _with_history_stmt("enrollment_id").rows(session, {"enrollment_id": enrollment.id})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(rows) == 1
    assert [s for s in seen if "FROM enrollments" in s]


def test_a_driver_error_is_raised_as_sqlalchemys(reading: tuple[Connection, Session]) -> None:
    connection, session = reading
    missing = Prepared(select(table("no_such_table", column("x")).c.x))
    with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
        missing.rows(session, {})
    assert isinstance(raised.value.orig, connection.dialect.loaded_dbapi.Error)
    assert "no_such_table" in str(raised.value.orig)  # the driver's own error, not a later one
    assert "FROM no_such_table" in str(raised.value.statement)
    assert not connection.invalidated


def test_on_postgresql_a_lost_connection_is_invalidated(
    engine: Engine, reading: tuple[Connection, Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a server that ends the connection: PostgreSQL")
    connection, session = reading
    backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend or 0)})")
    with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
        _token_stmt().rows(session, {"token_hash": hash_token("tp_anyone")})
    assert raised.value.connection_invalidated
    assert connection.invalidated


def test_it_reads_in_the_connections_transaction_which_the_session_then_ends(
    enrolled: tuple[User, Enrollment, str], reading: tuple[Connection, Session]
) -> None:
    _candidate, enrollment, _token = enrolled
    connection, session = reading
    assert not connection.in_transaction()
    _with_history_stmt("enrollment_id").rows(session, {"enrollment_id": enrollment.id})
    assert connection.in_transaction()
    assert session.get(Enrollment, enrollment.id) is not None  # joins that transaction
    session.commit()
    assert not connection.in_transaction()


@pytest.mark.parametrize(("reads_only", "begins"), [(True, "BEGIN"), (False, "BEGIN IMMEDIATE")])
def test_on_sqlite_it_begins_as_the_connection_was_checked_out(
    engine: Engine, enrolled: tuple[User, Enrollment, str], reads_only: bool, begins: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's BEGIN is chosen by trainerpath's dialect")
    _candidate, enrollment, _token = enrolled
    with connect(engine, reads_only) as connection, bound_session(connection) as session:
        given: list[str] = []
        connection.connection.driver_connection.set_trace_callback(given.append)  # type: ignore[union-attr]
        _with_history_stmt("enrollment_id").rows(session, {"enrollment_id": enrollment.id})
        connection.connection.driver_connection.set_trace_callback(None)  # type: ignore[union-attr]
    assert given[0] == begins
    assert "FROM enrollments" in given[1]
