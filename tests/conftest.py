"""Fixtures: a migrated database per run, emptied after every test; apps, built once per
configuration and reset after every test; factories.

Every test hashes passwords cheaply unless marked ``real_password_hashing``. Service
tests that need no Flask app are marked ``without_app``: their ``engine`` is then one
engine per module, which spares each test the cost of building an app.

Set TRAINERPATH_TEST_DATABASE_URL (postgresql+psycopg://...) to run on PostgreSQL;
without it the suite runs on a SQLite file. A set URL that cannot be reached fails
the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import limits.storage.memory
import limits.storage.redis
import limits.strategies
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from limits.storage import MemoryStorage
from smtp_server import Received, SmtpServer
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from werkzeug.security import generate_password_hash

from trainerpath import clock, create_app, delivery, migrate, ratelimit
from trainerpath.db import make_engine
from trainerpath.models import (
    EVIDENCE_MODELS,
    Enrollment,
    EvidenceBase,
    Mentorship,
    ReviewStatus,
    Role,
    User,
    utcnow,
)
from trainerpath.pathways import REGISTERED, Ruleset, ruleset_for
from trainerpath.services import accounts, password_links, users
from trainerpath.services.evidence_kinds import evidence_kind
from trainerpath.services.users import create_user

PASSWORD = "correct horse battery"
TODAY = date.today()


def days_ago(days: int) -> date:
    """A date ``days`` before today."""
    return TODAY - timedelta(days=days)


def first_of_month_after(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month (a forecast checkpoint)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, 1)


def pk(row: Any) -> int:
    """The id of a flushed row (never None once stored)."""
    assert row.id is not None
    return int(row.id)


def _fresh_postgres_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database, migrated to head once per run."""
    url = os.environ.get("TRAINERPATH_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # a configured database that is down must fail the run
        message = f"TRAINERPATH_TEST_DATABASE_URL={url} cannot be reached: {error}"
        pytest.fail(message, pytrace=False)
    if engine.dialect.name == "postgresql":
        _fresh_postgres_schema(engine)
    migrate.upgrade(engine)
    engine.dispose()
    yield url


def empty_all_tables(engine: Engine) -> None:
    """Delete every row, children first, so the next test starts from nothing."""
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        # DELETE, not TRUNCATE: on tables this small it is some fifty times faster, and
        # emptying runs after every test.
        deletes = [f"DELETE FROM {table}" for table in tables]
        if engine.dialect.name == "postgresql":
            # Ids restart at 1 as they do on SQLite once a table is empty; one round trip.
            restarts = [
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)"
                for table in tables
                if "id" in SQLModel.metadata.tables[table].c
            ]
            connection.exec_driver_sql("; ".join(deletes + restarts))
        else:
            for statement in deletes:
                connection.exec_driver_sql(statement)


@pytest.fixture(scope="session")
def _folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-folders")


def _emptied(folder: Path) -> Iterator[Path]:
    folder.mkdir(exist_ok=True)
    yield folder
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@pytest.fixture
def upload_dir(_folders: Path) -> Iterator[Path]:
    """The upload directory of the test apps, emptied after every test. One path for
    the whole run, so that the apps, kept by configuration, are reused."""
    yield from _emptied(_folders / "uploads")


@pytest.fixture
def mail_dir(_folders: Path) -> Iterator[Path]:
    """Where the test apps write .eml files (never the checkout's instance/mail); one
    path for the whole run, emptied after every test, as ``upload_dir``."""
    yield from _emptied(_folders / "mail")


