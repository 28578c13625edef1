"""Ids past the column type, oversized bodies and passwords, and long error lists.

Every id the app reads from a URL, a query string or a form names no row when it is
outside 1..2^31-1 (PostgreSQL's INTEGER, kept on SQLite too): a 404, the form's own
error, or a search box's text that names no one, never an overflow in the database (a 500).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

from trainerpath import create_app
from trainerpath.api import registry
from trainerpath.bounds import MAX_LISTED_ERRORS, MAX_PASSWORD, IdConverter
from trainerpath.models import Role, User
from trainerpath.services import accounts, tokens, users

TOO_BIG = ["2147483648", "9223372036854775808", "99999999999999999999999"]
UNREADABLE = [
    "0",
    "-1",
    "\u00b2",
    "\u0661",
    "1e3",
]  # ² and an Arabic-Indic 1: digits to str.isdigit()

# Built once: the rules do not depend on the configuration.
_RULES = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}).url_map.iter_rules()
ID_RULES = [
    rule
    for rule in _RULES
    if any(isinstance(conv, (IdConverter, IntegerConverter)) for conv in rule._converters.values())
]
WEB_RULES = [rule for rule in ID_RULES if not rule.rule.startswith("/api/")]


def url_of(rule: Rule, value: str) -> str:
    """The rule's URL with every id set to ``value`` (and an evidence kind where one is asked)."""
    url = rule.rule
    for name, converter in rule._converters.items():
        is_id = isinstance(converter, (IdConverter, IntegerConverter))
        for placeholder in (f"<id:{name}>", f"<int:{name}>", f"<{name}>"):
            url = url.replace(placeholder, value if is_id else "teaching-sessions")
    return url


def methods_of(rule: Rule) -> list[str]:
    """The methods a rule answers, without the automatic HEAD and OPTIONS."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def log_in(client: FlaskClient, user: User) -> None:
    """Log in through the form."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)


def test_every_web_route_with_an_id_takes_only_ids_a_row_can_have() -> None:
    assert len(WEB_RULES) >= 10
    for rule in WEB_RULES:
        kinds = {type(conv) for conv in rule._converters.values()}
        assert IntegerConverter not in kinds, f"{rule.rule} takes any integer"


@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE[:2])
@pytest.mark.parametrize(
    ("rule", "method"),
    [(rule, method) for rule in WEB_RULES for method in methods_of(rule)],
    ids=lambda item: item.rule if isinstance(item, Rule) else item,
)
def test_a_web_route_with_an_id_past_the_column_is_404(
    app: Flask, make_user: Callable[..., User], rule: Rule, method: str, value: str
) -> None:
    """Whichever role the route is for, an id no row can have is not found."""
    people = {role: make_user(role=role.value) for role in Role}
    for user in people.values():
        client = app.test_client()
        log_in(client, user)
        response = client.open(url_of(rule, value), method=method, data={"note": "x"})
        assert response.status_code == 404, (user.role, response.status_code)


@pytest.mark.parametrize("value", TOO_BIG)
@pytest.mark.parametrize(
    "operation",
    [op for op in registry.operations if op.path_parameters],
    ids=lambda op: f"{op.method} {op.path}",
)
def test_an_api_route_with_an_id_past_the_column_is_404(
    client: FlaskClient, make_user: Callable[..., User], session: Any, operation: Any, value: str
) -> None:
    admin = make_user(role=Role.ADMIN.value)
    token = tokens.issue_token(session=session, user=admin).token
    session.commit()
    path = "/api/v1" + operation.path
    for name in operation.path_parameters:
        path = path.replace("{" + name + "}", value)
    response = client.open(
        path,
        method=operation.method,
        headers={"Authorization": f"Bearer {token}"},
        data="{}",
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_api_id_is_written_in_ascii_digits(
    client: FlaskClient, make_user: Callable[..., User], session: Any
) -> None:
    """Werkzeug's int converter took any script's digits: /candidates/٣ was candidate 3."""
    admin = make_user(role=Role.ADMIN.value)
    candidate = make_user()
    token = tokens.issue_token(session=session, user=admin).token
    session.commit()
    ascii_id = str(candidate.id)
    arabic_indic = ascii_id.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/candidates/{ascii_id}", headers=headers).status_code == 200
    response = client.get(f"/api/v1/candidates/{arabic_indic}", headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE)
def test_an_audit_candidate_past_the_column_is_searched_for_and_matches_no_one(
    client: FlaskClient, make_user: Callable[..., User], value: str
) -> None:
    log_in(client, make_user(role=Role.ADMIN.value))
    response = client.get("/admin/audit", query_string={"candidate": value})
    assert response.status_code == 200
    assert f"No candidate matches “{value}”" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["after", "before"])
