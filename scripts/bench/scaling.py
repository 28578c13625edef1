"""Each page's latency on a large PostgreSQL database beside the same page on a small one.

Both databases are filled by scripts/bigdata.py in bulk SQL, the large one with
``--big-candidates`` and ``--big-sessions``, the small one with 100 candidates and
sessions in the same proportion, so that a page slower on the large one grows with the
data. Each page is served by gunicorn on each database in turn and loaded with the same
client settings (32 connections by default, as the issue's goal says).
"""

from __future__ import annotations

import math
import re
import secrets
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from .clients import Client, Result
from .dataset import Person
from .replicas import start_page
from .routes import API, Route
from .servers import Servers
from .stats import ratio
from .throwaway import throwaway_database
from .visitors import visit_each

SMALL_CANDIDATES = 100
WITHIN = 1.5  # the goal: no page slower than this many times the small database's
P99_GOAL_MS = 100.0


class Login(Protocol):
    """A login bigdata.generate printed."""

    user_id: int
    email: str
    password: str


class Dataset(Protocol):
    """What bigdata.generate returns."""

    admin: Login
    mentor: Login
    candidate: Login
    enrollment_id: int
    rows: dict[str, int]
    seconds: float


Generate = Callable[..., Any]  # bigdata.generate(url, candidates, sessions, *, seed, say)


def small_url(big_url: str) -> str:
    """The small database's URL: the large one's name with ``_small``."""
    parsed = make_url(big_url)
    return parsed.set(database=f"{parsed.database}_small").render_as_string(hide_password=False)


def big_routes(dataset: Dataset) -> list[Route]:
    """The pages and API views to compare, as the generated candidate, mentor and admin."""

    def person(login: Login) -> Person:
        return Person(login.user_id, login.email, login.password)

    candidate, mentor, admin = (
        person(dataset.candidate),
        person(dataset.mentor),
        person(dataset.admin),
    )
    cid = candidate.id
    return [
        Route("GET /candidate", "/candidate", candidate),
        Route("GET /evidence/teaching-sessions", "/evidence/teaching-sessions", candidate),
        Route("GET /pathways/compare (candidate)", "/pathways/compare", candidate),
        Route("GET /mentor/", "/mentor/", mentor),
        Route("GET /mentor/?ageing=1", "/mentor/?ageing=1", mentor),
        Route("GET /mentor/reviews", "/mentor/reviews", mentor),
        Route("GET /mentor/ (admin: everyone)", "/mentor/", admin),
        Route("GET /mentor/reviews (admin)", "/mentor/reviews", admin),
        Route("GET /mentor/candidates/{id} (admin)", f"/mentor/candidates/{cid}", admin),
        Route("GET /admin/users", "/admin/users", admin),
        Route("GET /admin/mentorships", "/admin/mentorships", admin),
        Route("GET /admin/audit", "/admin/audit", admin),
        Route("API GET /enrollments/{id}", f"{API}/enrollments/{dataset.enrollment_id}", candidate),
        Route("API GET /candidates?per_page=100", f"{API}/candidates?per_page=100", mentor),
        Route(
            "API GET /candidates/{id}/teaching-sessions",
            f"{API}/candidates/{cid}/teaching-sessions",
            candidate,
        ),
        Route("API GET /candidates/{id}/export", f"{API}/candidates/{cid}/export", candidate),
    ]


@dataclass(frozen=True)
class Sized:
    """One route on one database: the first request's time and size, then the load run."""

    first_ms: float
    kib: float
    loaded: Result


