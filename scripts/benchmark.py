"""Time the heaviest pages and API calls on a realistic data volume, and print the figures.

Speed goals are checked by this script, not by timed tests: it asserts nothing about
timings and exits 0 once it has printed its table. It builds a throw-away database
(a SQLite file in a temporary folder, or a fresh PostgreSQL database), migrates it,
loads the demo and then ``--candidates`` more candidates through the real services
(users, mentorships, 30-60 evidence items each with their reviews, enrollments on the
first and the current rulesets and transitions), logs in through the real /login form
and /api/v1/tokens, and times each route with Flask's test client in-process (no
network, no WSGI server). Beside the times it counts the SQL statements of each request,
and counts them again for the same route on a smaller subject (a candidate with fewer
items on the same rulesets, a mentor of 3 candidates on the same rulesets and tracks):
a count that differs grows with the data, the mark of an N+1 query.

Passwords are hashed with pbkdf2:sha256 at 1,000 iterations, as the test suite does,
so loading takes seconds; the production hash would add ~0.2 s per user and per login.

    .venv/bin/python scripts/benchmark.py [--candidates 100] [--requests 30] [--warmups 3]
    .venv/bin/python scripts/benchmark.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tp_bench

On PostgreSQL the named database is created and dropped at the end; if it already
exists the script refuses, unless ``--wipe-existing`` allows it to empty that
database's public schema before and after the run.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlmodel import col
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from trainerpath import create_app, migrate
from trainerpath.demo import DEMO_DOMAIN, DEMO_PASSWORD, seed
from trainerpath.models import (
    EVIDENCE_MODELS,
    AuditEntry,
    Enrollment,
    ReviewStatus,
    Role,
    TransitionRecord,
    User,
)
from trainerpath.services import accounts, users
from trainerpath.services.errors import GuardUnmet
from trainerpath.services.evidence import log_evidence, review_evidence
from trainerpath.services.pathways import enrol, fire_event
from trainerpath.services.users import assign_mentor, create_user, find_user_by_email

PASSWORD = "benchmark-password"
DOMAIN = "bench.trainerpath.test"
MAIN_MENTEES = 50  # the busy mentor's candidates
OTHER_MENTEES = 25  # every other bench mentor's
SMALL_MENTEES = 3  # the small mentor's, to compare with the busy one
# Bench candidates with a part to play: a heavy and a light one on cst@1 + pst@1, a
# heavy and a light one on cst@2 (ScrumMaster track) + pst@2, and one on the cst@2
# Product Owner track. The small mentor's three (1 to 3) hold every ruleset and track
# the busy mentor's table holds, so the two tables' statement counts compare.
HEAVY, LIGHT, LIGHT_2024, PO_TRACK, HEAVY_2024 = range(5)
FEWEST_ITEMS = 25  # 15 guaranteed, then one pending and one rejected of every kind
ITEMS = {HEAVY: 60, LIGHT: FEWEST_ITEMS, LIGHT_2024: FEWEST_ITEMS, HEAVY_2024: 60}
SLOW_MS = 150.0  # a median above this is called out in the table
API = "/api/v1"

TITLES = (
    "Certified ScrumMaster (CSM)",
    "Scrum Fundamentals for Teams",
    "ScrumMaster Skills Lab",
    "Product Ownership Essentials",
    "Backlog Refinement Workshop",
    "Scrum for Leaders",
)
PLACES = ("Leeds", "London", "Berlin", "Online (Zoom)", "Milan", "Kraków", "Dublin", None)
ORGANISATIONS = ("Harbour Bank", "Fjord Software", "Kestrel Telecom", "Aurora Games", "Acme")
CO_TRAINERS = ("Rebecca Hart, CST", "Jonas Weber, CST")
REFLECTIONS = (
    "Feedback asked for more practice; the backlog exercise gets an hour next time.",
    "The co-trainer noticed I rushed the close; I now end with a retrospective.",
    "",  # none written yet
)
CREDENTIALS = ("csm", "cspo", "a_csm", "psm_1", "pspo_1", "other")
ASSESSMENTS = ("psm_1", "psm_2", "pspo_1", "pspo_2", "pal_1")
MILESTONES = ("learning_objectives_mapped", "application_drafted", "other")
# How the random items (beyond the ones every candidate gets) spread over the kinds.
KIND_WEIGHTS = {
    "teaching-sessions": 45,
    "assessments": 15,
    "credentials": 12,
    "experience": 10,
    "milestones": 18,
}


# -- a throw-away database ----------------------------------------------------------


def _reset_public_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@contextmanager
def throwaway_database(url: str | None, wipe_existing: bool) -> Iterator[str]:
    """Yield the URL of an empty database that is removed (or emptied) afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="trainerpath-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "postgresql" or not re.fullmatch(r"[A-Za-z_]\w*", name):
        sys.exit("benchmark: --database-url must be postgresql+psycopg://.../<database name>")
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    found = "SELECT 1 FROM pg_database WHERE datname = :name"
    with server.connect() as connection:
        existed = connection.execute(text(found), {"name": name}).first() is not None
        if existed and not wipe_existing:
            sys.exit(
                f"benchmark: database {name!r} exists; pick a new name (it is created and "
                "dropped), or pass --wipe-existing to empty its public schema"
            )
        if not existed:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    if existed:
        _reset_public_schema(url)
    try:
        yield url
    finally:
        if existed:
            _reset_public_schema(url)
        else:
            with server.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        server.dispose()


