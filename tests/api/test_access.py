"""Every row of api.md's resource table, for every role: allowed, 403, 404 and 401.

The resource in each row belongs to ``cast.candidate``, whose mentor is ``cast.mentor``.
``other_candidate`` and ``other_mentor`` (who mentors only other_candidate) may not know
it exists, so they get 404; a role that may never do it gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from test_fire_event import ready_items
from test_pathway_machines import SPECS, Row, Spec

from trainerpath.api import registry
from trainerpath.models import Enrollment, EvidenceBase, Mentorship

from .conftest import ROLES, Api, Cast, error_of, expire_token
from .helpers import KINDS, valid_body

Request = tuple[str, str, dict[str, Any] | None]


@dataclass
class World:
    """The cast plus the factories a row needs to arrange its resource."""

    cast: Cast
    make_evidence: Callable[..., EvidenceBase]
    make_enrollment: Callable[..., Enrollment]

    def pending_item(self, kind: str) -> int:
        """A pending item of the candidate's, returning its id."""
        item = self.make_evidence(self.cast.candidate, kind, "pending")
        assert item.id is not None
        return item.id


@pytest.fixture
def world(cast: Cast, make_evidence, make_enrollment) -> World:
    """Everything a row arranges with."""
    return World(cast, make_evidence, make_enrollment)


def outcome(
    candidate: int, mentor: int, admin: int, other_candidate: int = 404, other_mentor: int = 404
) -> dict[str, int]:
    """The expected status for each role."""
    return {
        "candidate": candidate,
        "mentor": mentor,
        "admin": admin,
        "other_candidate": other_candidate,
        "other_mentor": other_mentor,
    }


VIEWERS = outcome(200, 200, 200)
OWNER_ONLY = outcome(201, 403, 403)


@dataclass(frozen=True)
class Case:
    """One row: how to arrange and send the request, and what each role gets."""

    name: str
    arrange: Callable[[World], Request]
    expected: dict[str, int]


def candidate_path(suffix: str = "") -> Callable[[World], str]:
    """The candidate's path with an optional suffix."""
    return lambda w: f"/candidates/{w.cast.candidate.id}{suffix}"


CASES: list[Case] = [
    Case("GET /me", lambda w: ("GET", "/me", None), outcome(200, 200, 200, 200, 200)),
    Case(
        "POST /users",
        lambda w: (
            "POST",
            "/users",
            {
                "email": "new@example.org",
                "name": "New",
                "password": "long enough",
                "role": "mentor",
            },
        ),
        outcome(403, 403, 201, 403, 403),
    ),
    Case(
        "POST /mentorships",
        lambda w: (
            "POST",
            "/mentorships",
            {"mentor_id": w.cast.other_mentor.id, "candidate_id": w.cast.candidate.id},
        ),
        outcome(403, 403, 201, 403, 403),
    ),
    Case(
        "DELETE /mentorships/{id}",
        lambda w: ("DELETE", f"/mentorships/{w.cast.mentorship.id}", None),
        # The two people in the mentorship know it exists; only an admin may end it.
        outcome(403, 403, 204),
    ),
    Case(
        "GET /candidates",
        lambda w: ("GET", "/candidates", None),
        outcome(403, 200, 200, 403, 200),
    ),
    Case(
        "GET /candidates/{id}",
        lambda w: ("GET", candidate_path()(w), None),
        VIEWERS,
    ),
    Case(
        "GET /candidates/{id}/export",
        lambda w: ("GET", candidate_path("/export")(w), None),
        VIEWERS,
    ),
    Case(
        "POST /candidates/{id}/enrollments",
        lambda w: ("POST", candidate_path("/enrollments")(w), {"pathway": "cst"}),
        outcome(201, 403, 201),
    ),
    Case(
        "GET /enrollments/{id}",
        lambda w: ("GET", f"/enrollments/{w.make_enrollment(w.cast.candidate, 'pst').id}", None),
        VIEWERS,
    ),
    Case(
        "POST /enrollments/{id}/ruleset",
        lambda w: (
            "POST",
            f"/enrollments/{w.make_enrollment(w.cast.candidate, 'cst').id}/ruleset",
            {"ruleset": "cst@2"},
        ),
        outcome(200, 403, 200),
    ),
    Case("GET /rulesets", lambda w: ("GET", "/rulesets", None), outcome(200, 200, 200, 200, 200)),
]


def evidence_cases(kind: str) -> list[Case]:
    """The five rows of one evidence kind."""
    return [
        Case(
            f"GET /candidates/{{id}}/{kind}",
            lambda w: ("GET", f"/candidates/{w.cast.candidate.id}/{kind}", None),
            VIEWERS,
        ),
        Case(
            f"POST /candidates/{{id}}/{kind}",
            lambda w: ("POST", f"/candidates/{w.cast.candidate.id}/{kind}", valid_body(kind)),
            OWNER_ONLY,
        ),
        Case(
            f"PATCH /evidence/{kind}/{{id}}",
            lambda w: ("PATCH", f"/evidence/{kind}/{w.pending_item(kind)}", {}),
            outcome(200, 403, 403),
        ),
        Case(
            f"DELETE /evidence/{kind}/{{id}}",
            lambda w: ("DELETE", f"/evidence/{kind}/{w.pending_item(kind)}", None),
            outcome(204, 403, 403),
        ),
        Case(
            f"POST /evidence/{kind}/{{id}}/review",
            lambda w: (
                "POST",
                f"/evidence/{kind}/{w.pending_item(kind)}/review",
                {"decision": "verified"},
            ),
            outcome(403, 200, 200),
        ),
    ]


