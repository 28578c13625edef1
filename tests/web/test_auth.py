"""Sign up, log in and out, remember-me, the login rate limit, and ending sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PASSWORD, WindowClock
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath import clock, create_app
from trainerpath.models import Role, User
from trainerpath.web.auth import WRONG_CREDENTIALS

from .conftest import Cast, fetch_all, fetch_one, log_in, page, text

SIGNUP = {
    "name": "Nina New",
    "email": "Nina@Example.org",
    "password": "a long password",
    "confirm": "a long password",
}


def test_login_page_is_friendly(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    html = page(response)
    assert "Welcome back" in html.text
    assert html.find("label", for_="email") and html.find("input", id="email", type="email")
    assert html.find("input", id="remember", type="checkbox")
    assert "Create a candidate account" in html.text


def test_sign_up_creates_a_candidate_and_logs_them_in(client: FlaskClient, engine: Engine) -> None:
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 303
    assert response.headers["Location"] == "/candidate"
    user = fetch_one(engine, select(User).where(User.email == "nina@example.org"))
    assert (user.name, user.role) == ("Nina New", Role.CANDIDATE.value)
    dashboard = client.get("/candidate")
    assert "Hello, Nina New" in text(dashboard)
    assert "Welcome to trainerpath, Nina New!" in text(dashboard)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"email": "not-an-address"}, "email", "Must be a valid e-mail address."),
        ({"password": "short", "confirm": "short"}, "password", "Must be at least 8 characters."),
        ({"confirm": "something else"}, "confirm", "Does not match the password."),
    ],
)
def test_sign_up_shows_each_problem_next_to_its_field(
    client: FlaskClient, engine: Engine, changes: dict[str, str], field: str, message: str
) -> None:
    response = client.post("/signup", data=SIGNUP | changes)
    assert response.status_code == 422
    error = page(response).by_id(f"field-{field}").find("small", class_="field-error")
    assert error is not None and message in error.text
    assert page(response).find("input", id=field, aria_invalid="true") is not None
    assert fetch_all(engine, select(User)) == []


def test_sign_up_with_a_taken_email_suggests_logging_in(client: FlaskClient, cast: Cast) -> None:
    response = client.post("/signup", data=SIGNUP | {"email": "CARA@example.org"})
    assert response.status_code == 409
    assert "Already has an account: log in instead." in text(response)


def test_sign_up_reports_every_problem_at_once_a_taken_email_included(
    client: FlaskClient, cast: Cast
) -> None:
    bad = {"email": "cara@example.org", "password": "short", "confirm": "other", "name": ""}
    html = page(client.post("/signup", data=SIGNUP | bad))
    errors = {
        name: html.by_id(f"field-{name}").find("small", class_="field-error").text
        for name in ("name", "email", "password", "confirm")
    }
    assert errors == {
        "name": "✗ This field is required.",
        "email": "✗ Already has an account: log in instead.",
        "password": "✗ Must be at least 8 characters.",
        "confirm": "✗ Does not match the password.",
    }


def test_new_accounts_are_never_mentors_or_admins(client: FlaskClient, engine: Engine) -> None:
    client.post("/signup", data=SIGNUP | {"role": "admin"})
    user = fetch_one(engine, select(User))
    assert user.role == Role.CANDIDATE.value


@pytest.mark.parametrize("role", ["candidate", "mentor", "admin"])
def test_each_role_lands_on_its_own_start_page(client: FlaskClient, cast: Cast, role: str) -> None:
    user = {"candidate": cast.candidate, "mentor": cast.mentor, "admin": cast.admin}[role]
    response = log_in(client, user)
    start = {"candidate": "/candidate", "mentor": "/mentor/", "admin": "/admin/users"}[role]
    assert response.headers["Location"] == start
    assert f"Welcome back, {user.name}." in text(client.get(start))


def test_login_goes_back_to_the_page_that_asked_for_it(client: FlaskClient, cast: Cast) -> None:
    refused = client.get("/evidence/credentials")
    assert refused.status_code == 302
    login_page = client.get(refused.headers["Location"])
    assert page(login_page).find("input", name="next", value="/evidence/credentials")
    response = client.post(
        "/login",
        data={"email": cast.candidate.email, "password": PASSWORD, "next": "/evidence/credentials"},
    )
    assert response.headers["Location"] == "/evidence/credentials"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/candidate\r\nSet-Cookie: x=y",  # cannot be a Location header: not a 500 either
    ],
)
def test_login_never_redirects_to_another_site(
    client: FlaskClient, cast: Cast, target: str
) -> None:
    response = client.post(
        "/login", data={"email": cast.candidate.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/candidate"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("cara@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_a_failed_login_says_the_same_thing_whether_or_not_the_email_exists(
    client: FlaskClient, cast: Cast, email: str, password: str
) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 200
    assert page(response).find(class_="form-errors").text == "! " + WRONG_CREDENTIALS
    assert client.get("/candidate").status_code == 302


def test_an_empty_login_form_says_which_fields_are_required(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": " ", "password": ""})
    assert response.status_code == 422
    html = page(response)
    assert html.find(class_="form-errors") is None  # not "do not match"
    for name in ("email", "password"):
        assert html.by_id(f"{name}-error").text == "✗ This field is required."
        assert html.by_id(name).get("aria-invalid") == "true"


def test_the_login_page_puts_the_cursor_in_the_email_field(client: FlaskClient) -> None:
    assert "autofocus" in page(client.get("/login")).by_id("email").attrs


def test_a_login_refused_for_its_password_opens_at_the_password_only(
    client: FlaskClient,
) -> None:
    """The e-mail field's own autofocus gives way: two in a page is invalid HTML, and
    the browser would take the first, the field that was filled in."""
    html = page(client.post("/login", data={"email": "cara@example.org", "password": ""}))
    assert [box.get("id") for box in html.find_all(autofocus=True)] == ["password"]


def test_a_deactivated_user_cannot_log_in(
    client: FlaskClient, cast: Cast, session: Session
) -> None:
    cast.candidate.is_active = False
    session.commit()
    response = client.post("/login", data={"email": cast.candidate.email, "password": PASSWORD})
    assert WRONG_CREDENTIALS in text(response)


def test_repeated_failures_are_slowed_down_even_with_the_right_password(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        client.post("/login", data={"email": cast.candidate.email, "password": "guess"})
    response = client.post("/login", data={"email": cast.candidate.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed attempts. Please wait 15 minutes" in text(response)
    assert client.get("/candidate").status_code == 302


def test_the_rate_limit_lifts_after_the_window(
    app_config: dict[str, Any], database_url: str, cast: Cast, window_clock: WindowClock
) -> None:
    app_config["LOGIN_FAILURE_WINDOW"] = 60
    client = create_app(app_config).test_client()
    for _ in range(app_config.get("LOGIN_MAX_FAILURES", 5)):
        client.post("/login", data={"email": cast.candidate.email, "password": "guess"})
    assert client.post("/login", data={"email": cast.candidate.email}).status_code == 429
    window_clock.advance(61)
    assert log_in(client, cast.candidate).status_code == 303


def test_the_rate_limit_is_per_account_so_others_can_still_log_in(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"email": cast.candidate.email, "password": "guess"})
    assert log_in(client, cast.mentor).status_code == 303


def test_remember_me_keeps_the_user_logged_in_without_the_session(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate, remember=True)
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    assert client.get("/candidate").status_code == 200


def test_a_remembered_sign_in_ends_after_30_days_on_the_server_too(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate, remember=True)
    kept = {"remember_token": _cookies(client)["remember_token"]}  # copied off the device
    later = datetime.now(UTC) + timedelta(days=29)
    with clock.stopped_at(later):
        assert _replay(app, kept).get("/candidate").status_code == 200
    # The cookie held only the user and their session version: it worked for ever.
    with clock.stopped_at(later + timedelta(days=2)):
        assert _replay(app, kept).get("/candidate").status_code == 302


def test_without_remember_me_no_lasting_cookie_is_set(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.candidate)
    assert client.get_cookie("remember_token") is None


def test_logout_needs_a_post_and_ends_the_session(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.candidate)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert "You are logged out." in text(client.get("/login"))
    assert client.get("/candidate").status_code == 302


def _cookies(client: FlaskClient) -> dict[str, str]:
    return {
        name: cookie.value
        for name in ("session", "remember_token")
        if (cookie := client.get_cookie(name)) is not None
    }


def _replay(app: Flask, cookies: dict[str, str]) -> FlaskClient:
    """A fresh browser that presents copies of old cookies."""
    replay = app.test_client()
    for name, value in cookies.items():
        replay.set_cookie(name, value)
    return replay


def test_an_old_cookie_replayed_after_logout_is_anonymous(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate, remember=True)
    stolen = _cookies(client)
    assert _replay(app, stolen).get("/candidate").status_code == 200
    client.post("/logout")
    assert _replay(app, stolen).get("/candidate").status_code == 302
    assert (
        _replay(app, {"remember_token": stolen["remember_token"]}).get("/candidate").status_code
        == 302
    )


def test_logging_out_ends_the_users_sessions_on_other_devices_too(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, cast.candidate)
    log_in(phone, cast.candidate, remember=True)
    laptop.post("/logout")
    assert phone.get("/candidate").status_code == 302


def test_password_page_changes_the_password(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.candidate)
    form_page = text(client.get("/account/password"))
    assert "Change your password" in form_page
    assert form_page.count("logged out") == 1  # said once, above the form
    assert "your API tokens stop working" in form_page
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand new pass",
            "confirm": "brand new pass",
        },
    )
    assert response.status_code == 303
    assert "Your password is changed." in text(client.get("/candidate"))
    client.post("/logout")
    assert (
        client.post(
            "/login", data={"email": cast.candidate.email, "password": PASSWORD}
        ).status_code
        == 200
    )
    assert log_in(client, cast.candidate, password="brand new pass").status_code == 303


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "wrong"}, "current_password", "Is not your current password."),
        ({"new_password": "short", "confirm": "short"}, "new_password", "Must be at least 8"),
        ({"confirm": "different"}, "confirm", "Does not match the new password."),
    ],
)
def test_password_change_problems_are_shown_next_to_the_field(
    client: FlaskClient, cast: Cast, data: dict[str, str], field: str, message: str
) -> None:
    log_in(client, cast.candidate)
    form = {
        "current_password": PASSWORD,
        "new_password": "brand new pass",
        "confirm": "brand new pass",
    }
    response = client.post("/account/password", data=form | data)
    assert response.status_code == 422
    assert message in page(response).by_id(f"field-{field}").text
    client.post("/logout")
    assert log_in(client, cast.candidate).status_code == 303  # the password is unchanged


def test_a_password_change_reports_every_problem_at_once(client: FlaskClient, cast: Cast) -> None:
    """A wrong current password is said beside the new ones' problems, not only once
    they are fixed."""
    log_in(client, cast.candidate)
    response = client.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "short", "confirm": "shorter"},
    )
    assert response.status_code == 422
    html = page(response)
    assert "Is not your current password." in html.by_id("field-current_password").text
    assert "Must be at least 8" in html.by_id("field-new_password").text
    assert "Does not match the new password." in html.by_id("field-confirm").text
    client.post("/logout")
    assert log_in(client, cast.candidate).status_code == 303  # the password is unchanged


def test_a_password_change_ends_other_sessions_but_keeps_this_one(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    other = app.test_client()
    log_in(other, cast.candidate, remember=True)
    old = _cookies(other)
    log_in(client, cast.candidate, remember=True)
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand new pass",
            "confirm": "brand new pass",
        },
    )
    assert client.get("/candidate").status_code == 200
    client.delete_cookie("session")
    assert client.get("/candidate").status_code == 200  # the re-issued remember cookie works
    assert other.get("/candidate").status_code == 302
    assert _replay(app, old).get("/candidate").status_code == 302


def test_deactivation_by_an_admin_ends_the_users_sessions_at_once(
    app: Flask, client: FlaskClient, cast: Cast
) -> None:
    victim = app.test_client()
    log_in(victim, cast.candidate, remember=True)
    old = _cookies(victim)
    log_in(client, cast.admin)
    client.post(f"/admin/users/{cast.candidate.id}/active", data={"active": "0"})
    assert victim.get("/candidate").status_code == 302
    assert _replay(app, old).get("/candidate").status_code == 302


@pytest.mark.parametrize(
    "cookie_id", ["1", "x:y", "1:999", ":", "999:1", "1:1", "1:1:x", "1:1:1", "1:1:1:1"]
)
def test_a_forged_or_stale_user_id_is_anonymous(app: Flask, cast: Cast, cookie_id: str) -> None:
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = cookie_id
        flask_session["_fresh"] = True
    assert client.get("/candidate").status_code == 302


def test_logged_in_users_skip_the_login_and_sign_up_pages(
    client: FlaskClient, cast: Cast, login: Callable[..., object]
) -> None:
    login(cast.mentor)
    assert client.get("/login").headers["Location"] == "/mentor/"
    assert client.get("/signup").headers["Location"] == "/mentor/"
