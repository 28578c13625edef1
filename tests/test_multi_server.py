"""Two app servers behind one (imaginary) proxy behave as one: the README's "several servers".

Two gunicorn servers, each with two workers, on two loopback ports share the test
database (PostgreSQL when TRAINERPATH_TEST_DATABASE_URL is set, else a SQLite file)
and one Redis. Failures on one count on the other, a session ended on one is ended on
the other, and a race between them is refused as it is on one server.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PASSWORD
from shared_redis import redis_url
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainerpath.models import Enrollment, TransitionRecord, User

pytestmark = pytest.mark.slow

START_SECONDS = 60
MAX_FAILURES = 5


@dataclass(frozen=True)
class Server:
    """One running app server."""

    url: str
    log: Path

    def __call__(self, path: str) -> str:
        """The server's address of ``path``."""
        return self.url + path


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(database_url: str, store_url: str, log: Path) -> tuple[subprocess.Popen[bytes], Server]:
    """Start gunicorn with two workers on a free port; return once it answers."""
    port = free_port()
    env = os.environ | {
        "TRAINERPATH_DATABASE_URL": database_url,
        "TRAINERPATH_RATELIMIT_STORAGE_URL": store_url,
        "TRAINERPATH_SECRET_KEY": "one-secret-for-every-server",
        "TRAINERPATH_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "trainerpath:create_app()"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped:\n{log.read_text()}", pytrace=False)
        try:
            if requests.get(server("/login"), timeout=5).status_code == 200:
                return process, server
        except requests.RequestException:  # not listening yet, or still booting
            time.sleep(0.2)
    process.terminate()
    pytest.fail(f"gunicorn did not answer in {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Servers A and B on one database and one Redis."""
    store = redis_url()
    logs = tmp_path_factory.mktemp("servers")
    started = [start(database_url, store, logs / f"{name}.log") for name in "ab"]
    yield started[0][1], started[1][1]
    for process, _server in started:
        process.terminate()
    for process, _server in started:
        process.wait(timeout=30)


@pytest.fixture(autouse=True)
def empty_store(servers: tuple[Server, Server], app: Any) -> None:
    """Each test starts with no failures counted (and, through ``app``, empty tables)."""
    redis_url()


@pytest.fixture
def cara(make_user: Callable[..., User]) -> User:
    """A candidate who knows her password."""
    return make_user(name="Cara Candidate", email="cara@example.org")


def csrf_token(browser: requests.Session, page: str) -> str:
    """The CSRF token of the page, as htmx and the forms send it."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(page).text)
    assert found, "no CSRF token on " + page
    return found.group(1)


def log_in(browser: requests.Session, server: Server, email: str, password: str) -> int:
    """Post the login form to ``server``; the status it answered."""
    form = {
        "email": email,
        "password": password,
        "csrf_token": csrf_token(browser, server("/login")),
    }
    return browser.post(server("/login"), data=form, allow_redirects=False).status_code


def signed_in(browser: requests.Session, server: Server) -> bool:
    """Whether ``server`` shows the browser's dashboard rather than sending it to log in."""
    return browser.get(server("/candidate"), allow_redirects=False).status_code == 200


def test_login_failures_on_one_server_count_on_the_other(
    servers: tuple[Server, Server], cara: User
) -> None:
    a, b = servers
    for server in (a, b, a, b, a):  # MAX_FAILURES, spread over both servers
        assert log_in(requests.Session(), server, cara.email, "guess") == 200
    assert log_in(requests.Session(), b, cara.email, PASSWORD) == 429
    assert log_in(requests.Session(), a, cara.email, PASSWORD) == 429


def test_token_guessing_on_one_server_is_refused_on_the_other(
    servers: tuple[Server, Server], cara: User
) -> None:
    a, b = servers
    wrong = {"email": cara.email, "password": "guess"}
    for server in (a, b, a, b, a):
        assert requests.post(server("/api/v1/tokens"), json=wrong, timeout=10).status_code == 401
    right = {"email": cara.email, "password": PASSWORD}
    refused = requests.post(b("/api/v1/tokens"), json=right, timeout=10)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "too_many_requests"


def test_logging_out_on_one_server_ends_the_session_on_the_other(
    servers: tuple[Server, Server], cara: User
) -> None:
    a, b = servers
    browser = requests.Session()
    assert log_in(browser, a, cara.email, PASSWORD) == 303
    assert signed_in(browser, b)  # the session cookie of A works on B
    old_cookies = browser.cookies.copy()
    token = csrf_token(browser, a("/candidate"))
    browser.post(a("/logout"), headers={"X-CSRFToken": token}, allow_redirects=False)
    replayed = requests.Session()
    replayed.cookies = old_cookies
    assert not signed_in(replayed, b)


def test_changing_the_password_on_one_server_ends_other_sessions_on_the_other(
    servers: tuple[Server, Server], cara: User
) -> None:
    a, b = servers
    laptop, phone = requests.Session(), requests.Session()
    assert log_in(laptop, a, cara.email, PASSWORD) == 303
    assert log_in(phone, a, cara.email, PASSWORD) == 303
    form = {
        "current_password": PASSWORD,
        "new_password": "a brand new password",
        "confirm": "a brand new password",
        "csrf_token": csrf_token(laptop, b("/account/password")),
    }
    assert laptop.post(b("/account/password"), data=form, allow_redirects=False).status_code == 303
    assert not signed_in(phone, a)
    assert not signed_in(phone, b)
    assert signed_in(laptop, a)


def race(urls: list[str], token: str, body: dict[str, str]) -> list[int]:
    """POST ``body`` to every url at the same moment; the statuses they answer."""
    barrier = threading.Barrier(len(urls))
    statuses: list[int] = []

    def post(url: str) -> None:
        barrier.wait()
        headers = {"Authorization": f"Bearer {token}"}
        statuses.append(requests.post(url, json=body, headers=headers, timeout=30).status_code)

    racers = [threading.Thread(target=post, args=(url,)) for url in urls]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    return statuses


def test_a_race_between_the_servers_is_refused_as_on_one(
    servers: tuple[Server, Server],
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    session: Session,
) -> None:
    a, b = servers
    token = requests.post(
        a("/api/v1/tokens"), json={"email": cara.email, "password": PASSWORD}, timeout=10
    ).json()["token"]
    enrollments = [make_enrollment(cara, pathway).id for pathway in ("cst", "pst")]
    for enrollment_id in enrollments:
        path = f"/api/v1/enrollments/{enrollment_id}/transitions"
        assert sorted(race([a(path), b(path)], token, {"event": "withdraw"})) == [200, 409]
    session.rollback()
    recorded = session.scalar(
        select(func.count())
        .select_from(TransitionRecord)
        .where(
            TransitionRecord.event == "withdraw"  # type: ignore[arg-type]
        )
    )
    assert recorded == len(enrollments)
