"""API test fixtures: tokens, a cast of users, and a client that checks every response
against the OpenAPI document the app serves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from trainerpath.api import registry
from trainerpath.api.openapi import openapi_document
from trainerpath.models import ApiToken, Mentorship, User, utcnow
from trainerpath.services import tokens
from trainerpath.services.users import create_user

API = "/api/v1"


class OpenApiChecker:
    """Validate a response against what the OpenAPI document says of its operation."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.document = openapi_document()
        self.checked: set[tuple[str, str, str]] = set()

    def operation_of(self, method: str, path: str) -> tuple[str, str] | None:
        """The documented (path, method) a request is routed to, or None if none is
        (OPTIONS is Flask's own answer, documented nowhere)."""
        if method == "OPTIONS":
            return None
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _args = adapter.match(path.split("?")[0], method=method)
        except HTTPException:
            return None
        if not endpoint.startswith("api.") or endpoint in ("api.unmatched", "api.static"):
            return None
        operation = registry.operation(endpoint.removeprefix("api."))
        return API + operation.path, operation.method.lower()

    def schema(self, ref_holder: dict[str, Any]) -> dict[str, Any]:
        """A schema whose $refs resolve inside the document's components."""
        return {**ref_holder, "components": self.document["components"]}

    def check(self, method: str, path: str, response: TestResponse) -> None:
        """Fail unless the status is documented and the body matches its schema."""
        found = self.operation_of(method, path)
        if found is None:
            if response.status_code >= 400:
                self.validate(self.schema({"$ref": "#/components/schemas/Error"}), response)
            return
        doc_path, doc_method = found
        responses = self.document["paths"][doc_path][doc_method]["responses"]
        status = str(response.status_code)
        assert status in responses, (
            f"{method} {path} answered {status}, which the document does not list "
            f"({sorted(responses)}): {response.get_data(as_text=True)[:300]}"
        )
        content = responses[status].get("content")
        if content is None:
            assert not response.get_data(), f"{method} {path} {status} must have no body"
        elif "application/json" in content:
            assert response.mimetype == "application/json"
            self.validate(self.schema(content["application/json"]["schema"]), response)
        else:
            assert response.mimetype in content
        self.checked.add((doc_method, doc_path, status))

    @staticmethod
    def validate(schema: dict[str, Any], response: TestResponse) -> None:
        """Validate the JSON body, checking formats such as date and date-time too."""
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"response does not match its schema: {errors[0].message}"


class Api:
    """The test client, speaking JSON with a bearer token and checking every response."""

    def __init__(self, client: FlaskClient, checker: OpenApiChecker) -> None:
        self.client = client
        self.checker = checker

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json_body: Any = None,
        *,
        data: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> TestResponse:
        """Send a request to ``/api/v1`` + ``path`` and check the answer against the document."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body)
        response = self.client.open(
            API + path,
            method=method,
            data=data,
            headers=all_headers,
            query_string=query,
            content_type="application/json" if data is not None else None,
        )
        self.checker.check(method, API + path, response)
        return response

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> TestResponse:
        """GET ``path``."""
        return self.call("GET", path, token, **kwargs)

    def post(
        self, path: str, token: str | None = None, json_body: Any = None, **kwargs: Any
    ) -> TestResponse:
        """POST a JSON body to ``path``."""
        return self.call("POST", path, token, json_body if json_body is not None else {}, **kwargs)

    def patch(
        self, path: str, token: str | None = None, json_body: Any = None, **kwargs: Any
    ) -> TestResponse:
        """PATCH ``path`` with a JSON body."""
        return self.call("PATCH", path, token, json_body if json_body is not None else {}, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs: Any) -> TestResponse:
        """DELETE ``path``."""
        return self.call("DELETE", path, token, **kwargs)


@pytest.fixture
def checker(app: Flask) -> OpenApiChecker:
    """The OpenAPI response checker of this test."""
    return OpenApiChecker(app)


@pytest.fixture
def api(client: FlaskClient, checker: OpenApiChecker) -> Api:
    """A JSON client whose every response is checked against the OpenAPI document."""
    return Api(client, checker)


@pytest.fixture
def token_for(session: Session) -> Callable[..., str]:
    """Issue a token for ``user`` directly: ``token_for(user, ttl_days=30)``."""

    def issue(user: User, ttl_days: int = 30) -> str:
        issued = tokens.issue_token(session=session, user=user, ttl_days=ttl_days)
        session.commit()
        return issued.token

    return issue


@dataclass
class Cast:
    """The people of a test: a candidate with one assigned mentor, and outsiders."""

    candidate: User
    other_candidate: User
    mentor: User  # assigned to candidate
    other_mentor: User  # assigned to other_candidate only
    admin: User
    tokens: dict[str, str]
    mentorship: Mentorship

    def token(self, who: str) -> str:
        """The token of the person called ``who`` (e.g. "mentor")."""
        return self.tokens[who]


ROLES = ("candidate", "other_candidate", "mentor", "other_mentor", "admin")


@pytest.fixture
def cast(session: Session) -> Cast:
    """Two candidates, each with their own mentor, and an admin, all with tokens.

    Built in one transaction: a commit per user made this fixture the slowest part.
    """
    people = {
        name: create_user(
            session=session, email=email, name=full_name, password=PASSWORD, role=role
        )
        for name, email, full_name, role in (
            ("candidate", "cora@example.org", "Cora Candidate", "candidate"),
            ("other_candidate", "otto@example.org", "Otto Other", "candidate"),
            ("mentor", "mia@example.org", "Mia Mentor", "mentor"),
            ("other_mentor", "max@example.org", "Max Mentor", "mentor"),
            ("admin", "ada@example.org", "Ada Admin", "admin"),
        )
    }
    ids = {name: user.id for name, user in people.items() if user.id is not None}
    mentorship = Mentorship(mentor_id=ids["mentor"], candidate_id=ids["candidate"])
    other = Mentorship(mentor_id=ids["other_mentor"], candidate_id=ids["other_candidate"])
    session.add_all([mentorship, other])
    issued = {name: tokens.issue_token(session=session, user=user) for name, user in people.items()}
    session.commit()
    return Cast(
        candidate=people["candidate"],
        other_candidate=people["other_candidate"],
        mentor=people["mentor"],
        other_mentor=people["other_mentor"],
        admin=people["admin"],
        tokens={name: token.token for name, token in issued.items()},
        mentorship=mentorship,
    )


def error_of(response: TestResponse) -> tuple[int, str, Any]:
    """The status, error code and details of an error response."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return response.status_code, body["error"]["code"], body["error"]["details"]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def unchanged(engine: Engine) -> Callable[[], AbstractContextManager[None]]:
    """``with unchanged(): ...`` fails if any row of any table changed inside the block."""

    @contextmanager
    def watch() -> Iterator[None]:
        before = snapshot(engine)
        yield
        after = snapshot(engine)
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"a refused request changed {changed}"

    return watch


def expire_token(session: Session, token: str) -> None:
    """Make a token's expiry a second ago."""
    record = session.execute(
        select(ApiToken).where(col(ApiToken.token_hash) == tokens.hash_token(token))
    ).scalar_one()
    record.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()


def count_rows(engine: Engine, table: str) -> int:
    """How many rows ``table`` has."""
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