def measure_database(
    servers: Servers,
    name: str,
    url: str,
    routes: list[Route],
    client: Client,
    warmup: Client | None,
    workers: int,
    workdir: Path,
) -> list[Sized]:
    """Serve trainerpath on ``url``, visit each route once, then load each in turn."""
    page = start_page(servers, name, url, secrets.token_hex(24), workers, workdir)
    try:
        try:
            visits = visit_each(page.url, routes)
        except Exception:
            print(f"{name}: a page failed; the end of the server's log:\n{page.log_tail()}")
            raise
        sized = []
        for route, visit in zip(routes, visits, strict=True):
            target = page.url + route.path
            if warmup is not None:
                warmup.run(target, visit.headers)
            loaded = client.run(target, visit.headers)
            sized.append(Sized(visit.seconds * 1000, len(visit.body) / 1024, loaded))
            print(f"  {name}: measured {route.label}", flush=True)
        return sized
    finally:
        page.stop()


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def table(
    labels: Sequence[str], small: Sequence[Sized], big: Sequence[Sized], big_name: str
) -> list[str]:
    """The two databases side by side: latencies, rps, HTML size, and the p50 ratio."""
    width = max(len(label) for label in labels)
    cells = "{:>7} {:>7} {:>7} {:>7} {:>8}"
    names = ("first ms", "p50 ms", "p99 ms", "rps", "KiB")
    header = f"{'':<{width}}  {'100 candidates':^40} | {big_name:^40} |"
    header2 = f"{'route':<{width}}  {cells.format(*names)} | {cells.format(*names)} | {'p50 x':>6}"
    lines = [header, header2, "-" * len(header2)]
    for label, little, large in zip(labels, small, big, strict=True):
        columns = [
            cells.format(
                _ms(s.first_ms),
                _ms(s.loaded.p50_ms),
                _ms(s.loaded.p99_ms),
                f"{s.loaded.rps:.1f}",
                f"{s.kib:,.0f}",
            )
            for s in (little, large)
        ]
        grown = ratio(large.loaded.p50_ms, little.loaded.p50_ms)
        flags = []
        if grown > WITHIN:
            flags.append(f"over {WITHIN}x")
        if not large.loaded.p99_ms < P99_GOAL_MS:
            flags.append(f"p99 over {P99_GOAL_MS:.0f} ms")
        if large.loaded.errors or little.loaded.errors:
            flags.append(f"{large.loaded.errors + little.loaded.errors} errors")
        note = "  <- " + "; ".join(flags) if flags else ""
        lines.append(f"{label:<{width}}  {columns[0]} | {columns[1]} | {_ms(grown):>6}{note}")
    return lines


def compare_sizes(
    generate: Generate,
    big_url: str,
    candidates: int,
    sessions: int,
    *,
    seed: int,
    wipe_existing: bool,
    client: Client,
    warmup: Client | None,
    workers: int,
) -> list[str]:
    """Generate the two databases, measure each page on both, return the table's lines."""
    name = make_url(big_url).database or ""
    if make_url(big_url).get_backend_name() != "postgresql" or not re.fullmatch(r"\w+", name):
        raise SystemExit("benchmark: --big-database-url must be postgresql+psycopg://.../<name>")
    small_sessions = round(sessions * SMALL_CANDIDATES / candidates)

    def say(line: str) -> None:
        print("    " + line.strip(), flush=True)

    with (
        throwaway_database(small_url(big_url), wipe_existing) as small_db,
        throwaway_database(big_url, wipe_existing) as big_db,
        tempfile.TemporaryDirectory(prefix="trainerpath-bench-sizes-") as folder,
        Servers(Path(folder)) as servers,
    ):
        print(f"  generating {SMALL_CANDIDATES} candidates, {small_sessions:,} sessions:")
        small_data: Dataset = generate(
            small_db, SMALL_CANDIDATES, small_sessions, seed=seed, say=say
        )
        print(f"  generating {candidates:,} candidates, {sessions:,} sessions:")
        big_data: Dataset = generate(big_db, candidates, sessions, seed=seed, say=say)
        print(
            f"  generated in {small_data.seconds:.0f} s and {big_data.seconds:.0f} s; "
            + ", ".join(f"{table}: {count:,}" for table, count in big_data.rows.items())
        )
        workdir = Path(folder)
        small_routes, big_routes_ = big_routes(small_data), big_routes(big_data)
        small = measure_database(
            servers, "small", small_db, small_routes, client, warmup, workers, workdir
        )
        big = measure_database(
            servers, "big", big_db, big_routes_, client, warmup, workers, workdir
        )
    big_name = f"{candidates:,} candidates"
    return table([route.label for route in big_routes_], small, big, big_name)
