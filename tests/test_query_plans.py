"""The main pages read large tables through indexes, on a large PostgreSQL dataset.

scripts/bigdata.py fills a schema of its own in the test database (``SCHEMA``, dropped
afterwards; the suite's tables are not touched) with ``CANDIDATES`` candidates and
``SESSIONS`` teaching sessions: enough that PostgreSQL's planner prefers an index
wherever one serves, so a missing index shows as a sequential scan. Each page of
``PAGES`` is then opened as its user, through Flask's test client; every SELECT it runs
is captured with its parameters and explained, and the test fails when a plan reads a
table of more than ``LARGE`` rows whole (a ``Seq Scan``, or an index scan with no
condition and no limit), naming the page, the table and the statement.

The statements come from real requests, so the test follows the pages as their queries
change; a new page is one more line in ``PAGES``. PostgreSQL only (SQLite's planner is
another story); run it alone with ``pytest -m query_plans``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from trainerpath import create_app
from trainerpath.models import EVIDENCE_MODELS

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "query_plans"
# Enough candidates for the evidence tables to be large, and teaching sessions for the
# audit trail to be larger still (~430,000 rows); generated in ~15 s.
CANDIDATES = 2_000
SESSIONS = 200_000
# A table with more rows than this is large: the evidence tables (2 to 100 rows a
# candidate), feedback, the audit trail. Not the tables of about one row a candidate
# (users, enrollments, mentorships: ~2,100-2,300 rows here), where the planner rightly
# prefers a sequential scan of a few pages at this size and uses the index at 10,000
# candidates; whether their lists are paginated is another test's question.
LARGE = 3_000
INDEX_SCANS = ("Index Scan", "Index Only Scan")

pytestmark = pytest.mark.query_plans


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("bigdata", ROOT / "scripts" / "bigdata.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Page:
    """A page or API view, opened as ``who`` (admin, mentor or candidate).

    ``path`` may name ``{candidate}`` (the candidate of the dataset's login) and
    ``{enrollment}`` (one of their enrollments).
    """

    who: str
    path: str
    htmx: bool = False  # asked for as htmx asks for a partial

    @property
    def api(self) -> bool:
        """Whether it is an API view (bearer token) rather than a page (login cookie)."""
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.who} {self.path}" + (" (htmx)" if self.htmx else "")


PAGES: list[Any] = [
    Page("candidate", "/candidate"),
    Page("candidate", "/evidence/teaching-sessions"),
    Page("candidate", "/evidence/assessments"),
    Page("candidate", "/evidence/credentials"),
    Page("candidate", "/evidence/experience"),
    Page("candidate", "/evidence/milestones"),
    Page("candidate", "/progress", htmx=True),
    Page("mentor", "/mentor/"),
    Page("mentor", "/mentor/reviews"),
    Page("mentor", "/mentor/candidates/{candidate}"),
    Page("mentor", "/mentor/candidates/{candidate}/evidence?status=verified"),
    Page("mentor", "/mentor/reviews?kind=teaching-sessions&candidate={candidate}", htmx=True),
    Page("admin", "/mentor/"),
    Page("admin", "/mentor/reviews"),
    Page("admin", "/mentor/candidates/{candidate}"),
    Page("admin", "/admin/audit"),
    Page("admin", "/mentor/?sort=progress"),
    Page("admin", "/mentor/?sort=state&dir=desc"),
    Page("admin", "/mentor/?sort=pending"),
    Page("admin", "/mentor/?sort=activity"),
    Page("admin", "/mentor/?waiting=1&ageing=1"),
    Page("admin", "/mentor/?page=3"),
    Page("admin", "/admin/audit?candidate={candidate}"),
    Page("admin", "/admin/users"),
    Page("admin", "/admin/mentorships"),
    Page("candidate", "/api/v1/enrollments/{enrollment}"),
    Page("candidate", "/api/v1/candidates/{candidate}/teaching-sessions"),
    Page("mentor", "/api/v1/candidates"),
    Page("mentor", "/api/v1/candidates/{candidate}"),
    Page("mentor", "/api/v1/candidates/{candidate}/export"),
    Page("admin", "/api/v1/candidates"),
    Page("admin", "/api/v1/enrollments/{enrollment}"),
]


def whole_reads(
    plan: dict[str, Any], sizes: dict[str, int], limited: bool = False
) -> Iterator[str]:
    """Every large table a plan reads whole, at any depth: a ``Seq Scan``, or an index
    scan with no condition (such as ``count(*)`` of a table) and no ``Limit`` above it."""
    table = plan.get("Relation Name") or ""
    if sizes.get(table, 0) > LARGE:
        kind = plan["Node Type"]
        unbounded = kind in INDEX_SCANS and "Index Cond" not in plan and not limited
        if kind == "Seq Scan" or unbounded:
            yield f"{kind} on {table} ({sizes[table]:,} rows)"
    limited = limited or plan["Node Type"] == "Limit"
    for child in plan.get("Plans", []):
        yield from whole_reads(child, sizes, limited)


class Statements:
    """The SELECTs an engine runs while recording, with their parameters."""

    def __init__(self, engine: Engine) -> None:
        self.recording = False
        self.seen: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.recording and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.seen.append((statement, parameters))


@dataclass
class Site:
    """The generated database, the app on it, a client per user, and what they read."""

    app: Flask
    explainer: Engine
    statements: Statements
    clients: dict[str, FlaskClient]
    headers: dict[str, dict[str, str]]
    names: dict[str, int]
    sizes: dict[str, int]


def _schema_url(database_url: str) -> str:
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    return url.render_as_string(hide_password=False)


def _drop_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="module")
def site(database_url: str) -> Iterator[Site]:
    """Generate the dataset into ``SCHEMA``, log everyone in; drop it all afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("query plans are checked on PostgreSQL (set TRAINERPATH_TEST_DATABASE_URL)")
    _drop_schema(database_url)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    url = _schema_url(database_url)
    try:
        dataset = _load_generator().generate(url, CANDIDATES, SESSIONS, say=lambda _line: None)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret",
                "DATABASE_URL": url,
                "WTF_CSRF_ENABLED": False,
            }
        )
        explainer = create_engine(url)
        with explainer.connect() as connection:
            sizes = {
                name: int(rows)
                for name, rows in connection.execute(
                    text(
                        "SELECT relname, reltuples FROM pg_class "
                        "WHERE relnamespace = CAST(:schema AS regnamespace) AND relkind = 'r'"
                    ),
                    {"schema": SCHEMA},
                )
            }
        logins = {"admin": dataset.admin, "mentor": dataset.mentor, "candidate": dataset.candidate}
        clients, headers = {}, {}
        for who, login in logins.items():
            client = app.test_client()
            form = {"email": login.email, "password": login.password}
            assert client.post("/login", data=form).status_code in (302, 303), who
            clients[who] = client
            answer = app.test_client().post("/api/v1/tokens", json=form)
            assert answer.status_code == 201, answer.get_data(as_text=True)
            headers[who] = {"Authorization": f"Bearer {answer.get_json()['token']}"}
        engine = app.extensions["trainerpath.engine"]
        names = {"candidate": dataset.candidate.user_id, "enrollment": dataset.enrollment_id}
        yield Site(app, explainer, Statements(engine), clients, headers, names, sizes)
        engine.dispose()
        explainer.dispose()
    finally:
        _drop_schema(database_url)