for _kind in KINDS:
    CASES += evidence_cases(_kind)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_row_answers_each_role_as_the_table_says(api: Api, world: World, case, role):
    method, path, body = case.arrange(world)
    response = api.call(method, path, world.cast.token(role), body)
    expected = case.expected[role]
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected == 403:
        assert error_of(response)[1] == "forbidden"
    elif expected == 404:
        assert error_of(response)[1] == "not_found"


# -- transitions: per the pathway tables ---------------------------------------------


def _transition_rows() -> list[tuple[Spec, Row]]:
    """One row per (from, event) of every ruleset's table."""
    rows: list[tuple[Spec, Row]] = []
    for spec in SPECS.values():
        seen: set[tuple[str, str]] = set()
        for row in spec.rows:
            if (row.source, row.event) not in seen:
                seen.add((row.source, row.event))
                rows.append((spec, row))
    return rows


TRANSITIONS = _transition_rows()


def _expected_for(row: Row, role: str) -> int:
    if role.startswith("other_"):
        return 404
    return 200 if role in row.who else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("spec", "row"),
    TRANSITIONS,
    ids=[f"{spec.ruleset_id}:{row.source}->{row.event}" for spec, row in TRANSITIONS],
)
def test_each_transition_is_fired_only_by_the_roles_the_table_names(
    api: Api, world: World, spec: Spec, row: Row, role: str
):
    enrollment = world.make_enrollment(
        world.cast.candidate,
        spec.pathway,
        ruleset=spec.ruleset_id,
        state=row.source,
        withdrawn_from=row.withdrawn_from,
    )
    for kind, fields in ready_items(spec.ruleset_id, row.event):
        world.make_evidence(world.cast.candidate, kind, **fields)
    response = api.post(
        f"/enrollments/{enrollment.id}/transitions",
        world.cast.token(role),
        {"event": row.event, "note": "Noted by the panel."},
    )
    expected = _expected_for(row, role)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected == 200:
        body = response.get_json()
        assert body["state"] == row.target
        assert body["history"][-1]["event"] == row.event
        assert body["history"][-1]["from"] == row.source
    else:
        assert error_of(response)[1] == {403: "forbidden", 404: "not_found"}[expected]


# -- 401 for every operation that needs a token --------------------------------------

AUTHENTICATED = [op for op in registry.operations if not op.public]


def _concrete(path: str) -> str:
    # Ids that exist in no table: authentication is checked before anything else.
    import re

    return re.sub(r"\{\w+\}", "4242", path)


def _token_of_kind(kind: str, cast: Cast, session) -> dict[str, str]:
    if kind == "missing":
        return {}
    if kind == "invalid":
        return {"Authorization": "Bearer tp_this-is-not-a-token"}
    token = cast.token("admin")
    if kind == "expired":
        expire_token(session, token)
    elif kind == "revoked":
        from trainerpath.models import ApiToken
        from trainerpath.services import tokens

        record = session.query(ApiToken).filter_by(token_hash=tokens.hash_token(token)).one()
        tokens.revoke_token(session=session, token=record)
        session.commit()
    elif kind == "deactivated user":
        cast.admin.is_active = False
        session.add(cast.admin)
        session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("kind", ["missing", "invalid", "expired", "revoked", "deactivated user"])
@pytest.mark.parametrize(
    "operation", AUTHENTICATED, ids=[f"{op.method} {op.path}" for op in AUTHENTICATED]
)
def test_every_operation_needs_a_live_token_first(api: Api, cast: Cast, session, operation, kind):
    headers = _token_of_kind(kind, cast, session)
    # A malformed body and unknown ids: 401 still comes first.
    response = api.call(
        operation.method, _concrete(operation.path), headers=headers, data="{not json"
    )
    assert error_of(response)[:2] == (401, "unauthenticated")


# -- mentorship ends, access ends -----------------------------------------------------


def test_ending_a_mentorship_removes_the_mentors_access_at_once(
    api: Api, cast: Cast, make_evidence, session
):
    item = make_evidence(cast.candidate, "milestones", "pending")
    mentor = cast.token("mentor")
    candidate_path = f"/candidates/{cast.candidate.id}"
    assert api.get(candidate_path, mentor).status_code == 200
    assert [c["id"] for c in api.get("/candidates", mentor).get_json()["items"]] == [
        cast.candidate.id
    ]

    ended = api.delete(f"/mentorships/{cast.mentorship.id}", cast.token("admin"))
    assert ended.status_code == 204

    assert error_of(api.get(candidate_path, mentor))[:2] == (404, "not_found")
    assert api.get("/candidates", mentor).get_json()["items"] == []
    review = api.post(f"/evidence/milestones/{item.id}/review", mentor, {"decision": "verified"})
    assert error_of(review)[:2] == (404, "not_found")
    session.expire_all()
    assert session.get(Mentorship, cast.mentorship.id).ended_at is not None


def test_an_ended_mentorship_cannot_be_ended_again(api: Api, cast: Cast):
    path = f"/mentorships/{cast.mentorship.id}"
    assert api.delete(path, cast.token("admin")).status_code == 204
    assert error_of(api.delete(path, cast.token("admin")))[:2] == (404, "not_found")


def test_a_reassigned_mentor_sees_the_candidate_again(api: Api, cast: Cast):
    admin = cast.token("admin")
    api.delete(f"/mentorships/{cast.mentorship.id}", admin)
    again = api.post(
        "/mentorships", admin, {"mentor_id": cast.mentor.id, "candidate_id": cast.candidate.id}
    )
    assert again.status_code == 201
    assert api.get(f"/candidates/{cast.candidate.id}", cast.token("mentor")).status_code == 200
