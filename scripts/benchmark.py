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
import sys
import time
from collections.abc import Sequence
from datetime import date

from bench.dataset import HEAVY_2024, MAIN_MENTEES, SMALL_MENTEES, load, volume
from bench.inprocess import StatementCounter, dialect_line, measure, probes, report
from bench.throwaway import cheap_password_hashing, throwaway_database
from sqlalchemy import Engine

from trainerpath import create_app, migrate


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