@pytest.fixture
def app_config(database_url: str, mail_dir: Path, upload_dir: Path) -> dict[str, Any]:
    """The test configuration; tests may change it before ``app`` is created."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,  # CSRF has its own tests, which switch it on
        "MAIL_FILE_PATH": str(mail_dir),
        "BASE_URL": "http://trainerpath.test",
        "UPLOAD_DIR": str(upload_dir),
    }


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port; ``smtp.settings`` sends to it."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailed(app: Flask, engine: Engine, smtp: SmtpServer) -> Callable[[int], list[Received]]:
    """Deliver the outbox; what has arrived at ``smtp`` once ``count`` mails have."""

    def deliver(count: int) -> list[Received]:
        with app.app_context():
            delivery.deliver_due(app, engine)
        return smtp.wait_for(count, seconds=5 if count else 0.5)

    return deliver


@pytest.fixture
def mail_app_config(app_config: dict[str, Any], smtp: SmtpServer) -> dict[str, Any]:
    """The test configuration, sending mail to the ``smtp`` server."""
    return app_config | smtp.settings


class BuiltApps:
    """Apps already built, by configuration, so that each test need not build its own.

    Building an app compiles every URL rule, and its first pages compile their
    templates: most of a web test's cost. The app keeps no state between requests
    beyond what ``reset`` restores: its settings, the extensions a test or a request
    added (the turnaround cache), and the rate-limit counts. A configuration that
    names a new SMTP port each test would keep an app per test, so only the latest
    few stay, and each app's connections are closed when it is dropped.
    """

    KEPT = 4

    def __init__(self) -> None:
        self._apps: OrderedDict[str, tuple[Flask, dict[str, Any], set[str]]] = OrderedDict()

    def get(self, config: dict[str, Any]) -> Flask:
        """The app of this configuration, built on first use."""
        key = repr(sorted(config.items()))
        if key in self._apps:
            self._apps.move_to_end(key)
            return self._apps[key][0]
        app = create_app(config)
        self._apps[key] = (app, dict(app.config), set(app.extensions))
        while len(self._apps) > self.KEPT:
            _key, (dropped, _config, _names) = self._apps.popitem(last=False)
            dropped.extensions["trainerpath.engine"].dispose()
        return app

    def reset(self, app: Flask) -> None:
        """Return ``app`` to how it was built: settings, extensions, rate-limit counts."""
        for built, config, names in self._apps.values():
            if built is app:
                app.config.clear()
                app.config.update(config)
                for name in set(app.extensions) - names:
                    del app.extensions[name]
                # One store holds the counts of both guards (logins and reset requests);
                # the tests on a Redis store empty their Redis database themselves.
                storage = app.extensions[ratelimit.EXTENSION].limiter.storage
                if isinstance(storage, MemoryStorage):
                    storage.reset()
                return

    def dispose(self) -> None:
        """Close every kept app's connections."""
        for app, _config, _names in self._apps.values():
            app.extensions["trainerpath.engine"].dispose()
        self._apps.clear()


@pytest.fixture(scope="session")
def _apps() -> Iterator[BuiltApps]:
    apps = BuiltApps()
    yield apps
    apps.dispose()


@pytest.fixture
def app(app_config: dict[str, Any], _apps: BuiltApps) -> Iterator[Flask]:
    """The app of this configuration (built once, reused), emptied and reset afterwards."""
    app = _apps.get(app_config)
    yield app
    empty_all_tables(app.extensions["trainerpath.engine"])
    _apps.reset(app)