def cheap_password_hashing() -> None:
    """Hash new passwords with 1,000 pbkdf2 rounds, as tests/conftest.py does."""
    cheap = partial(generate_password_hash, method="pbkdf2:sha256:1000")
    users.generate_password_hash = cheap
    accounts.generate_password_hash = cheap


# -- the data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone the benchmark logs in as."""

    id: int
    email: str
    password: str


@dataclass
class Cast:
    """Who the benchmark acts as, and the records it reads and changes."""

    admin: Person
    busy_mentor: Person  # mentors ~50 candidates
    small_mentor: Person  # mentors 3 candidates
    heavy: Person  # the candidate with the most items, on cst@1 and pst@1
    heavy_cst: int
    heavy_items: int
    light: Person  # 25 items, enrollments in the same states as the heavy one's
    light_cst: int
    light_items: int
    heavy_2024: Person  # 60 items, on cst@2 (ScrumMaster track) and pst@2, preparing
    heavy_2024_cst: int
    heavy_2024_items: int
    light_2024: Person  # 25 items, the same enrollments in the same states
    light_2024_cst: int
    light_2024_items: int
    # Candidates whose CST enrollment waits in "preparing" with every guard met.
    ready: list[tuple[Person, int]] = field(default_factory=list)


@dataclass
class Loader:
    """Creates the bench data through the services, as the web pages and API would."""

    session: Session
    rng: random.Random
    today: date
    admin: User

    def ago(self, low: int, high: int) -> date:
        """A random day between ``low`` and ``high`` days ago."""
        return self.today - timedelta(days=self.rng.randint(low, high))

    def user(self, role: Role, login: str, name: str) -> User:
        """Create a bench user whose e-mail is ``login@bench.trainerpath.test``."""
        return create_user(
            session=self.session,
            email=f"{login}@{DOMAIN}",
            name=name,
            password=PASSWORD,
            role=role.value,
            actor=self.admin,
        )

    def random_item(self, slug: str) -> dict[str, Any]:
        """Plausible fields for one item of kind ``slug``."""
        rng = self.rng
        if slug == "teaching-sessions":
            co_trainer = rng.choice(CO_TRAINERS) if rng.random() < 0.4 else None
            return {
                "title": rng.choice(TITLES),
                "course_type": rng.choices(
                    ["scrum_master", "product_owner", "other"], [65, 25, 10]
                )[0],
                "first_day": self.ago(5, 2500),
                "days": rng.choice([1, 2, 2, 2, 3]),
                "students": rng.randint(6, 18),
                "context": "co_trained" if co_trainer else "independent",
                "co_trainer": co_trainer,
                "location": rng.choice(PLACES),
                "share_delivered": rng.choice([100, 100, 60, 40]) if co_trainer else 100,
                "with_current_materials": rng.random() < 0.4,
                "reflection": rng.choice(REFLECTIONS),
            }
        if slug == "assessments":
            return {
                "assessment": rng.choice(ASSESSMENTS),
                "score": rng.randint(120, 200) / 2,
                "taken_on": self.ago(10, 2000),
            }
        if slug == "credentials":
            return {"kind": rng.choice(CREDENTIALS), "issued_on": self.ago(30, 3000)}
        if slug == "experience":
            started = self.ago(400, 4000)
            ended = None if rng.random() < 0.3 else started + timedelta(rng.randint(90, 380))
            return {
                "role": rng.choice(["scrum_master", "product_owner", "team_member", "other"]),
                "organisation": rng.choice(ORGANISATIONS),
                "started_on": started,
                "ended_on": ended,
            }
        note = "Signed off by the review panel." if rng.random() < 0.5 else None
        return {"kind": rng.choice(MILESTONES), "achieved_on": self.ago(5, 1500), "note": note}

    def guaranteed_items(self) -> list[tuple[str, dict[str, Any]]]:
        """The items that meet every CST guard once verified (12 sessions, 120+ students)."""
        sessions = [
            (
                "teaching-sessions",
                {
                    "title": TITLES[0],
                    "course_type": "scrum_master",
                    "first_day": self.ago(30, 1500),
                    "days": 2,
                    "students": self.rng.randint(10, 14),
                    "context": "independent",
                    "location": self.rng.choice(PLACES),
                    "with_current_materials": self.rng.random() < 0.5,
                    "reflection": REFLECTIONS[0],
                },
            )
            for _ in range(12)
        ]
        return [
            *sessions,
            ("credentials", {"kind": "csp_sm", "issued_on": self.ago(60, 600)}),
            ("milestones", {"kind": "course_materials_reviewed", "achieved_on": self.ago(5, 300)}),
            (
                "experience",
                {
                    "role": "scrum_master",
                    "organisation": self.rng.choice(ORGANISATIONS),
                    "started_on": self.ago(1500, 3500),
                },
            ),
        ]

    def random_status(self) -> str:
        """How the mentor reviews a random item: verified mostly, some rejected or pending."""
        roll = self.rng.random()
        if roll < 0.78:
            return ReviewStatus.VERIFIED.value
        return ReviewStatus.REJECTED.value if roll < 0.86 else ReviewStatus.PENDING.value

    def evidence(self, candidate: User, reviewer: User, count: int) -> None:
        """Log ``count`` items (at least FEWEST_ITEMS) as the candidate, then review them.

        The guaranteed items are verified; then one item of every kind is left pending and
        one rejected, so every candidate's pages have the same sections to fill and their
        statement counts compare; the mentor verifies most of the rest, rejects some.
        """
        assert candidate.id is not None
        planned = [
            (slug, data, ReviewStatus.VERIFIED.value) for slug, data in self.guaranteed_items()
        ]
        planned += [
            (slug, self.random_item(slug), status)
            for slug in KIND_WEIGHTS
            for status in (ReviewStatus.PENDING.value, ReviewStatus.REJECTED.value)
        ]
        weights = list(KIND_WEIGHTS.values())
        for slug in self.rng.choices(list(KIND_WEIGHTS), weights, k=count - len(planned)):
            planned.append((slug, self.random_item(slug), self.random_status()))
        for slug, data, status in planned:
            item = log_evidence(
                session=self.session,
                actor=candidate,
                candidate_id=candidate.id,
                kind=slug,
                data=data,
                today=self.today,
            )
            assert item.id is not None
            if status == ReviewStatus.PENDING:
                continue
            rejected = status == ReviewStatus.REJECTED
            review_evidence(
                session=self.session,
                actor=reviewer,
                kind=slug,
                item_id=item.id,
                decision=status,
                note="Please attach the attendee list." if rejected else None,
            )

    def fire(self, enrollment: Enrollment, actor: User, *events: str) -> None:
        """Fire the events in order, each with a note (some events require one)."""
        for name in events:
            fire_event(
                session=self.session,
                enrollment=enrollment,
                event=name,
                actor=actor,
                note=f"Benchmark: {name}.",
                today=self.today,
            )


