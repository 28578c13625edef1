"""Fixtures for the web pages: a cast of users, logging in, and reading pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import PASSWORD
from flask.testing import FlaskClient
from sqlalchemy import Engine, Select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from trainerpath.models import Mentorship, Role, User

from .dom import Node, parse

HTMX = {"HX-Request": "true"}


def fetch_one(engine: Engine, stmt: Select[Any]) -> Any:
    """Read one row in a short session of its own (a long-lived read would hold SQLite's lock)."""
    with Session(engine, expire_on_commit=False) as session:
        return session.execute(stmt).scalar_one_or_none()


def fetch_all(engine: Engine, stmt: Select[Any]) -> list[Any]:
    """Read rows in a short session of its own."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.execute(stmt).scalars())


@dataclass
class Cast:
    """The people most tests need: a candidate, their mentor, another mentor, an admin."""

    candidate: User
    other_candidate: User
    mentor: User
    other_mentor: User
    admin: User
    mentorship: Mentorship


@pytest.fixture
def cast(make_user: Callable[..., User], assign: Callable[[User, User], Mentorship]) -> Cast:
    """Cara (candidate) mentored by Mia; Otto (candidate) and Max (mentor) are unrelated."""
    candidate = make_user(name="Cara Candidate", email="cara@example.org")
    other_candidate = make_user(name="Otto Other", email="otto@example.org")
    mentor = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    other_mentor = make_user(role=Role.MENTOR.value, name="Max Mentor", email="max@example.org")
    admin = make_user(role=Role.ADMIN.value, name="Ada Admin", email="ada@example.org")
    mentorship = assign(mentor, candidate)
    return Cast(candidate, other_candidate, mentor, other_mentor, admin, mentorship)


def log_in(
    client: FlaskClient, user: User, password: str = PASSWORD, remember: bool = False
) -> TestResponse:
    """Log ``user`` in through the login form and check it worked."""
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


ROSTER_NOTE = "The roster lists 10 students."


def roster_rejected(client: FlaskClient, cast: Cast, item: Any) -> None:
    """Mia rejects Cara's teaching session of 12 students (the roster lists 10); then Cara
    is the one logged in."""
    log_in(client, cast.mentor)
    client.post(
        f"/mentor/reviews/teaching-sessions/{item.id}",
        data={"decision": "rejected", "note": ROSTER_NOTE},
    )
    client.post("/logout")
    log_in(client, cast.candidate)


def roster_corrected(item: Any) -> dict[str, str]:
    """The edit form of that session with its students corrected to 10."""
    return {
        "title": "Certified ScrumMaster",
        "course_type": "scrum_master",
        "first_day": item.first_day.isoformat(),
        "days": "2",
        "students": "10",
        "context": "independent",
        "share_delivered": "100",
    }


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., TestResponse]:
    """Log a user in on the test client: ``login(user)``."""

    def do(user: User, **kwargs: object) -> TestResponse:
        return log_in(client, user, **kwargs)  # type: ignore[arg-type]

    return do


def page(response: TestResponse) -> Node:
    """The response's HTML as a tree."""
    return parse(response.get_data(as_text=True))


def text(response: TestResponse) -> str:
    """The response's text as a reader sees it."""
    return page(response).text