@pytest.fixture(scope="module")
def engine_without_app(database_url: str) -> Iterator[Engine]:
    """The test database without a Flask app, shared by one module's tests.

    Services need no app, and building one costs ~0.1 s; one engine also keeps its
    connections and compiled statements from test to test.
    """
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The app's engine; in a module marked ``without_app``, an engine with no app.

    Either way the tables are emptied after the test (the app fixture does it for
    the app's engine).
    """
    if request.node.get_closest_marker("without_app") is None:
        app: Flask = request.getfixturevalue("app")
        yield app.extensions["trainerpath.engine"]
        return
    engine: Engine = request.getfixturevalue("engine_without_app")
    yield engine
    empty_all_tables(engine)


@pytest.fixture(autouse=True)
def one_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the app on the day the run started (``TODAY``): the dates tests work out when
    they are collected ("tomorrow" is in the future) stay right if the run passes midnight.
    A test that moves the day patches ``clock.today`` over this."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)


class WindowClock:
    """The clock the rate-limit windows are timed by, stopped until ``advance`` moves it.

    The ``limits`` library times its windows with ``time.time()``, read in its storage
    and strategy modules, and ``trainerpath.ratelimit`` turns a window's end into
    Retry-After with it. On real time a loaded machine decides such a test: one request
    can take a second, and attempts meant to fall within one window of a second or two
    did not. Redis still expires a window's key in real time, so a window a test times
    this way should be longer than the test runs (a minute, say).
    """

    def __init__(self) -> None:
        # A whole second: Redis's Lua keeps 14 digits of a stored moment, so a fraction
        # would come back rounded and add a second to a Retry-After the test checks.
        self.now = float(int(time.time()))

    def time(self) -> float:
        """The stopped moment, as ``time.time()`` gives it."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on by ``seconds``."""
        self.now += seconds


@pytest.fixture
def window_clock(monkeypatch: pytest.MonkeyPatch) -> WindowClock:
    """Stop the rate-limit windows' clock (``WindowClock``); the test moves it on."""
    stopped = WindowClock()
    for module in (limits.storage.memory, limits.storage.redis, limits.strategies, ratelimit):
        monkeypatch.setattr(module, "time", stopped)
    return stopped


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords cheaply: scrypt's deliberate slowness (~0.2 s a user) adds minutes.

    Tests marked ``real_password_hashing`` keep the production hash.
    """
    if request.node.get_closest_marker("real_password_hashing") is not None:
        return
    cheap = partial(generate_password_hash, method="pbkdf2:sha256:1000")
    monkeypatch.setattr(users, "generate_password_hash", cheap)
    monkeypatch.setattr(accounts, "generate_password_hash", cheap)
    monkeypatch.setattr(password_links, "generate_password_hash", cheap)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and inspecting data; tests commit what they arrange.

    On SQLite every transaction begins IMMEDIATE (it takes the write lock), so end a
    read with ``session.rollback()`` or ``commit()`` before the app or a CLI command
    writes, or that write waits for the busy timeout.
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Flask's CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Create and commit a user: ``make_user(role="mentor", name="Mia")``."""
    counter = iter(range(1, 10_000))

    def make(role: str = Role.CANDIDATE.value, **fields: Any) -> User:
        n = next(counter)
        user = create_user(
            session=session,
            email=fields.pop("email", f"{role}{n}@example.org"),
            name=fields.pop("name", f"{role.capitalize()} {n}"),
            password=fields.pop("password", PASSWORD),
            role=role,
        )
        for name, value in fields.items():
            setattr(user, name, value)
        session.commit()
        return user

    return make


@pytest.fixture
def assign(session: Session) -> Callable[[User, User], Mentorship]:
    """Make ``mentor`` the mentor of ``candidate``."""

    def make(mentor: User, candidate: User) -> Mentorship:
        assert mentor.id is not None and candidate.id is not None
        mentorship = Mentorship(mentor_id=mentor.id, candidate_id=candidate.id)
        session.add(mentorship)
        session.commit()
        return mentorship

    return make


DEFAULT_FIELDS: dict[str, Callable[[], dict[str, Any]]] = {
    "teaching-sessions": lambda: {
        "title": "Certified ScrumMaster",
        "course_type": "scrum_master",
        "first_day": days_ago(30),
        "days": 2,
        "students": 10,
        "context": "independent",
    },
    "assessments": lambda: {"assessment": "pspo_1", "score": 96.0, "taken_on": days_ago(30)},
    "credentials": lambda: {"kind": "csp_sm", "issued_on": days_ago(100)},
    "experience": lambda: {
        "role": "product_owner",
        "organisation": "Acme",
        "started_on": days_ago(5 * 366),
    },
    "milestones": lambda: {"kind": "course_materials_reviewed", "achieved_on": days_ago(10)},
}


@pytest.fixture
def make_evidence(session: Session) -> Callable[..., EvidenceBase]:
    """Store an evidence item directly: ``make_evidence(c, "teaching-sessions", students=20)``.

    ``status`` defaults to verified. Fields go through the kind's validation (with a
    fixed ``today`` of the real date), so derived values such as valid_until are right.
    """

    def make(
        candidate: User,
        kind: str,
        /,  # positional-only, so credentials and milestones can pass their own ``kind``
        status: str = ReviewStatus.VERIFIED.value,
        today: date = TODAY,
        **fields: Any,
    ) -> EvidenceBase:
        spec = evidence_kind(kind)
        values = spec.validate(DEFAULT_FIELDS[kind]() | fields, today)
        item = EVIDENCE_MODELS[kind](candidate_id=candidate.id, review_status=status, **values)
        if status != ReviewStatus.PENDING:
            item.reviewed_at = utcnow()
        session.add(item)
        session.commit()
        return item

    return make


def first_ruleset(pathway: str) -> Ruleset:
    """The pathway's first ruleset (``cst@1``), which the tests assume unless told."""
    return min((r for r in REGISTERED if r.pathway == pathway), key=lambda r: r.version)


@pytest.fixture
def make_enrollment(session: Session) -> Callable[..., Enrollment]:
    """Create an enrollment in any state: ``make_enrollment(c, "pst", state="ttt")``.

    It follows ``ruleset`` (an id such as ``"cst@2"``), else the pathway's first ruleset,
    and that ruleset's default track unless ``track=`` is given.
    """

    def make(
        candidate: User, pathway: str = "cst", *, ruleset: str | None = None, **fields: Any
    ) -> Enrollment:
        chosen = ruleset_for(ruleset) if ruleset else first_ruleset(pathway)
        assert chosen.pathway == pathway, f"{chosen.id} is not a ruleset of {pathway}"
        assert candidate.id is not None
        enrollment = Enrollment(
            candidate_id=candidate.id,
            pathway=pathway,
            ruleset=chosen.id,
            state=fields.pop("state", chosen.initial_state),
            track=fields.pop("track", chosen.default_track),
            **fields,
        )
        session.add(enrollment)
        session.commit()
        return enrollment

    return make


class People:
    """A candidate, and everyone who might act on their record.

    Each person is created on first use: every user costs a few commits, and most
    tests need only two of them.
    """

    def __init__(self, make_user: Callable[..., User], assign: Callable[[User, User], Any]) -> None:
        self._make_user = make_user
        self._assign = assign

    @cached_property
    def candidate(self) -> User:
        """The candidate whose record is at stake."""
        return self._make_user(name="Cara Candidate")

    @cached_property
    def mentor(self) -> User:
        """A mentor assigned to the candidate."""
        mentor = self._make_user(role="mentor", name="Mo Mentor")
        self._assign(mentor, self.candidate)
        return mentor

    @cached_property
    def admin(self) -> User:
        """An admin, who sees everyone."""
        return self._make_user(role="admin", name="Ada Admin")

    @cached_property
    def unassigned_mentor(self) -> User:
        """A mentor of nobody, who must not learn the candidate exists."""
        return self._make_user(role="mentor", name="Una Unassigned")

    @cached_property
    def other_candidate(self) -> User:
        """Another candidate, who must not see this one's record."""
        return self._make_user(name="Otto Other")

    def acting_as(self, role: str) -> User:
        """The person of ``role`` who may see the candidate: themselves, their mentor, an admin."""
        assert role in {r.value for r in Role}
        user: User = getattr(self, role)
        return user


@pytest.fixture
def people(make_user: Callable[..., User], assign: Callable[[User, User], Any]) -> People:
    """The cast of a test, each created when the test first names them."""
    return People(make_user, assign)
