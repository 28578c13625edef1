"""On SQLite, reading pages take no write lock and wait for no writer (issue 9).

A write request (POST) begins with ``BEGIN IMMEDIATE`` and queues behind another
writer; a reading request (GET) begins a deferred transaction and is answered while a
writer holds the lock.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.db import connect, reading_session
from trainerpath.models import Enrollment, Standing, User
from trainerpath.services import standings

from .conftest import Cast, log_in

WAIT = 10.0  # seconds; the write lock's busy timeout is 30


@pytest.fixture(autouse=True)
def sqlite_only(app: Flask) -> None:
    engine: Engine = app.extensions["trainerpath.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL readers never wait for writers")


@contextmanager
def write_lock_held(app: Flask) -> Iterator[None]:
    """Another process's writer holds SQLite's write lock inside the block."""
    path = app.extensions["trainerpath.engine"].url.database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def traced(engine: Engine) -> list[str]:
    """Every statement SQLite is given from now on, BEGIN included (sent to the driver)."""
    given: list[str] = []
    event.listen(engine, "checkout", lambda dbapi, *_a: dbapi.set_trace_callback(given.append))
    return given


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def test_a_page_is_answered_while_a_writer_holds_the_lock(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    assert client.get("/candidate").status_code == 200  # stores the standings it measured
    begun = traced(app.extensions["trainerpath.engine"])
    with write_lock_held(app):
        thread, result = in_thread(lambda: client.get("/candidate"))
        thread.join(WAIT)
        assert not thread.is_alive(), "the page waited for the writer"
    assert result[0].status_code == 200
    assert "BEGIN" in begun and "BEGIN IMMEDIATE" not in begun


def test_a_form_post_waits_for_the_writer_and_then_goes_through(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    with write_lock_held(app):
        thread, result = in_thread(lambda: client.post("/candidate/enrol", data={"pathway": "pst"}))
        thread.join(1.0)
        assert thread.is_alive(), "the write did not wait for the lock"
    thread.join(WAIT)
    assert not thread.is_alive()
    assert result[0].status_code == 303
    assert "Professional Scrum Trainer" in client.get("/candidate").get_data(as_text=True)


def test_a_page_answers_when_a_writer_keeps_it_from_storing_what_it_measured(
    app: Flask,
    client: FlaskClient,
    cast: Cast,
    session: Session,
    make_enrollment: Callable[..., Enrollment],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    enrollment = make_enrollment(cast.candidate, "cst")
    log_in(client, cast.candidate)
    assert client.get("/candidate").status_code == 200  # stores today's standing
    today = clock.today()
    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=1))
    with write_lock_held(app), caplog.at_level(logging.INFO, logger=standings.__name__):
        response = client.get("/candidate")  # measures tomorrow's standing afresh
        response.close()  # its write-back runs once the answer has gone
    assert response.status_code == 200
    assert "A standing was not stored: the database was busy." in caplog.messages
    stored = session.get(Standing, enrollment.id)
    assert stored is not None and stored.computed_on == today  # tomorrow's was not written


def test_a_connection_that_only_read_takes_the_write_lock_for_its_next_writer(app: Flask) -> None:
    engine: Engine = app.extensions["trainerpath.engine"]
    engine.dispose()  # no idle connections left by earlier tests: the pool hands back this one
    given = traced(engine)
    with connect(engine, reads_only=True) as reader:
        reader.execute(select(User.id)).all()
        first = reader.connection.driver_connection
    with Session(engine) as writer, writer.begin():
        writer.execute(select(User.id)).all()
        # The pool handed the same connection on; the reading mark stayed behind.
        assert writer.connection().connection.driver_connection is first
    assert [s for s in given if s.startswith("BEGIN")] == ["BEGIN", "BEGIN IMMEDIATE"]


def test_a_reading_command_reads_while_a_writer_holds_the_lock(app: Flask, cast: Cast) -> None:
    engine: Engine = app.extensions["trainerpath.engine"]

    def read_users() -> list[int]:
        with reading_session(engine) as session:
            return list(session.scalars(select(User.id)))

    with write_lock_held(app):
        thread, result = in_thread(read_users)
        thread.join(WAIT)
        assert not thread.is_alive(), "the command waited for the writer"
    assert cast.candidate.id in result[0]


def test_a_csv_download_streams_while_a_writer_holds_the_lock(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.admin)
    with write_lock_held(app):
        thread, result = in_thread(lambda: client.get("/admin/audit.csv").get_data(as_text=True))
        thread.join(WAIT)
        assert not thread.is_alive(), "the download waited for the writer"
    assert result[0].startswith("\ufeffat,actor,candidate")
