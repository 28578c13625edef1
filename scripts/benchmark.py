"""Time the pages and API views on a realistic data volume, and print the figures.

Speed goals are checked by this script, not by timed tests: it asserts nothing about
timings and exits 0 once it has printed its tables. Its parts live in scripts/bench/.

1. In-process (bench/inprocess.py). It builds a throw-away database (a SQLite file in
   a temporary folder, or a fresh PostgreSQL database), migrates it, loads the demo and
   then ``--candidates`` more candidates through the real services (bench/dataset.py:
   users, mentorships, 30-60 evidence items each, ``--heavy-items`` for the two heavy
   candidates, with their reviews, enrollments on the first and the current rulesets
   and transitions), logs in through the real /login form and /api/v1/tokens, and times
   each route with Flask's test client (no network, no WSGI server). Beside the times it
   counts the SQL statements of each request, and counts them again for the same route
   on a smaller subject (a candidate with fewer items on the same rulesets, a mentor of
   3 candidates on the same rulesets and tracks): a count that differs grows with the
   data, the mark of an N+1 query.
2. Under gunicorn (bench/sidebyside.py). Three servers with ``--workers`` workers each
   share that database: trainerpath; trainerpath rendering each page's templates from
   the context one real request rendered them with (an API view: serialising the
   payload it returned); and a bare Flask app returning the same bytes. Each route is
   loaded on the three in turn with the same wrk settings (``--connections``,
   ``--threads``, ``--seconds`` after ``--warmup-seconds``; the Python client of
   bench/clients.py when wrk is missing), logged in by the cookie or token of a real
   login. The table gives requests per second, p50 and p99 latency on each, the ratios
   page/template and page/bare, and the statements per request of part 1. Then the
   resident memory of each worker before and after ``--memory-requests`` requests to
   the candidate dashboard.
3. With ``--big-database-url`` (bench/scaling.py): scripts/bigdata.py fills that
   PostgreSQL database with ``--big-candidates`` and ``--big-sessions`` in bulk SQL,
   and <name>_small with 100 candidates in the same proportion; each page is loaded on
   both with ``--big-connections`` connections, side by side.

Passwords are hashed with pbkdf2:sha256 at 1,000 iterations, as the test suite does,
so loading takes seconds; the production hash would add ~0.2 s per user and per login.

    .venv/bin/python scripts/benchmark.py                 # all of 1 and 2, SQLite
    .venv/bin/python scripts/benchmark.py --quick         # CI: small, short, headline routes
    .venv/bin/python scripts/benchmark.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tp_bench
    .venv/bin/python scripts/benchmark.py --big-only \\
        --big-database-url postgresql+psycopg://postgres@127.0.0.1:5432/tp_big

On PostgreSQL the named databases are created and dropped at the end; if one already
exists the script refuses, unless ``--wipe-existing`` allows it to empty that
database's public schema before and after the run. The gunicorn servers listen on free
loopback ports and are stopped at the end, on an error, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bench.clients import INSTALL_WRK, Client, Load, wrk_path
from bench.dataset import HEAVY_2024, HEAVY_ITEMS, MAIN_MENTEES, SMALL_MENTEES, load, volume
from bench.inprocess import (
    StatementCounter,
    dialect_line,
    measure,
    probes,
    report,
    statements_per_request,
)
from bench.routes import Route, routes
from bench.scaling import compare_sizes
from bench.servers import Servers
from bench.sidebyside import cpu_table, measure_routes, memory_check, serve, table
from bench.throwaway import cheap_password_hashing, throwaway_database
from trainerpath import create_app, migrate

# --quick (CI): small data, short runs, the headline routes only.
QUICK = {
    "candidates": 10,
    "requests": 5,
    "warmups": 1,
    "seconds": 2,
    "warmup_seconds": 1,
    "memory_requests": 300,
    "rounds": 1,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=100, help="bench candidates (100)")
    parser.add_argument(
        "--heavy-items",
        type=int,
        default=HEAVY_ITEMS,
        help=f"the heavy candidates' items ({HEAVY_ITEMS})",
    )
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
    served = parser.add_argument_group("under gunicorn (the side-by-side table)")
    served.add_argument(
        "--client",
        choices=("auto", "wrk", "python", "none"),
        default="auto",
        help="load tool: wrk, the Python client, none (skip); auto: wrk if installed",
    )
    served.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    served.add_argument("--connections", type=int, default=8, help="open connections (8)")
    served.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    served.add_argument("--seconds", type=int, default=5, help="seconds per measurement (5)")
    served.add_argument(
        "--warmup-seconds", type=int, default=2, help="seconds of untimed load first (2)"
    )
    served.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times each route is loaded on the three servers in turn; the table gives "
        "the medians (3)",
    )
    served.add_argument(
        "--memory-requests",
        type=int,
        default=10_000,
        help="requests to the heaviest page between the two memory readings (10000)",
    )
    sizes = parser.add_argument_group(
        "a large database beside a small one (PostgreSQL, filled by scripts/bigdata.py)"
    )
    sizes.add_argument(
        "--big-database-url",
        help="postgresql+psycopg://.../<new database>: filled with --big-candidates and "
        "--big-sessions; <name>_small gets 100 candidates; both are created and dropped",
    )
    sizes.add_argument("--big-candidates", type=int, default=10_000, help="(10000)")
    sizes.add_argument(
        "--big-sessions", type=int, default=1_000_000, help="teaching sessions (1000000)"
    )
    sizes.add_argument(
        "--big-connections", type=int, default=32, help="open connections on both (32)"
    )
    sizes.add_argument(
        "--big-only", action="store_true", help="measure only the two databases' pages"
    )
    served.add_argument(
        "--quick",
        action="store_true",
        help="for CI: "
        + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items())
        + ", the headline routes only",
    )
    if "--quick" in (sys.argv[1:] if argv is None else argv):
        parser.set_defaults(**QUICK)
    args = parser.parse_args(argv)
    fewest = HEAVY_2024 + 2  # the cast, and one candidate ready to submit
    if args.candidates < fewest or args.requests < 1 or args.warmups < 0:
        parser.error(f"need --candidates >= {fewest}, --requests >= 1, --warmups >= 0")
    if min(args.workers, args.connections, args.threads, args.seconds, args.rounds) < 1:
        parser.error("need --workers, --connections, --threads, --seconds and --rounds >= 1")
    if args.big_only and not args.big_database_url:
        parser.error("--big-only needs --big-database-url")
    return args


def load_client(args: argparse.Namespace, connections: int) -> Client | None:
    """The load tool the options ask for, or None to skip the served measurements."""
    tool = args.client
    if tool in ("auto", "wrk") and wrk_path() is None:
        if tool == "wrk":
            sys.exit(f"benchmark: wrk is not installed: {INSTALL_WRK}")
        print(
            f"wrk is not installed ({INSTALL_WRK}); using the Python client instead: on "
            "cheap routes it measures itself more than the server, so the bare and "
            "template figures are lower than wrk's and the ratios higher"
        )
        tool = "python"
    if tool == "none":
        print("--client none: skipping the measurements under gunicorn")
        return None
    return Client("wrk" if tool == "auto" else tool, Load(connections, args.threads, args.seconds))


def warmup_client(args: argparse.Namespace, client: Client) -> Client | None:
    """The same client for ``--warmup-seconds``, or None for no warm-up."""
    if args.warmup_seconds < 1:
        return None
    return Client(client.tool, replace(client.load, seconds=args.warmup_seconds))


def served_measurements(
    args: argparse.Namespace, url: str, chosen: list[Route], statements: dict[str, str]
) -> None:
    """Serve the app and its two replicas with gunicorn, load each route, print the table."""
    client = load_client(args, args.connections)
    if client is None:
        return
    warmup = warmup_client(args, client)
    print()
    print(
        f"under gunicorn -w {args.workers} on loopback, {client.describe()} for each server, "
        f"after {args.warmup_seconds} s of the same load, {args.rounds} round(s) of the three "
        "in turn (medians; low-high: each ratio's range over the rounds); page = trainerpath, "
        "(a) template = "
        "its templates rendered from the recorded context of one real request (API: the "
        "recorded payload serialised), (b) bare = a bare Flask app returning the same bytes"
    )
    with (
        tempfile.TemporaryDirectory(prefix="trainerpath-bench-served-") as folder,
        Servers(Path(folder)) as servers,
    ):
        served = serve(servers, url, chosen, args.workers, Path(folder))
        rows = measure_routes(served, client, warmup, statements, args.rounds)
        print()
        print("\n".join(table(rows)))
        print()
        print(
            "the workers' CPU time (user + system) per request over the same runs; "
            "template/page and bare/page: the ratios of a machine that does nothing but serve"
        )
        print("\n".join(cpu_table(rows)))
        heaviest = served.routes[0]  # the candidate dashboard
        memory = memory_check(
            served.page, heaviest.path, served.headers[0], client, args.memory_requests
        )
        print()
        print("\n".join(memory))


def sizes_measurements(args: argparse.Namespace) -> None:
    """Generate a large and a small PostgreSQL database and print each page's latency on both."""
    try:
        from bigdata import generate
    except ImportError as missing:
        sys.exit(f"benchmark: --big-database-url needs scripts/bigdata.py ({missing})")
    client = load_client(args, args.big_connections)
    if client is None:
        return
    print()
    print(
        f"a large database beside a small one: gunicorn -w {args.workers}, {client.describe()} "
        f"on each page after {args.warmup_seconds} s of the same load, {args.rounds} round(s) "
        "of the two databases in turn (medians; p50 x: the median of the rounds' ratios, "
        "low-high their range); first = the first request alone, KiB = the size of its answer"
    )
    lines = compare_sizes(
        generate,
        args.big_database_url,
        args.big_candidates,
        args.big_sessions,
        seed=args.seed,
        wipe_existing=args.wipe_existing,
        client=client,
        warmup=warmup_client(args, client),
        workers=args.workers,
        rounds=args.rounds,
    )
    print()
    print("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    """Build the data, time the routes, print the figures."""
    args = parse_args(argv)
    if not args.big_only:
        in_process_and_served(args)
    if args.big_database_url:
        sizes_measurements(args)
    return 0


def in_process_and_served(args: argparse.Namespace) -> None:
    """Load the bench data, print the in-process table, then the side-by-side one."""
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
            cast = load(engine, args.candidates, ready_wanted, args.seed, args.heavy_items)
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
            chosen = [r for r in routes(cast) if r.headline or not args.quick]
            statements = {f.label: statements_per_request(f) for f in measured}
            served_measurements(args, url, chosen, statements)
        finally:
            engine.dispose()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers and databases are gone by now
        sys.exit("benchmark: interrupted")
