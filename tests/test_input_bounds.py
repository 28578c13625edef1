"""Ids past the column type, oversized bodies and passwords, and long error lists.

Every id the app reads from a URL, a query string or a form names no row when it is
outside 1..2^31-1 (PostgreSQL's INTEGER, kept on SQLite too): a 404, or the form's own
error, never an overflow in the database (a 500).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

from trainerpath import create_app
from trainerpath.api import registry
from trainerpath.bounds import IdConverter
from trainerpath.models import Role, User
from trainerpath.services import tokens

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


@pytest.mark.parametrize("field", ["page", "candidate"])
@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE)
def test_audit_query_numbers_past_the_column_are_404(
    client: FlaskClient, make_user: Callable[..., User], field: str, value: str
) -> None:
    log_in(client, make_user(role=Role.ADMIN.value))
    assert client.get("/admin/audit", query_string={field: value}).status_code == 404


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


@pytest.mark.parametrize("field", ["mentor_id", "candidate_id"])
@pytest.mark.parametrize("value", TOO_BIG + UNREADABLE)
def test_a_mentorship_of_an_id_past_the_column_is_a_form_error(
    client: FlaskClient, make_user: Callable[..., User], field: str, value: str
) -> None:
    mentor, candidate = make_user(role=Role.MENTOR.value), make_user()
    log_in(client, make_user(role=Role.ADMIN.value))
    chosen = {"mentor_id": str(mentor.id), "candidate_id": str(candidate.id), field: value}
    response = client.post("/admin/mentorships", data=chosen)
    assert response.status_code == 422
    assert "choose one from the list" in response.get_data(as_text=True).lower()