@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE)
def test_an_audit_cursor_past_the_column_shows_the_newest_entries(
    client: FlaskClient, make_user: Callable[..., User], field: str, value: str
) -> None:
    log_in(client, make_user(role=Role.ADMIN.value))
    response = client.get("/admin/audit", query_string={field: f"1700000000000000-{value}"})
    assert response.status_code == 200
    assert "user.created" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE)
def test_feedback_about_an_enrollment_past_the_column_is_a_form_error(
    client: FlaskClient,
    make_user: Callable[..., User],
    assign: Callable[..., Any],
    value: str,
) -> None:
    mentor, candidate = make_user(role=Role.MENTOR.value), make_user()
    assign(mentor, candidate)
    log_in(client, mentor)
    response = client.post(
        f"/mentor/candidates/{candidate.id}/feedback",
        data={"body": "Good work", "enrollment_id": value},
    )
    assert response.status_code == 422
    assert (
        "must be one of the candidate&#39;s enrollments" in response.get_data(as_text=True).lower()
    )


@pytest.mark.parametrize(
    ("field", "why"),
    [("mentor", "matches no mentor"), ("candidate", "matches no candidate")],
)
@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE)
def test_a_mentorship_of_an_id_past_the_column_is_a_form_error(
    client: FlaskClient, make_user: Callable[..., User], field: str, why: str, value: str
) -> None:
    mentor, candidate = make_user(role=Role.MENTOR.value), make_user(name="Cara")
    log_in(client, make_user(role=Role.ADMIN.value))
    chosen = {"mentor": str(mentor.id), "candidate": str(candidate.id), field: value}
    response = client.post("/admin/mentorships", data=chosen)
    assert response.status_code == 422
    assert why in response.get_data(as_text=True).lower()


# -- request size -----------------------------------------------------------------------

MIB = 1024 * 1024


def test_an_api_body_over_the_limit_is_413_too_large(client: FlaskClient) -> None:
    body = '{"email": "a@example.org", "password": "' + "x" * MIB + '"}'
    response = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "too_large"
    assert str(MIB) in error["message"]


def test_a_form_over_the_limit_is_a_413_page(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "a@example.org", "note": "x" * MIB})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "more than we accept" in response.get_data(as_text=True)


class TestAConfiguredLimit:
    """TRAINERPATH_MAX_CONTENT_LENGTH sets the limit."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "MAX_CONTENT_LENGTH": 2000}

    def test_a_body_over_the_configured_limit_is_413(self, client: FlaskClient) -> None:
        body = '{"email": "a@example.org", "password": "' + "x" * 2000 + '"}'
        response = client.post("/api/v1/tokens", data=body, content_type="application/json")
        assert response.status_code == 413
        assert "2000 bytes" in response.get_json()["error"]["message"]

    def test_a_body_under_it_is_read(self, client: FlaskClient) -> None:
        body = '{"email": "a@example.org", "password": "' + "x" * 1000 + '"}'
        response = client.post("/api/v1/tokens", data=body, content_type="application/json")
        assert response.status_code == 401


# -- passwords ----------------------------------------------------------------------------

LONG = "p" * (MAX_PASSWORD + 1)
TOO_LONG = "must be at most 1024 characters"


@pytest.fixture
def no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a password longer than the limit is hashed or checked."""
    for module in (users, accounts):
        for name in ("generate_password_hash", "check_password_hash"):
            monkeypatch.setattr(module, name, _refusing_long(getattr(module, name)))


