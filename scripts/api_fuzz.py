"""Property-based run of the JSON API: schemathesis against the served OpenAPI document.

Creates a throw-away SQLite database, migrates it, loads the demo data, creates one
user per role, serves the app with gunicorn on a free loopback port, and runs
``schemathesis run`` once per role with that role's bearer token. Offline: nothing
leaves 127.0.0.1. Exits non-zero if any check fails. With ``--counts PATH`` it writes
the test cases of all roles, by outcome, to PATH as JSON for scripts/ci_summary.py.

    .venv/bin/python scripts/api_fuzz.py [--max-examples N] [--seed N] [--counts PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "fuzzing-password-1"
ROLES = ("admin", "mentor", "candidate")
# positive_data_acceptance is left out: a body can match the schema and still be refused
# for rules a schema cannot say (a date in the future, an id of someone else's record,
# a role that may not act), and each such refusal is correct.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
    ]
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> str:
    """Run a ``flask`` command of the app and return what it printed."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "trainerpath", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def post_json(url: str, body: dict[str, str]) -> dict[str, str]:
    """POST a JSON body and return the decoded JSON answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, str] = json.load(response)
        return answer


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait for the server to answer ``url``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited before serving")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:  # refused, reset or timed out while starting
            time.sleep(0.2)
    sys.exit(f"the app did not answer {url} within {timeout:.0f} s")


def case_counts(report: Path, returncode: int) -> dict[str, int]:
    """Passed, failed and skipped test cases of one schemathesis run, from its JSON report."""
    cases: dict[str, int] = json.loads(report.read_text())["test_cases"] if report.exists() else {}
    failed = cases.get("with_failures", 0) + cases.get("errored", 0)
    skipped = cases.get("without_checks", 0)  # no check applied to the response
    return {
        "passed": cases.get("generated", 0) - failed - skipped,
        # A run that failed with no failing case (or no report) still counts as a failure.
        "failed": failed or int(returncode != 0),
        "skipped": skipped,
    }


def main() -> int:
    """Set up, serve, fuzz every role; return schemathesis's worst exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=10, help="cases per operation")
    parser.add_argument("--seed", type=int, default=20250305, help="hypothesis seed")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles")
    parser.add_argument(
        "--database-url", help="an EMPTY database to use instead of a throw-away SQLite file"
    )
    parser.add_argument("--counts", type=Path, help="write test cases by outcome here as JSON")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tp-api-fuzz-"))
    env = {
        **os.environ,
        "TRAINERPATH_DATABASE_URL": options.database_url or f"sqlite:///{workdir / 'fuzz.db'}",
        "TRAINERPATH_UPLOAD_DIR": str(workdir / "uploads"),  # not the checkout's instance/
        "TRAINERPATH_SECRET_KEY": os.urandom(24).hex(),
        "FLASK_DEBUG": "0",
        # Every fuzzed wrong password comes from one address: do not slow the next role's
        # own token request down (429 on /tokens is documented, so still checked).
        "TRAINERPATH_LOGIN_ADDRESS_MAX_FAILURES": "1000000",
    }
    server: subprocess.Popen[bytes] | None = None
    worst = 0
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    try:
        flask(env, "init-db")
        if (ROOT / "trainerpath" / "demo.py").exists():
            flask(env, "seed-demo")
        for role in ROLES:
            flask(
                env,
                "create-user",
                f"--email=fuzz-{role}@example.org",
                f"--name=Fuzz {role}",
                f"--role={role}",
                f"--password={PASSWORD}",
            )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (workdir / "gunicorn.log").open("wb")
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
                "trainerpath:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(f"{base}/api/v1/openapi.json", server)
        for role in options.roles.split(","):
            token = post_json(
                f"{base}/api/v1/tokens",
                {"email": f"fuzz-{role}@example.org", "password": PASSWORD},
            )["token"]
            print(f"== schemathesis as {role} ==", flush=True)
            report = workdir / f"report-{role}.json"
            result = subprocess.run(
                [
                    str(BIN / "schemathesis"),
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--url",
                    base,
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    str(options.max_examples),
                    "--seed",
                    str(options.seed),
                    # One worker thread: CPython 3.11 before 3.11.8 has a thread-unsafe
                    # recursion counter in ast.parse, which hypothesis calls to describe
                    # lambdas; with two threads that intermittently raised SystemError.
                    "--workers",
                    "1",
                    "--exclude-path",
                    "/api/v1/tokens/current",
                    "--report-json-path",
                    str(report),
                ],
                cwd=workdir,
                check=False,
            )
            worst = max(worst, result.returncode)
            for outcome, number in case_counts(report, result.returncode).items():
                counts[outcome] += number
        if worst:
            print((workdir / "gunicorn.log").read_text()[-5000:])
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
        if options.counts is not None:
            options.counts.parent.mkdir(parents=True, exist_ok=True)
            options.counts.write_text(json.dumps(counts) + "\n")
    return worst


if __name__ == "__main__":
    sys.exit(main())