def _person(user: User, password: str = PASSWORD) -> Person:
    assert user.id is not None
    return Person(user.id, user.email, password)


def _demo_user(session: Session, login: str) -> User:
    user = find_user_by_email(session, f"{login}@{DEMO_DOMAIN}")
    assert user is not None, f"the demo has no {login}"
    return user


def _item_count(session: Session, candidate_id: int) -> int:
    return sum(
        session.execute(
            select(func.count()).select_from(model).where(col(model.candidate_id) == candidate_id)
        ).scalar_one()
        for model in EVIDENCE_MODELS.values()
    )


def _cst_of(session: Session, candidate_id: int) -> int:
    stmt = select(col(Enrollment.id)).where(
        col(Enrollment.candidate_id) == candidate_id, col(Enrollment.pathway) == "cst"
    )
    enrollment_id = session.execute(stmt).scalar_one()
    assert enrollment_id is not None
    return enrollment_id


def cst_rules(index: int, ready: bool) -> tuple[str, str | None]:
    """The CST ruleset and track of bench candidate ``index``.

    The 2024 pair and the Product Owner one follow cst@2, and so does every third
    candidate after them but the ones kept ready to submit (cst@1); the rest cst@1.
    """
    if index in (LIGHT_2024, HEAVY_2024) or (index > HEAVY_2024 and index % 3 == 2 and not ready):
        return "cst@2", "product_owner" if index % 2 else "scrum_master"
    if index == PO_TRACK:
        return "cst@2", "product_owner"
    return "cst@1", None