def _refusing_long(hashing: Callable[..., Any]) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        assert all(len(arg) <= MAX_PASSWORD for arg in args), "a password too long was hashed"
        return hashing(*args, **kwargs)

    return checked


def test_signing_up_with_a_password_too_long_is_refused_before_hashing(
    client: FlaskClient, no_hashing: None
) -> None:
    data = {"name": "Pat", "email": "pat@example.org", "password": LONG, "confirm": LONG}
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    assert TOO_LONG in response.get_data(as_text=True).lower()


def test_a_password_of_the_longest_length_is_accepted(client: FlaskClient) -> None:
    longest = "p" * MAX_PASSWORD
    data = {"name": "Pat", "email": "pat@example.org", "password": longest, "confirm": longest}
    assert client.post("/signup", data=data).status_code == 303
    client.post("/logout")
    response = client.post("/login", data={"email": "pat@example.org", "password": longest})
    assert response.status_code == 303


def test_logging_in_with_a_password_too_long_is_refused_before_hashing(
    client: FlaskClient, make_user: Callable[..., User], no_hashing: None
) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": LONG})
    assert response.status_code == 422
    assert TOO_LONG in response.get_data(as_text=True).lower()


def test_changing_to_a_password_too_long_is_refused_before_hashing(
    client: FlaskClient, make_user: Callable[..., User], no_hashing: None
) -> None:
    user = make_user()
    log_in(client, user)
    data = {"current_password": PASSWORD, "new_password": LONG, "confirm": LONG}
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert TOO_LONG in response.get_data(as_text=True).lower()


def test_an_admin_creating_a_user_with_a_password_too_long_is_refused_before_hashing(
    client: FlaskClient, make_user: Callable[..., User], no_hashing: None
) -> None:
    log_in(client, make_user(role=Role.ADMIN.value))
    data = {"name": "Mo", "email": "mo@example.org", "password": LONG, "role": "mentor"}
    response = client.post("/admin/users", data=data)
    assert response.status_code == 422
    assert TOO_LONG in response.get_data(as_text=True).lower()


def test_an_api_token_request_with_a_password_too_long_is_422(
    client: FlaskClient, make_user: Callable[..., User], no_hashing: None
) -> None:
    user = make_user()
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": LONG})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"password": TOO_LONG}


def test_an_api_user_with_a_password_too_long_is_422(
    client: FlaskClient, make_user: Callable[..., User], session: Any, no_hashing: None
) -> None:
    admin = make_user(role=Role.ADMIN.value)
    token = tokens.issue_token(session=session, user=admin).token
    session.commit()
    body = {"email": "mo@example.org", "name": "Mo", "password": LONG, "role": "mentor"}
    response = client.post("/api/v1/users", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"password": TOO_LONG}


# -- error lists --------------------------------------------------------------------------


def test_a_422_lists_each_field_once_and_at_most_a_few(client: FlaskClient) -> None:
    unknown = {f"field_{n:04}": n for n in range(500)}
    raw = json.dumps(unknown)
    response = client.post("/api/v1/tokens", data=raw, content_type="application/json")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert len(error["details"]) == MAX_LISTED_ERRORS
    assert "502 fields" in error["message"]  # 500 unknown, email and password missing
    assert "field_0" not in error["message"]
    assert len(response.get_data()) < len(raw) / 10


def test_a_422_names_a_field_in_its_details_only(client: FlaskClient) -> None:
    body = {"email": "a@example.org", "password": "x", "colour_of_the_sky": "blue"}
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("colour_of_the_sky") == 1


def test_a_very_long_unknown_field_name_is_not_echoed_whole(client: FlaskClient) -> None:
    name = "n" * 100_000
    body = {"email": "a@example.org", "password": "x", name: 1}
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 422
    assert len(response.get_data()) < 1000
