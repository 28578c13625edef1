"""Requests per second of each route under gunicorn, beside its template and a bare app.

Three gunicorn servers with the same number of workers share the benchmark database:
trainerpath, trainerpath with routes that render a route's templates from a recorded
context (or serialise its recorded JSON), and a bare Flask app returning the route's
bytes (see replicas.py). Each route is loaded with the same client settings on all three.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .clients import Client, Result
from .replicas import BARE_PATH, SPEC, TEMPLATE_PATH, RouteSpec, start_page, write_spec
from .routes import Route
from .servers import Server, Servers, rss_mib
from .stats import ratio
from .visitors import visit_each


@dataclass(frozen=True)
class Row:
    """One route's figures on the three servers."""

    label: str
    page: Result
    template: Result
    bare: Result
    statements: str  # per request, from the in-process run

    @property
    def to_template(self) -> float:
        """Page rps over template rps."""
        return ratio(self.page.rps, self.template.rps)

    @property
    def to_bare(self) -> float:
        """Page rps over bare rps."""
        return ratio(self.page.rps, self.bare.rps)


@dataclass
class Served:
    """The three servers, and each measured route's path and login headers."""

    page: Server
    template: Server
    bare: Server
    routes: list[Route]
    headers: list[dict[str, str]]


def serve(
    servers: Servers, database_url: str, routes: list[Route], workers: int, workdir: Path
) -> Served:
    """Start trainerpath, log in, record each route's answer, then start the two replicas."""
    secret = secrets.token_hex(24)
    page = start_page(servers, "page", database_url, secret, workers, workdir)
    visits = visit_each(page.url, routes)
    specs = []
    for index, (route, visit) in enumerate(zip(routes, visits, strict=True)):
        body_file = workdir / f"body-{index}"
        body_file.write_bytes(visit.body)
        specs.append(
            RouteSpec(route.path, visit.headers, str(body_file), visit.content_type, route.api)
        )
    spec_file = workdir / "replicas.json"
    write_spec(spec_file, database_url, secret, specs)
    env = {SPEC: str(spec_file)}
    template = servers.start(
        "template", "bench.replicas:template_app()", workers, env=env, preload=True
    )
    bare = servers.start("bare", "bench.replicas:bare_app()", workers, env=env, preload=True)
    template.wait_until_serving(TEMPLATE_PATH + "0")
    bare.wait_until_serving(BARE_PATH + "0")
    return Served(page, template, bare, routes, [visit.headers for visit in visits])


def measure_routes(
    served: Served, client: Client, warmup: Client | None, statements: dict[str, str]
) -> list[Row]:
    """Load each route on the three servers in turn (warming each up first)."""
    rows = []
    for index, route in enumerate(served.routes):
        targets = [
            (served.page.url + route.path, served.headers[index]),
            (f"{served.template.url}{TEMPLATE_PATH}{index}", {}),
            (f"{served.bare.url}{BARE_PATH}{index}", {}),
        ]
        results = []
        for url, headers in targets:
            if warmup is not None:
                warmup.run(url, headers)
            results.append(client.run(url, headers))
        page, template, bare = results
        rows.append(Row(route.label, page, template, bare, statements.get(route.label, "-")))
        print(f"  measured {route.label}", flush=True)
    return rows


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def table(rows: Sequence[Row]) -> list[str]:
    """The side-by-side table: rps, p50 and p99 on each server, the two ratios, SQL."""
    width = max(len(row.label) for row in rows)
    cells = "{:>8} {:>7} {:>7}"
    header = (
        f"{'':<{width}}  {'page':^24} | {'template (a)':^24} | {'bare (b)':^24} |"
        f" {'page/':>9} {'page/':>7}  {'SQL/':>5}"
    )
    header2 = (
        f"{'route':<{width}}  "
        + " | ".join(cells.format("rps", "p50 ms", "p99 ms") for _ in range(3))
        + f" | {'template':>9} {'bare':>7}  {'req':>5}"
    )
    lines = [header, header2, "-" * len(header2)]
    for row in rows:
        figures = " | ".join(
            cells.format(_fmt(r.rps), _fmt(r.p50_ms), _fmt(r.p99_ms))
            for r in (row.page, row.template, row.bare)
        )
        errors = sum(r.errors for r in (row.page, row.template, row.bare))
        note = f"  <- {errors} errors" if errors else ""
        lines.append(
            f"{row.label:<{width}}  {figures} | {_fmt(row.to_template, 3):>9}"
            f" {_fmt(row.to_bare, 3):>7}  {row.statements:>5}{note}"
        )
    return lines


def memory_check(
    server: Server, path: str, headers: dict[str, str], client: Client, requests: int
) -> list[str]:
    """Each worker's resident memory before and after ``requests`` requests to ``path``."""
    before = {pid: rss_mib(pid) for pid in server.worker_pids()}
    result = client.run_at_least(server.url + path, headers, requests)
    after = {pid: rss_mib(pid) for pid in server.worker_pids()}
    lines = [
        f"memory: {result.requests:,} requests to {path} in {result.seconds:.0f} s "
        f"({result.errors} errors); resident memory of each gunicorn worker:"
    ]
    for pid in sorted(before.keys() | after.keys()):
        if pid not in after or pid not in before:
            lines.append(f"  worker {pid}: {'started' if pid in after else 'ended'} meanwhile")
            continue
        growth = after[pid] - before[pid]
        lines.append(
            f"  worker {pid}: {before[pid]:.1f} MiB -> {after[pid]:.1f} MiB ({growth:+.1f} MiB)"
        )
    return lines