def pst_rules(index: int) -> str | None:
    """The PST ruleset of bench candidate ``index``, or None when not enrolled."""
    if index in (HEAVY, LIGHT):
        return "pst@1"
    if index in (LIGHT_2024, HEAVY_2024):
        return "pst@2"
    if index > HEAVY_2024 and index % 2 == 0:
        return "pst@1" if index % 4 == 0 else "pst@2"
    return None


def load(engine: Engine, candidates: int, ready_wanted: int, seed_value: int) -> Cast:
    """Load the demo, then ``candidates`` more through the services; commit per candidate.

    Candidate 0 is the heavy one (60 items), candidate 1 the light one (25 items), with
    the same enrollments in the same states; candidates 4 and 2 are the same pair on the
    current rulesets. The small mentor mentors candidates 1 to 3, the busy one 0 to 49.
    """
    today = date.today()
    rng = random.Random(seed_value)
    with Session(engine, expire_on_commit=False) as session:
        seed(session, today)
        session.commit()
        admin = _demo_user(session, "admin")
        loader = Loader(session, rng, today, admin)
        mentor_count = 1 + math.ceil(max(0, candidates - MAIN_MENTEES) / OTHER_MENTEES)
        mentors = [
            loader.user(Role.MENTOR, f"mentor{m}", f"Bench Mentor {m}") for m in range(mentor_count)
        ]
        small_mentor = loader.user(Role.MENTOR, "mentor-small", "Bench Mentor Small")
        session.commit()
        # The last candidates stay in "preparing" on cst@1, ready to submit while timed.
        first_ready = max(HEAVY_2024 + 1, candidates - ready_wanted)
        ready: list[tuple[User, Enrollment]] = []
        for index in range(candidates):
            candidate = loader.user(Role.CANDIDATE, f"candidate{index}", f"Bench Candidate {index}")
            group = 0 if index < MAIN_MENTEES else 1 + (index - MAIN_MENTEES) // OTHER_MENTEES
            mentor = mentors[min(group, mentor_count - 1)]
            assert candidate.id is not None
            for assigned in [mentor, small_mentor] if 1 <= index <= SMALL_MENTEES else [mentor]:
                assert assigned.id is not None
                assign_mentor(
                    session=session, actor=admin, mentor_id=assigned.id, candidate_id=candidate.id
                )
            loader.evidence(candidate, mentor, ITEMS.get(index) or rng.randint(30, 60))
            ruleset, track = cst_rules(index, index >= first_ready)
            cst = enrol(
                session=session,
                actor=candidate,
                candidate_id=candidate.id,
                pathway="cst",
                ruleset=ruleset,
                track=track,
            )
            if ruleset == "cst@2":
                pass  # preparing: random evidence seldom meets the 2024 guards
            elif index in (HEAVY, LIGHT):
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_decline")
                loader.fire(cst, candidate, "withdraw", "resume")
            elif index >= first_ready:
                ready.append((candidate, cst))
            elif index % 4 == 1:
                loader.fire(cst, candidate, "submit_application")
            elif index % 4 == 2:
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_decline")
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_approve")
            elif index % 4 == 3:
                loader.fire(cst, candidate, "submit_application")
                loader.fire(cst, mentor, "tac_approve", "interview_pass")
            if pst_ruleset := pst_rules(index):
                pst = enrol(
                    session=session,
                    actor=candidate,
                    candidate_id=candidate.id,
                    pathway="pst",
                    ruleset=pst_ruleset,
                )
                if index > HEAVY_2024:
                    with suppress(GuardUnmet):  # only some candidates meet the PST guards
                        loader.fire(pst, candidate, "submit_application")
            session.commit()

        def bench_candidate(index: int) -> tuple[Person, int, int]:
            user = find_user_by_email(session, f"candidate{index}@{DOMAIN}")
            assert user is not None and user.id is not None
            return _person(user), _cst_of(session, user.id), _item_count(session, user.id)

        heavy, light = bench_candidate(HEAVY), bench_candidate(LIGHT)
        heavy_2024, light_2024 = bench_candidate(HEAVY_2024), bench_candidate(LIGHT_2024)
        return Cast(
            admin=_person(admin, DEMO_PASSWORD),
            busy_mentor=_person(mentors[0]),
            small_mentor=_person(small_mentor),
            heavy=heavy[0],
            heavy_cst=heavy[1],
            heavy_items=heavy[2],
            light=light[0],
            light_cst=light[1],
            light_items=light[2],
            heavy_2024=heavy_2024[0],
            heavy_2024_cst=heavy_2024[1],
            heavy_2024_items=heavy_2024[2],
            light_2024=light_2024[0],
            light_2024_cst=light_2024[1],
            light_2024_items=light_2024[2],
            ready=[(_person(user), int(cst.id or 0)) for user, cst in ready],
        )