def test_the_dataset_is_large_enough_for_indexes_to_matter(site: Site) -> None:
    """Every evidence table and the audit trail are large, or the test proves little."""
    tables = [str(model.__tablename__) for model in EVIDENCE_MODELS.values()]
    for table in [*tables, "audit_log"]:
        assert site.sizes[table] > LARGE, (table, site.sizes[table])
    assert site.sizes["teaching_sessions"] == SESSIONS


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_no_page_reads_a_large_table_sequentially(site: Site, page: Page) -> None:
    """Open the page, explain each SELECT it ran, and list the sequential scans."""
    path = page.path.format(**site.names)
    client = site.app.test_client() if page.api else site.clients[page.who]
    headers = dict(site.headers[page.who]) if page.api else {}
    if page.htmx:
        headers["HX-Request"] = "true"
    site.statements.seen.clear()
    site.statements.recording = True
    try:
        response = client.get(path, headers=headers)
    finally:
        site.statements.recording = False
    assert response.status_code == 200, f"{page}: {response.status_code}"
    assert site.statements.seen, f"{page} ran no SELECT: is it still the page it was?"
    found: list[str] = []
    with site.explainer.connect() as connection:
        for statement, parameters in site.statements.seen:
            explained = connection.exec_driver_sql(
                f"EXPLAIN (FORMAT JSON) {statement}", parameters
            ).scalar_one()
            found += [
                f"{scan} in: {' '.join(statement.split())[:600]}"
                for scan in whole_reads(explained[0]["Plan"], site.sizes)
            ]
    assert not found, f"{page} reads large tables whole:\n" + "\n".join(dict.fromkeys(found))
