"""Timing routes in-process with Flask's test client, and counting their SQL statements."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event
from werkzeug.test import TestResponse

from .dataset import Cast, Person
from .routes import API, Route, routes

SLOW_MS = 150.0  # a median above this is called out in the table


# -- the measurements ---------------------------------------------------------------


class StatementCounter:
    """Count the SQL statements the engine sends, to expose N+1 queries."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # SQLite's "BEGIN IMMEDIATE" is ours (db.py), not a query; PostgreSQL's BEGIN is
        # implicit in the driver and never seen here, so leave it out for a fair count.
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.count += 1

    def reset(self) -> None:
        """Start counting from zero."""
        self.count = 0


Call = Callable[[int], TestResponse]


@dataclass(frozen=True)
class Probe:
    """A route to time: ``call(i)`` makes the i-th request; ``smaller`` the same route on
    a smaller subject, whose statement count should be the same."""

    label: str
    call: Call
    expect: int = 200
    smaller: Callable[[], TestResponse] | None = None
    available: int | None = None  # how many calls ``call`` can make (each uses up data)


@dataclass(frozen=True)
class Figures:
    """What one probe measured."""

    label: str
    times_ms: list[float]
    statements: list[int]
    smaller_statements: int | None

    @property
    def median(self) -> float:
        """The median time in milliseconds."""
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        """The 95th percentile time in milliseconds (nearest rank)."""
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _checked(response: TestResponse, expect: int, label: str) -> TestResponse:
    if response.status_code != expect:
        body = response.get_data(as_text=True)[:500]
        sys.exit(f"benchmark: {label}: expected {expect}, got {response.status_code}\n{body}")
    return response


def measure(probe: Probe, counter: StatementCounter, warmups: int, requests: int) -> Figures:
    """Warm the route up, then time ``requests`` calls and count their statements."""
    total = warmups + requests
    if probe.available is not None:
        total = min(total, probe.available)
    warm = min(warmups, total - 1)
    for i in range(warm):
        _checked(probe.call(i), probe.expect, probe.label)
    times: list[float] = []
    statements: list[int] = []
    for i in range(warm, total):
        counter.reset()
        started = time.perf_counter()
        response = probe.call(i)
        times.append((time.perf_counter() - started) * 1000)
        statements.append(counter.count)
        _checked(response, probe.expect, probe.label)
    smaller = None
    if probe.smaller is not None:
        _checked(probe.smaller(), probe.expect, probe.label)  # warm up
        counter.reset()
        _checked(probe.smaller(), probe.expect, probe.label)
        smaller = counter.count
    return Figures(probe.label, times, statements, smaller)


def web_client(app: Flask, person: Person | None) -> FlaskClient:
    """A test client logged in through the real /login form (or anonymous)."""
    client = app.test_client()
    if person is not None:
        form = {"email": person.email, "password": person.password}
        response = client.post("/login", data=form)
        if response.status_code not in (302, 303):  # a failed login shows the form again
            sys.exit(f"benchmark: logging in as {person.email} failed ({response.status_code})")
    return client


def api_token(client: FlaskClient, person: Person) -> dict[str, str]:
    """The Authorization header of a fresh API token for ``person``."""
    body = {"email": person.email, "password": person.password}
    answer = _checked(client.post(f"{API}/tokens", json=body), 201, "POST /tokens")
    token = answer.get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


class Callers:
    """One logged-in test client per person, and one API token per person, made once."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.api = app.test_client()
        self._clients: dict[Person | None, FlaskClient] = {}
        self._tokens: dict[Person, dict[str, str]] = {}

    def client(self, person: Person | None) -> FlaskClient:
        """``person``'s logged-in client (or an anonymous one)."""
        if person not in self._clients:
            self._clients[person] = web_client(self.app, person)
        return self._clients[person]

    def token(self, person: Person) -> dict[str, str]:
        """The Authorization header of ``person``'s API token."""
        if person not in self._tokens:
            self._tokens[person] = api_token(self.api, person)
        return self._tokens[person]

    def get(self, person: Person | None, path: str) -> Callable[[], TestResponse]:
        """A GET of ``path`` as ``person``: a page with the cookie, the API with a token."""
        if path.startswith(API + "/"):
            headers = {} if person is None else self.token(person)
            return partial(self.api.get, path, headers=headers)
        return partial(self.client(person).get, path)


def probes(app: Flask, cast: Cast, today: date) -> list[Probe]:
    """Every route the benchmark times: the pages and API views it reads, then two writes."""
    callers = Callers(app)
    api = callers.api
    as_ready = [(api_token(api, person), enrollment) for person, enrollment in cast.ready]

    def reads(route: Route) -> Probe:
        get = callers.get(route.who, route.path)
        smaller = None if route.smaller is None else callers.get(*route.smaller)
        return Probe(route.label, lambda _i: get(), smaller=smaller)

    def new_session(headers: dict[str, str], candidate_id: int) -> Call:
        def call(i: int) -> TestResponse:
            body = {
                "title": f"Benchmark session {i}",
                "course_type": "scrum_master",
                "first_day": (today - timedelta(days=1 + i % 300)).isoformat(),
                "days": 2,
                "students": 8 + i % 10,
                "context": "independent",
            }
            path = f"{API}/candidates/{candidate_id}/teaching-sessions"
            return api.post(path, json=body, headers=headers)

        return call

    def submit(i: int) -> TestResponse:
        headers, enrollment = as_ready[i]
        body = {"event": "submit_application"}
        return api.post(f"{API}/enrollments/{enrollment}/transitions", json=body, headers=headers)

    heavy, light = cast.heavy, cast.light
    return [
        *(reads(route) for route in routes(cast)),
        Probe(
            "API POST /candidates/{id}/teaching-sessions",
            new_session(callers.token(heavy), heavy.id),
            expect=201,
            smaller=partial(new_session(callers.token(light), light.id), 0),
        ),
        Probe(
            "API POST /enrollments/{id}/transitions",
            submit,
            available=len(as_ready),
        ),
    ]


# -- the report ---------------------------------------------------------------------


def dialect_line(engine: Engine) -> str:
    """The database in use, e.g. ``postgresql 15.6 (psycopg)``."""
    with engine.connect() as connection:
        version = connection.dialect.server_version_info or ()
    numbers = ".".join(str(part) for part in version)
    return f"{engine.dialect.name} {numbers} ({engine.dialect.driver})"


def statements_per_request(figures: Figures) -> str:
    """The statements one request sent: ``7``, or ``7-9`` when they varied."""
    low, high = min(figures.statements), max(figures.statements)
    return str(low) if low == high else f"{low}-{high}"


def report(figures: Sequence[Figures]) -> list[str]:
    """The table: route, median and p95 times, statements per request and at a smaller scale."""
    width = max(len(f.label) for f in figures)
    header = f"{'route':<{width}}  {'median ms':>9}  {'p95 ms':>7}  {'SQL/req':>7}  {'smaller':>7}"
    lines = [header, "-" * len(header)]
    for f in figures:
        sql, high = statements_per_request(f), max(f.statements)
        smaller = "-" if f.smaller_statements is None else str(f.smaller_statements)
        flags = []
        if f.smaller_statements is not None and f.smaller_statements < high:
            flags.append("SQL grows with the data")  # fewer on the smaller subject: an N+1?
        if f.median > SLOW_MS:
            flags.append(f"median over {SLOW_MS:g} ms")
        note = "  <- " + "; ".join(flags) if flags else ""
        lines.append(
            f"{f.label:<{width}}  {f.median:>9.1f}  {f.p95:>7.1f}  {sql:>7}  {smaller:>7}{note}"
        )
    return lines