def volume(engine: Engine) -> list[str]:
    """Describe how much data the database holds, one line per table family."""
    with Session(engine) as session:
        by_role = select(col(User.role), func.count()).group_by(col(User.role))
        roles: dict[str, int] = {role: count for role, count in session.execute(by_role)}
        by_status: dict[str, int] = {}
        for model in EVIDENCE_MODELS.values():
            column = col(model.review_status)
            for status, count in session.execute(select(column, func.count()).group_by(column)):
                by_status[status] = by_status.get(status, 0) + count
        enrollments, transitions, audit = (
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Enrollment, TransitionRecord, AuditEntry)
        )
    statuses = ", ".join(f"{count:,} {status}" for status, count in sorted(by_status.items()))
    people = ", ".join(
        f"{count} {role}{'' if count == 1 else 's'}" for role, count in sorted(roles.items())
    )
    return [
        f"users: {sum(roles.values()):,} ({people})",
        f"evidence items: {sum(by_status.values()):,} ({statuses})",
        f"enrollments: {enrollments:,}, transitions: {transitions:,}, audit entries: {audit:,}",
    ]


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


def probes(app: Flask, cast: Cast, today: date) -> list[Probe]:
    """Every route the benchmark times, slowest suspects first."""
    heavy, light = web_client(app, cast.heavy), web_client(app, cast.light)
    heavy_2024, light_2024 = web_client(app, cast.heavy_2024), web_client(app, cast.light_2024)
    busy, small = web_client(app, cast.busy_mentor), web_client(app, cast.small_mentor)
    admin, anonymous = web_client(app, cast.admin), web_client(app, None)
    api = app.test_client()
    as_heavy, as_light = api_token(api, cast.heavy), api_token(api, cast.light)
    as_heavy_2024 = api_token(api, cast.heavy_2024)
    as_light_2024 = api_token(api, cast.light_2024)
    as_busy, as_small = api_token(api, cast.busy_mentor), api_token(api, cast.small_mentor)
    as_ready = [(api_token(api, person), enrollment) for person, enrollment in cast.ready]

    def page(client: FlaskClient, path: str) -> Call:
        return lambda _i: client.get(path)

    def api_get(headers: dict[str, str], path: str) -> Call:
        return lambda _i: api.get(f"{API}{path}", headers=headers)

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

    heavy_id, light_id = cast.heavy.id, cast.light.id
    return [
        Probe(
            "GET /candidate (cst@1, pst@1)",
            page(heavy, "/candidate"),
            smaller=partial(light.get, "/candidate"),
        ),
        Probe(
            "GET /candidate (cst@2, pst@2)",
            page(heavy_2024, "/candidate"),
            smaller=partial(light_2024.get, "/candidate"),
        ),
        Probe(
            "GET /evidence/teaching-sessions",
            page(heavy, "/evidence/teaching-sessions"),
            smaller=partial(light.get, "/evidence/teaching-sessions"),
        ),
        Probe(
            "GET /evidence/teaching-sessions (cst@2)",
            page(heavy_2024, "/evidence/teaching-sessions"),
            smaller=partial(light_2024.get, "/evidence/teaching-sessions"),
        ),
        Probe("GET /mentor/", page(busy, "/mentor/"), smaller=partial(small.get, "/mentor/")),
        Probe(
            "GET /mentor/?ageing=1",
            page(busy, "/mentor/?ageing=1"),
            smaller=partial(small.get, "/mentor/?ageing=1"),
        ),
        Probe("GET /mentor/ (admin: everyone)", page(admin, "/mentor/")),
        Probe(
            "GET /mentor/reviews",
            page(busy, "/mentor/reviews"),
            smaller=partial(small.get, "/mentor/reviews"),
        ),
        Probe("GET /admin/audit", page(admin, "/admin/audit")),
        Probe("GET /pathways/compare (anonymous)", page(anonymous, "/pathways/compare")),
        Probe(
            "GET /pathways/compare (candidate)",
            page(heavy, "/pathways/compare"),
            smaller=partial(light.get, "/pathways/compare"),
        ),
        Probe(
            "API GET /enrollments/{id} (cst@1)",
            api_get(as_heavy, f"/enrollments/{cast.heavy_cst}"),
            smaller=partial(api_get(as_light, f"/enrollments/{cast.light_cst}"), 0),
        ),
        Probe(
            "API GET /enrollments/{id} (cst@2)",
            api_get(as_heavy_2024, f"/enrollments/{cast.heavy_2024_cst}"),
            smaller=partial(api_get(as_light_2024, f"/enrollments/{cast.light_2024_cst}"), 0),
        ),
        Probe("API GET /rulesets", api_get(as_light, "/rulesets")),
        Probe(
            "API GET /candidates?per_page=100",
            api_get(as_busy, "/candidates?per_page=100"),
            smaller=partial(api_get(as_small, "/candidates?per_page=100"), 0),
        ),
        Probe(
            "API GET /candidates/{id}/export",
            api_get(as_heavy, f"/candidates/{heavy_id}/export"),
            smaller=partial(api_get(as_light, f"/candidates/{light_id}/export"), 0),
        ),
        Probe(
            "API POST /candidates/{id}/teaching-sessions",
            new_session(as_heavy, heavy_id),
            expect=201,
            smaller=partial(new_session(as_light, light_id), 0),
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


def report(figures: Sequence[Figures]) -> list[str]:
    """The table: route, median and p95 times, statements per request and at a smaller scale."""
    width = max(len(f.label) for f in figures)
    header = f"{'route':<{width}}  {'median ms':>9}  {'p95 ms':>7}  {'SQL/req':>7}  {'smaller':>7}"
    lines = [header, "-" * len(header)]
    for f in figures:
        low, high = min(f.statements), max(f.statements)
        sql = str(low) if low == high else f"{low}-{high}"
        smaller = "-" if f.smaller_statements is None else str(f.smaller_statements)
        flags = []
        if f.smaller_statements is not None and f.smaller_statements != high:
            flags.append("SQL grows with the data")
        if f.median > SLOW_MS:
            flags.append(f"median over {SLOW_MS:g} ms")
        note = "  <- " + "; ".join(flags) if flags else ""
        lines.append(
            f"{f.label:<{width}}  {f.median:>9.1f}  {f.p95:>7.1f}  {sql:>7}  {smaller:>7}{note}"
        )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=100, help="bench candidates (100)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests a route (30)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests first (3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data (1)")
    parser.add_argument(
        "--database-url",
        help="postgresql+psycopg://.../<new database>: created and dropped (default: SQLite "
        "in a temporary folder)",
    )
    parser.add_argument(
        "--wipe-existing",
        action="store_true",
        help="allow an existing PostgreSQL database: empty its public schema before and after",
    )
    args = parser.parse_args(argv)
    fewest = HEAVY_2024 + 2  # the cast, and one candidate ready to submit
    if args.candidates < fewest or args.requests < 1 or args.warmups < 0:
        parser.error(f"need --candidates >= {fewest}, --requests >= 1, --warmups >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Build the data, time the routes, print the figures."""
    args = parse_args(argv)
    cheap_password_hashing()
    with throwaway_database(args.database_url, args.wipe_existing) as url:
        app = create_app(
            {"SECRET_KEY": "benchmark-" + "x" * 32, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False}
        )
        engine: Engine = app.extensions["trainerpath.engine"]
        try:
            started = time.perf_counter()
            migrate.upgrade(engine)
            ready_wanted = args.warmups + args.requests
            cast = load(engine, args.candidates, ready_wanted, args.seed)
            loaded = time.perf_counter() - started
            print(f"trainerpath benchmark on {dialect_line(engine)}")
            for line in volume(engine):
                print("  " + line)
            print(
                f"  loaded in {loaded:.1f} s through the services (passwords hashed with "
                "pbkdf2:sha256:1000, not the production scrypt)"
            )
            print(
                f"  heavy candidates: {cast.heavy_items} items on cst@1 + pst@1, "
                f"{cast.heavy_2024_items} on cst@2 + pst@2; smaller: {cast.light_items} and "
                f"{cast.light_2024_items} items, the same enrollments in the same states. "
                f"Busy mentor: {min(MAIN_MENTEES, args.candidates)} candidates; smaller: "
                f"{SMALL_MENTEES}, on the same rulesets and tracks."
            )
            print(
                f"  {args.requests} timed requests per route after {args.warmups} warm-ups, "
                "Flask test client in-process; SQL = statements per request (no BEGIN), "
                "'smaller' = the same route on the smaller subject"
            )
            counter = StatementCounter(engine)
            measured = [
                measure(probe, counter, args.warmups, args.requests)
                for probe in probes(app, cast, date.today())
            ]
            print()
            print("\n".join(report(measured)))
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
