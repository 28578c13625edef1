"""Each page's latency on a large PostgreSQL database beside the same page on a small one.

Both databases are filled by scripts/bigdata.py in bulk SQL, the large one with
``--big-candidates`` and ``--big-sessions``, the small one with 100 candidates and
sessions in the same proportion, so that a page slower on the large one grows with the
data. Both are served by gunicorn at once, and each page is loaded with the same client
settings (32 connections by default, as the issue's goal says) on one database then the
other, for several rounds in alternating order: the table gives medians, and the ratio
of the two p50s round by round, so that the machine's own drift (which moved a page more
than the data did when the two databases were measured one after the other) cancels.
"""

from __future__ import annotations

import math
import re
import secrets
import statistics
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
from .servers import Server, Servers
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
    """One route on one database: the first request's time and size, then each round's
    load run."""

    first_ms: float
    kib: float
    rounds: tuple[Result, ...]

    def median(self, figure: str) -> float:
        """The median over the rounds of ``figure`` (rps, p50_ms, p99_ms)."""
        return statistics.median(getattr(run, figure) for run in self.rounds)

    @property
    def errors(self) -> int:
        """Failed requests over every round."""
        return sum(run.errors for run in self.rounds)


def growth(small: Sized, big: Sized) -> list[float]:
    """Each round's p50 on the large database over the same round's on the small one."""
    return [
        ratio(large.p50_ms, little.p50_ms)
        for little, large in zip(small.rounds, big.rounds, strict=True)
    ]


def measure_side_by_side(
    pages: Sequence[Server],
    routes: Sequence[Sequence[Route]],
    client: Client,
    warmup: Client | None,
    rounds: int,
) -> list[list[Sized]]:
    """Visit each route once on every server, then load it on each server in turn.

    The servers take turns within each round, the first of one round last in the next,
    so a machine that speeds up or slows down over a minute moves both sides alike.
    """
    visits = []
    for page, its_routes in zip(pages, routes, strict=True):
        try:
            visits.append(visit_each(page.url, list(its_routes)))
        except Exception:
            print(f"{page.name}: a page failed; the end of the server's log:\n{page.log_tail()}")
            raise
    sized: list[list[Sized]] = [[] for _ in pages]
    for index, label in enumerate(route.label for route in routes[0]):
        targets = [
            (page.url + its_routes[index].path, its_visits[index].headers)
            for page, its_routes, its_visits in zip(pages, routes, visits, strict=True)
        ]
        if warmup is not None:
            for url, headers in targets:
                warmup.run(url, headers)
        runs: list[list[Result]] = [[] for _ in pages]
        for turn in range(rounds):
            order = range(len(pages)) if turn % 2 == 0 else reversed(range(len(pages)))
            for server in order:
                runs[server].append(client.run(*targets[server]))
        for server, its_visits in enumerate(visits):
            visit = its_visits[index]
            measured = Sized(visit.seconds * 1000, len(visit.body) / 1024, tuple(runs[server]))
            sized[server].append(measured)
        print(f"  measured {label}", flush=True)
    return sized


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def table(
    labels: Sequence[str], small: Sequence[Sized], big: Sequence[Sized], big_name: str
) -> list[str]:
    """The two databases side by side: medians of latency and rps, HTML size, and the
    p50 ratio (the median of the rounds' ratios, and their range)."""
    width = max(len(label) for label in labels)
    cells = "{:>7} {:>7} {:>7} {:>7} {:>8}"
    names = ("first ms", "p50 ms", "p99 ms", "rps", "KiB")
    header = f"{'':<{width}}  {'100 candidates':^40} | {big_name:^40} |"
    header2 = (
        f"{'route':<{width}}  {cells.format(*names)} | {cells.format(*names)} | "
        f"{'p50 x':>6} {'low-high':>9}"
    )
    lines = [header, header2, "-" * len(header2)]
    for label, little, large in zip(labels, small, big, strict=True):
        columns = [
            cells.format(
                _ms(s.first_ms),
                _ms(s.median("p50_ms")),
                _ms(s.median("p99_ms")),
                f"{s.median('rps'):.1f}",
                f"{s.kib:,.0f}",
            )
            for s in (little, large)
        ]
        each = growth(little, large)
        grown = statistics.median(each)
        spread = f" {_ms(min(each)) + '-' + _ms(max(each)):>9}" if len(each) > 1 else ""
        flags = []
        if grown > WITHIN:
            flags.append(f"over {WITHIN}x")
        if not large.median("p99_ms") < P99_GOAL_MS:
            flags.append(f"p99 over {P99_GOAL_MS:.0f} ms")
        if large.errors or little.errors:
            flags.append(f"{large.errors + little.errors} errors")
        note = "  <- " + "; ".join(flags) if flags else ""
        lines.append(
            f"{label:<{width}}  {columns[0]} | {columns[1]} | {_ms(grown):>6}{spread}{note}"
        )
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
    rounds: int,
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
        pages = [
            start_page(servers, name, url, secrets.token_hex(24), workers, workdir)
            for name, url in (("small", small_db), ("big", big_db))
        ]
        routes = [big_routes(small_data), big_routes(big_data)]
        small, big = measure_side_by_side(pages, routes, client, warmup, rounds)
    big_name = f"{candidates:,} candidates"
    return table([route.label for route in routes[1]], small, big, big_name)
