"""Requests per second of each route under gunicorn, beside its template and a bare app.

Three gunicorn servers with the same number of workers share the benchmark database:
trainerpath, trainerpath with routes that render a route's templates from a recorded
context (or serialise its recorded JSON), and a bare Flask app returning the route's
bytes (see replicas.py). Each route is loaded with the same client settings on all three.
"""

from __future__ import annotations

import math
import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .clients import Client, Result
from .replicas import BARE_PATH, SPEC, TEMPLATE_PATH, RouteSpec, start_page, write_spec
from .routes import Route
from .servers import Server, Servers, rss_mib
from .stats import ratio
from .visitors import visit_each

SERVERS = ("page", "template", "bare")


@dataclass(frozen=True)
class Round:
    """One route loaded once on each of the three servers, one after the other."""

    page: Result
    template: Result
    bare: Result

    @property
    def to_template(self) -> float:
        """Page rps over template rps."""
        return ratio(self.page.rps, self.template.rps)

    @property
    def to_bare(self) -> float:
        """Page rps over bare rps."""
        return ratio(self.page.rps, self.bare.rps)

    @property
    def cpu_to_template(self) -> float:
        """The template's CPU time per request over the page's: the page/template ratio
        of a machine whose only work is serving."""
        return ratio(self.template.cpu_us, self.page.cpu_us)

    @property
    def cpu_to_bare(self) -> float:
        """The bare app's CPU time per request over the page's."""
        return ratio(self.bare.cpu_us, self.page.cpu_us)


@dataclass(frozen=True)
class Row:
    """One route's figures on the three servers, over one or more rounds.

    Each figure is the median of the rounds'; each ratio the median of the rounds'
    ratios (the three servers of a round are loaded a few seconds apart, so a busy
    moment of the machine weighs on one round rather than on one server).
    """

    label: str
    rounds: tuple[Round, ...]
    statements: str  # per request, from the in-process run

    def median(self, server: str, figure: str) -> float:
        """The median over the rounds of ``figure`` (rps, p50_ms, p99_ms, cpu_us) on ``server``."""
        return statistics.median(getattr(getattr(r, server), figure) for r in self.rounds)

    def ratio(self, which: str) -> float:
        """The median of the rounds' ``which`` ratio (a property of Round)."""
        return statistics.median(getattr(r, which) for r in self.rounds)

    @property
    def to_template(self) -> float:
        """Page rps over template rps (the median of the rounds')."""
        return self.ratio("to_template")

    @property
    def to_bare(self) -> float:
        """Page rps over bare rps (the median of the rounds')."""
        return self.ratio("to_bare")

    def spread(self, which: str) -> str:
        """The lowest and highest of the rounds' ``which`` ratio ("-" for one round)."""
        values = [getattr(r, which) for r in self.rounds]
        if len(values) < 2:
            return "-"
        return f"{_fmt(min(values), 2)}-{_fmt(max(values), 2)}"

    @property
    def errors(self) -> int:
        """Failed requests in every round, on every server."""
        return sum(x.errors for r in self.rounds for x in (r.page, r.template, r.bare))


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
    served: Served,
    client: Client,
    warmup: Client | None,
    statements: dict[str, str],
    rounds: int = 1,
) -> list[Row]:
    """Warm each route up on the three servers, then load it on each in turn, ``rounds``
    times over."""
    rows = []
    for index, route in enumerate(served.routes):
        targets = [
            (served.page.url + route.path, served.headers[index]),
            (f"{served.template.url}{TEMPLATE_PATH}{index}", {}),
            (f"{served.bare.url}{BARE_PATH}{index}", {}),
        ]
        if warmup is not None:
            for url, headers in targets:
                warmup.run(url, headers)
        servers = (served.page, served.template, served.bare)
        measured = tuple(
            Round(
                *(
                    _with_cpu(server, client, url, headers)
                    for server, (url, headers) in zip(servers, targets, strict=True)
                )
            )
            for _ in range(rounds)
        )
        rows.append(Row(route.label, measured, statements.get(route.label, "-")))
        print(f"  measured {route.label}", flush=True)
    return rows


def _with_cpu(server: Server, client: Client, url: str, headers: dict[str, str]) -> Result:
    """Load ``url`` once, and note the CPU time the server's workers spent per request."""
    before = server.cpu_seconds()
    result = client.run(url, headers)
    spent = server.cpu_seconds() - before
    return replace(result, cpu_us=spent * 1e6 / result.requests if result.requests else math.nan)


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def table(rows: Sequence[Row]) -> list[str]:
    """The side-by-side table: rps, p50 and p99 on each server, the two ratios, SQL, and
    with several rounds the lowest and highest of each ratio."""
    width = max(len(row.label) for row in rows)
    cells = "{:>8} {:>7} {:>7}"
    header = (
        f"{'':<{width}}  {'page':^24} | {'template (a)':^24} | {'bare (b)':^24} |"
        f" {'page/':>9} {'page/':>7}  {'SQL/':>5}  {'rounds: page/template':>21}"
        f"  {'page/bare':>9}"
    )
    header2 = (
        f"{'route':<{width}}  "
        + " | ".join(cells.format("rps", "p50 ms", "p99 ms") for _ in range(3))
        + f" | {'template':>9} {'bare':>7}  {'req':>5}  {'low-high':>21}  {'low-high':>9}"
    )
    lines = [header, header2, "-" * len(header2)]
    for row in rows:
        figures = " | ".join(
            cells.format(*(_fmt(row.median(server, f)) for f in ("rps", "p50_ms", "p99_ms")))
            for server in SERVERS
        )
        note = f"  <- {row.errors} errors" if row.errors else ""
        lines.append(
            f"{row.label:<{width}}  {figures} | {_fmt(row.to_template, 3):>9}"
            f" {_fmt(row.to_bare, 3):>7}  {row.statements:>5}"
            f"  {row.spread('to_template'):>21}  {row.spread('to_bare'):>9}{note}"
        )
    return lines


def cpu_table(rows: Sequence[Row]) -> list[str]:
    """The workers' CPU time per request on each server, and the two ratios it gives.

    Throughput also counts what else the machine does meanwhile (the load generator,
    other tenants of a shared host); CPU time per request is what the page itself costs,
    so these ratios move less from one moment to another.
    """
    width = max(len(row.label) for row in rows)
    header = (
        f"{'route':<{width}}  {'page us':>9} {'template us':>12} {'bare us':>9}"
        f"  {'template/page':>13} {'bare/page':>10}  {'low-high':>9} {'low-high':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        page, template, bare = (_fmt(row.median(x, "cpu_us"), 0) for x in SERVERS)
        to_template, to_bare = (_fmt(row.ratio(r), 3) for r in ("cpu_to_template", "cpu_to_bare"))
        lines.append(
            f"{row.label:<{width}}  {page:>9} {template:>12} {bare:>9}"
            f"  {to_template:>13} {to_bare:>10}"
            f"  {row.spread('cpu_to_template'):>9} {row.spread('cpu_to_bare'):>9}"
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
