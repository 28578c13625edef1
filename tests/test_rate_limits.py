"""Password guessing is limited at every credential check, counted in a shared Redis.

Web login, API tokens, the password change and signup share one count per account and
address, per account, and per address; the address count slows a shared address down
instead of locking out everyone behind it. Two apps on one Redis count together, as
two servers would (tests/test_multi_server.py runs real servers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD, WindowClock
from flask import Flask
from flask.testing import FlaskClient
from shared_redis import redis_url
from sqlalchemy import text
from werkzeug.test import TestResponse

from trainerpath import create_app, ratelimit
from trainerpath.api import auth as api_auth
from trainerpath.models import User

HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


@pytest.fixture(autouse=True)
def shared_store(app_config: dict[str, Any]) -> str:
    """Every app of these tests counts in the test Redis, emptied first."""
    url = redis_url()
    app_config["RATELIMIT_STORAGE_URL"] = url
    return url


@pytest.fixture
def cara(make_user: Callable[..., User]) -> User:
    """A candidate who knows her password."""
    return make_user(name="Cara Candidate", email="cara@example.org")


def web_login(
    client: FlaskClient, email: str, password: str = "guess", address: str = HOME
) -> TestResponse:
    """Post the login form from ``address``."""
    data = {"email": email, "password": password}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def api_token(
    client: FlaskClient, email: str, password: str = "guess", address: str = HOME
) -> TestResponse:
    """Ask the API for a token from ``address``."""
    body = {"email": email, "password": password}
    return client.post("/api/v1/tokens", json=body, environ_base={"REMOTE_ADDR": address})


def fail(times: int, attempt: Callable[..., TestResponse], *args: Any, **kwargs: Any) -> None:
    """Make ``times`` failed attempts, none of them refused for waiting."""
    for _ in range(times):
        assert attempt(*args, **kwargs).status_code in (200, 401)


def fail_across_accounts(client: FlaskClient, times: int, prefix: str = "someone") -> None:
    """Fail to log in to ``times`` different accounts from one address."""
    for n in range(times):
        assert web_login(client, f"{prefix}{n}@example.org").status_code == 200


def test_the_api_refuses_guessing_even_the_right_password_with_429(
    app: Flask, client: FlaskClient, cara: User
) -> None:
    fail(app.config["LOGIN_MAX_FAILURES"], api_token, client, cara.email)
    response = api_token(client, cara.email, PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_FAILURE_WINDOW"]
    error = response.get_json()["error"]
    assert error["code"] == "too_many_requests"
    assert "Too many failed attempts" in error["message"]
    assert "token" not in response.get_json()


def test_an_account_locked_on_the_login_page_is_locked_on_the_api_too(
    app: Flask, client: FlaskClient, cara: User
) -> None:
    fail(app.config["LOGIN_MAX_FAILURES"], web_login, client, cara.email)
    assert api_token(client, cara.email, PASSWORD).status_code == 429


def test_api_failures_lock_the_login_page_with_a_clear_message(
    app: Flask, client: FlaskClient, cara: User
) -> None:
    fail(app.config["LOGIN_MAX_FAILURES"], api_token, client, cara.email.upper())
    response = web_login(client, cara.email, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed attempts. Please wait 15 minutes" in response.get_data(as_text=True)


def test_two_apps_on_one_redis_count_failures_together(
    app_config: dict[str, Any], app: Flask, client: FlaskClient, cara: User
) -> None:
    other_server = create_app(dict(app_config)).test_client()
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(limit - 1, web_login, client, cara.email)
    fail(1, web_login, other_server, cara.email)
    assert web_login(client, cara.email, PASSWORD).status_code == 429
    assert web_login(other_server, cara.email, PASSWORD).status_code == 429


def test_one_address_failing_across_many_accounts_does_not_lock_out_the_others(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    colleague = make_user(email="colleague@example.org")
    fail_across_accounts(client, 45)  # an office's typos, or a guesser behind its NAT
    assert web_login(client, colleague.email, PASSWORD).status_code == 303


def test_past_the_address_limit_an_address_is_slowed_not_blocked(
    app_config: dict[str, Any], make_user: Callable[..., User], window_clock: WindowClock
) -> None:
    app_config.update(LOGIN_ADDRESS_MAX_FAILURES=6, LOGIN_ADDRESS_SLOWDOWN=60)
    client = create_app(app_config).test_client()
    colleague = make_user(email="colleague@example.org")
    fail_across_accounts(client, 6)
    assert web_login(client, "someone-else@example.org").status_code == 200
    slowed = web_login(client, colleague.email, PASSWORD)
    assert slowed.status_code == 429
    assert slowed.headers["Retry-After"] == "60"
    assert web_login(client, colleague.email, PASSWORD, address=ELSEWHERE).status_code == 303
    window_clock.advance(61)
    assert web_login(client, colleague.email, PASSWORD).status_code == 303


def test_a_successful_login_does_not_reset_the_address_count(
    app_config: dict[str, Any], make_user: Callable[..., User]
) -> None:
    app_config.update(LOGIN_ADDRESS_MAX_FAILURES=6, LOGIN_ADDRESS_SLOWDOWN=60)
    client = create_app(app_config).test_client()
    guesser = make_user(email="guesser@example.org")
    fail_across_accounts(client, 5)
    assert web_login(client, guesser.email, PASSWORD).status_code == 303
    client.post("/logout", environ_base={"REMOTE_ADDR": HOME})
    assert web_login(client, "someone-new@example.org").status_code == 200  # the 6th
    assert web_login(client, "and-another@example.org").status_code == 200  # let through
    assert web_login(client, guesser.email, PASSWORD).status_code == 429  # slowed


def test_a_successful_login_forgets_that_addresses_typos_on_the_account(
    app: Flask, client: FlaskClient, cara: User
) -> None:
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(limit - 1, web_login, client, cara.email)
    assert api_token(client, cara.email, PASSWORD).status_code == 201
    fail(limit - 1, web_login, client, cara.email)
    assert api_token(client, cara.email, PASSWORD).status_code == 201


def test_guessing_one_account_from_many_addresses_locks_that_account_only(
    app_config: dict[str, Any], cara: User, make_user: Callable[..., User]
) -> None:
    app_config["LOGIN_ACCOUNT_MAX_FAILURES"] = 6
    client = create_app(app_config).test_client()
    other = make_user(email="other@example.org")
    for address in ("10.1.0.1", "10.1.0.2", "10.1.0.3"):
        fail(2, api_token, client, cara.email, address=address)
    assert api_token(client, cara.email, PASSWORD, address="10.1.0.4").status_code == 429
    assert web_login(client, cara.email, PASSWORD, address="10.1.0.5").status_code == 429
    assert api_token(client, other.email, PASSWORD, address="10.1.0.1").status_code == 201


def test_the_limit_lifts_as_failures_leave_the_moving_window(
    app_config: dict[str, Any], cara: User, window_clock: WindowClock
) -> None:
    app_config["LOGIN_FAILURE_WINDOW"] = 60
    client = create_app(app_config).test_client()
    web_login(client, cara.email)
    window_clock.advance(30)
    fail(4, web_login, client, cara.email)
    assert web_login(client, cara.email, PASSWORD).status_code == 429
    window_clock.advance(31)  # the first failure has left the window
    assert web_login(client, cara.email, PASSWORD).status_code == 303


def test_guessing_the_current_password_on_the_change_form_is_limited(
    app: Flask, client: FlaskClient, cara: User
) -> None:
    assert web_login(client, cara.email, PASSWORD).status_code == 303
    form = {"current_password": "guess", "new_password": "a new long password"}
    form["confirm"] = form["new_password"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/account/password", data=form, environ_base={"REMOTE_ADDR": HOME})
        assert response.status_code == 422
    form["current_password"] = PASSWORD
    response = client.post("/account/password", data=form, environ_base={"REMOTE_ADDR": HOME})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_probing_signup_for_taken_addresses_counts_against_the_address(
    app_config: dict[str, Any], cara: User
) -> None:
    app_config.update(LOGIN_ADDRESS_MAX_FAILURES=3, LOGIN_ADDRESS_SLOWDOWN=60)
    client = create_app(app_config).test_client()
    form = {"email": cara.email, "name": "Probe", "password": PASSWORD, "confirm": PASSWORD}
    for _ in range(4):  # three probes, then one let through by the slowdown
        response = client.post("/signup", data=form, environ_base={"REMOTE_ADDR": HOME})
        assert response.status_code == 409
    response = client.post("/signup", data=form, environ_base={"REMOTE_ADDR": HOME})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_an_address_makes_only_so_many_new_accounts_an_hour(
    app_config: dict[str, Any], engine: Any
) -> None:
    app_config.update(SIGNUP_MAX_PER_ADDRESS=2)
    client = create_app(app_config).test_client()

    def sign_up(n: int, address: str = HOME) -> TestResponse:
        form = {"email": f"bot{n}@x.test", "name": f"Bot {n}"} | {
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        return client.post("/signup", data=form, environ_base={"REMOTE_ADDR": address})

    assert [sign_up(n).status_code for n in (1, 2)] == [303, 303]
    client.post("/logout")
    refused = sign_up(3)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many new accounts from this address." in refused.get_data(as_text=True)
    assert sign_up(4, ELSEWHERE).status_code == 303  # another address may
    # An IPv6 host is given a whole /64: its addresses count as one.
    assert sign_up(5, "2001:db8:1:2::1").status_code == 303
    assert sign_up(6, "2001:db8:1:2::6").status_code == 303
    assert sign_up(7, "2001:db8:1:2::7").status_code == 429
    with engine.connect() as connection:
        made = connection.execute(text("SELECT email FROM users ORDER BY id")).scalars().all()
    assert made == ["bot1@x.test", "bot2@x.test", "bot4@x.test", "bot5@x.test", "bot6@x.test"]


def test_signups_sent_at_once_make_no_more_accounts_than_the_limit(
    app_config: dict[str, Any], engine: Any
) -> None:
    app_config.update(SIGNUP_MAX_PER_ADDRESS=2)
    app = create_app(app_config)
    answers: list[int] = []

    def sign_up(n: int) -> None:
        form = {"email": f"bot{n}@x.test", "name": f"Bot {n}"} | {
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        answer = app.test_client().post("/signup", data=form, environ_base={"REMOTE_ADDR": HOME})
        answers.append(answer.status_code)

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Checked first and counted after the commit, all 8 passed the check.
    assert sorted(answers) == [303, 303] + [429] * 6
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 2


def test_behind_proxies_each_client_address_is_counted_and_cannot_be_forged(
    app_config: dict[str, Any], cara: User, make_user: Callable[..., User]
) -> None:
    app_config.update(PROXY_COUNT=1, LOGIN_MAX_FAILURES=2)
    client = create_app(app_config).test_client()

    def via_proxy(client_address: str, password: str = "guess") -> TestResponse:
        body = {"email": cara.email, "password": password}
        # The client forges a first hop; the proxy appends the address it really saw.
        forwarded = {"X-Forwarded-For": f"1.2.3.4, {client_address}"}
        return client.post("/api/v1/tokens", json=body, headers=forwarded)

    fail(2, via_proxy, "203.0.113.7")
    assert via_proxy("203.0.113.7", PASSWORD).status_code == 429
    assert via_proxy("198.51.100.9", PASSWORD).status_code == 201


def test_the_embedded_default_counts_in_memory() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert app.config["RATELIMIT_STORAGE_URL"] == "memory://"
    assert app.config["PROXY_COUNT"] == 0


@pytest.mark.parametrize("value", [0, -1, 0.5, "5"])
def test_a_limit_that_is_not_a_positive_whole_number_stops_the_app_with_one_line(
    app_config: dict[str, Any], capsys: pytest.CaptureFixture[str], value: Any
) -> None:
    app_config["LOGIN_MAX_FAILURES"] = value
    with pytest.raises(SystemExit):
        create_app(app_config)
    assert "TRAINERPATH_LOGIN_MAX_FAILURES must be a whole number" in capsys.readouterr().err


def test_simultaneous_guesses_get_no_more_through_than_guesses_in_turn(
    app: Flask, cara: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    compare = api_auth.check_password

    def slow_compare(*args: Any) -> Any:
        time.sleep(0.5)  # every guess is let through or refused before any has failed
        return compare(*args)

    monkeypatch.setattr(api_auth, "check_password", slow_compare)
    answers: list[int] = []

    def guess() -> None:
        answers.append(api_token(app.test_client(), cara.email).status_code)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Each was checked against the failures counted so far (none), and all 12 were
    # compared; now each account is checked one request at a time.
    compared = answers.count(401)
    assert 1 <= compared <= 5 and answers.count(429) == 12 - compared
    fail(5 - compared, api_token, app.test_client(), cara.email)
    assert api_token(app.test_client(), cara.email, PASSWORD).status_code == 429


def test_a_guess_refused_while_another_is_checked_says_so(app: Flask, cara: User) -> None:
    with app.test_request_context(environ_base={"REMOTE_ADDR": HOME}):
        checks = app.extensions[ratelimit.EXTENSION]
        checks.check(HOME, cara.email)  # its turn, until this request ends
        with pytest.raises(ratelimit.ChecksGoingOn) as refused:
            checks.check(ELSEWHERE, cara.email)
        checks.check(HOME, "someone-else@example.org")  # another account's turn is its own
    # nothing has failed yet: it does not say "too many failed attempts"
    assert refused.value.sentence() == (
        "Another sign-in to this account is being checked right now. Please try again in a moment."
    )
    # the request ended, and its turn with it: the account may be tried again
    assert api_token(app.test_client(), cara.email, PASSWORD).status_code == 201


def test_a_reset_request_refused_while_another_is_handled_says_so(app: Flask, cara: User) -> None:
    with app.test_request_context(environ_base={"REMOTE_ADDR": HOME}):
        resets = app.extensions[ratelimit.RESET_EXTENSION]
        resets.check(HOME, cara.email)
        with pytest.raises(ratelimit.ChecksGoingOn) as refused:
            resets.check(ELSEWHERE, cara.email)
        # a sign-in is checked apart from reset requests
        app.extensions[ratelimit.EXTENSION].check(ELSEWHERE, cara.email)
    assert refused.value.sentence() == (
        "Another reset link for this address is being sent right now. Please try again in a moment."
    )


def test_a_store_failing_as_a_check_ends_does_not_undo_the_answer(
    app: Flask, cara: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = app.extensions[ratelimit.EXTENSION]
    clear = checks.turns.clear

    def failing_at_the_end(item: Any, *ids: str) -> None:
        if item is checks.limits.turn:
            errors = checks.storage.base_exceptions
            raise (errors[0] if isinstance(errors, tuple) else errors)("the store went away")
        clear(item, *ids)

    monkeypatch.setattr(checks.turns, "clear", failing_at_the_end)
    # The token was issued and committed; a failing count must not turn that into a 500.
    assert api_token(app.test_client(), cara.email, PASSWORD).status_code == 201
