"""The enrollment object, and transitions with every kind of refusal.

Tests about one ruleset name it (``cst@1`` for the seed's numbers); tests about any
ruleset run for every hand-copied table of test_pathway_machines.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TODAY, days_ago, first_of_month_after
from test_fire_event import ready_items
from test_pathway_machines import SPECS, Row, Spec

from .conftest import Api, Cast, error_of
from .helpers import meet_guards

CST_2_GUARDS = (
    "csp_active",
    "qualifying_events",
    "current_materials_events",
    "recent_experience",
    "learning_objectives_mapped",
)
REQUIREMENT_FIELDS = {
    "key",
    "label",
    "met",
    "current",
    "pending",
    "target",
    "unit",
    "message",
    "window",
    "ageing",
    "forecast",
}


def enrol(api: Api, cast: Cast, pathway: str, who: str = "candidate", ruleset: str | None = None):
    """Enrol the candidate (in ``ruleset``, else the pathway's current one); the response."""
    body = {"pathway": pathway} | ({"ruleset": ruleset} if ruleset else {})
    return api.post(f"/candidates/{cast.candidate.id}/enrollments", cast.token(who), body)


def enrol_in(api: Api, cast: Cast, spec: Spec) -> dict[str, Any]:
    """Enrol the candidate in the spec's ruleset; the enrollment object."""
    response = enrol(api, cast, spec.pathway, ruleset=spec.ruleset_id)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def fire(api: Api, cast: Cast, enrollment_id: int, who: str, event: str, note: str | None = None):
    """Fire an event as ``who``."""
    body = {"event": event} | ({"note": note} if note is not None else {})
    return api.post(f"/enrollments/{enrollment_id}/transitions", cast.token(who), body)


def each_spec() -> pytest.MarkDecorator:
    """Parametrize over every ruleset's hand-copied table."""
    return pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)


def rows_where(keep: Any) -> list[Any]:
    """Every (spec, row) of every table that ``keep(row)`` accepts, as test params."""
    return [
        pytest.param(spec, row, id=f"{spec.ruleset_id}-{row.source}-{row.event}")
        for spec in SPECS.values()
        for row in spec.rows
        if keep(row)
    ]


def test_enrolling_returns_the_enrollment_object_of_the_current_ruleset(api, cast):
    response = enrol(api, cast, "cst")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {
        "id",
        "candidate_id",
        "pathway",
        "ruleset",
        "track",
        "state",
        "requirements",
        "events",
        "history",
        "created_at",
        "updated_at",
    }
    assert (
        body["candidate_id"],
        body["pathway"],
        body["ruleset"],
        body["track"],
        body["state"],
    ) == (cast.candidate.id, "cst", "cst@2", "scrum_master", "preparing")
    assert body["history"] == []  # enrolling writes no history entry
    assert [r["key"] for r in body["requirements"]] == list(CST_2_GUARDS)
    assert all(set(r) == REQUIREMENT_FIELDS for r in body["requirements"])
    assert [e["name"] for e in body["events"]] == ["submit_application", "withdraw"]
    assert api.get(f"/enrollments/{body['id']}", cast.token("candidate")).get_json() == body


@each_spec()
def test_a_new_enrollment_of_any_ruleset_lists_the_requirements_of_its_table(api, cast, spec):
    body = enrol_in(api, cast, spec)
    assert (body["ruleset"], body["track"], body["state"]) == (
        spec.ruleset_id,
        spec.tracks[0] if spec.tracks else None,
        "preparing",
    )
    submit = next(row for row in spec.rows if row.source == "preparing" and row.guards)
    assert [r["key"] for r in body["requirements"]] == list(submit.guards)
    assert [e["name"] for e in body["events"]] == [
        event for event in spec.events if "preparing" in spec.sources(event)
    ]


def test_an_admin_may_enrol_a_candidate(api, cast):
    assert enrol(api, cast, "pst", "admin").status_code == 201


def test_requirements_count_verified_and_pending_evidence(api, cast, make_evidence):
    make_evidence(cast.candidate, "teaching-sessions", students=73)  # 30 days ago
    make_evidence(cast.candidate, "teaching-sessions", "pending", students=20)
    make_evidence(cast.candidate, "teaching-sessions", "rejected", students=50)
    body = enrol(api, cast, "cst", ruleset="cst@1").get_json()
    students = next(r for r in body["requirements"] if r["key"] == "students_taught")
    # 73 verified in the last year: 6.08 a month; 73 + k * 73/12 >= 100 first for k = 5.
    assert students == {
        "key": "students_taught",
        "label": "Students taught",
        "met": False,
        "current": 73,
        "pending": 20,
        "target": 100,
        "unit": "students",
        "message": "27 more students needed (20 waiting for review)",
        "window": None,
        "ageing": [],
        "forecast": {
            "met_by": first_of_month_after(TODAY, 5).isoformat(),
            "pace_per_month": 6.08,
        },
    }
    csp = next(r for r in body["requirements"] if r["key"] == "csp_active")
    assert (csp["current"], csp["target"], csp["met"], csp["forecast"]) == (0, 1, False, None)


def test_years_of_experience_are_decimals_to_two_places(api, cast, make_evidence):
    make_evidence(
        cast.candidate,
        "experience",
        role="product_owner",
        started_on=days_ago(800),
        ended_on=days_ago(300),
    )
    body = enrol(api, cast, "pst", ruleset="pst@1").get_json()
    years = next(r for r in body["requirements"] if r["key"] == "po_experience")
    assert (years["current"], years["target"], years["unit"]) == (1.36, 4, "years")


@each_spec()
def test_events_say_who_may_fire_them_and_why_not_now(api, cast, spec):
    enrollment_id = enrol_in(api, cast, spec)["id"]
    seen_by_candidate = api.get(f"/enrollments/{enrollment_id}", cast.token("candidate")).get_json()
    submit, withdraw = seen_by_candidate["events"]
    assert submit["name"] == "submit_application"
    assert submit["allowed"] is False
    # Without evidence every guard is unmet, and each says what is missing.
    assert submit["reasons"] == [r["message"] for r in seen_by_candidate["requirements"]]
    assert len(submit["reasons"]) == len(spec.rows[0].guards)
    assert withdraw == {"name": "withdraw", "allowed": True, "reasons": []}
    seen_by_mentor = api.get(f"/enrollments/{enrollment_id}", cast.token("mentor")).get_json()
    submit, withdraw = seen_by_mentor["events"]
    assert submit["reasons"][0] == "Only the candidate can do this."
    assert withdraw["allowed"] is False
    assert withdraw["reasons"] == ["Only the candidate or an admin can do this."]


def test_a_cst_1_event_says_how_many_students_are_missing(api, cast):
    enrollment_id = enrol(api, cast, "cst", ruleset="cst@1").get_json()["id"]
    body = api.get(f"/enrollments/{enrollment_id}", cast.token("candidate")).get_json()
    assert "100 more students needed" in body["events"][0]["reasons"]


def path_to_the_end(spec: Spec) -> list[Row]:
    """The rows from preparing to the final state, never going back or withdrawing."""
    path: list[Row] = []
    state, visited = "preparing", {"preparing", "withdrawn"}
    while state != spec.final:
        row = next(r for r in spec.rows if r.source == state and r.target not in visited)
        path.append(row)
        state = row.target
        visited.add(state)
    return path


def firer(row: Row) -> str:
    """Who fires the row on the way: the candidate when they may, else the mentor."""
    return "candidate" if "candidate" in row.who else "mentor"


@each_spec()
def test_the_path_to_the_final_state_with_history_oldest_first(api, cast, make_evidence, spec):
    path = path_to_the_end(spec)
    for row in path:
        for kind, fields in ready_items(spec.ruleset_id, row.event):
            make_evidence(cast.candidate, kind, **fields)
    enrollment_id = enrol_in(api, cast, spec)["id"]
    for row in path:
        response = fire(api, cast, enrollment_id, firer(row), row.event)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == row.target
    body = api.get(f"/enrollments/{enrollment_id}", cast.token("candidate")).get_json()
    assert body["state"] == spec.final
    assert [(h["event"], h["from"], h["to"]) for h in body["history"]] == [
        (row.event, row.source, row.target) for row in path
    ]
    actors = {"candidate": cast.candidate.id, "mentor": cast.mentor.id}
    assert [h["actor_id"] for h in body["history"]] == [actors[firer(row)] for row in path]
    assert all(h["at"].endswith("Z") and h["note"] is None for h in body["history"])
    assert body["events"] == [] and body["requirements"] == []


def test_unmet_guards_are_409_with_only_the_unmet_keys(api, cast, make_evidence, unchanged):
    meet_guards(
        make_evidence,
        cast.candidate,
        ("csp_active", "course_materials_reviewed", "scrum_experience"),
    )
    enrollment_id = enrol(api, cast, "cst", ruleset="cst@1").get_json()["id"]
    with unchanged():
        response = fire(api, cast, enrollment_id, "candidate", "submit_application")
    status, code, details = error_of(response)
    assert (status, code) == (409, "guard_unmet")
    assert details["unmet"] == ["students_taught", "multi_day_sm_sessions"]
    assert [r["key"] for r in details["requirements"]] == details["unmet"]
    assert details["requirements"][0]["message"] == "100 more students needed"
    assert all(set(r) == REQUIREMENT_FIELDS for r in details["requirements"])


def test_a_role_that_may_never_fire_the_event_is_403(api, cast, make_enrollment, unchanged):
    enrollment = make_enrollment(cast.candidate, "cst", state="tac_review")
    with unchanged():
        response = fire(api, cast, enrollment.id, "candidate", "tac_approve")
    assert error_of(response)[:2] == (403, "forbidden")


def test_an_event_of_another_state_is_409_invalid_state(api, cast, make_enrollment, unchanged):
    enrollment = make_enrollment(cast.candidate, "cst", state="preparing")
    with unchanged():
        response = fire(api, cast, enrollment.id, "mentor", "interview_pass")
    assert error_of(response)[:2] == (409, "invalid_state")


@pytest.mark.parametrize("note", [None, "", "   "])
@pytest.mark.parametrize(("spec", "row"), rows_where(lambda row: row.note_required))
def test_a_missing_or_blank_required_note_is_422(
    api, cast, make_enrollment, unchanged, spec, row, note
):
    enrollment = make_enrollment(
        cast.candidate, spec.pathway, ruleset=spec.ruleset_id, state=row.source
    )
    with unchanged():
        response = fire(api, cast, enrollment.id, "mentor", row.event, note)
    assert error_of(response) == (422, "validation_error", {"note": "required"})


@pytest.mark.parametrize(("spec", "row"), rows_where(lambda row: row.note_required))
def test_an_event_with_its_note_moves_and_records_the_note(api, cast, make_enrollment, spec, row):
    enrollment = make_enrollment(
        cast.candidate, spec.pathway, ruleset=spec.ruleset_id, state=row.source
    )
    body = fire(api, cast, enrollment.id, "mentor", row.event, "  Retry in May. ").get_json()
    assert body["state"] == row.target  # a failed interview or phase may stay put to retry
    assert body["history"][-1]["note"] == "Retry in May."


def test_a_note_longer_than_2000_characters_is_422_and_changes_nothing(
    api, cast, make_enrollment, unchanged
):
    """A note is read in notifications, mails, the audit trail and the dossier: it is held
    to the length its textarea allows."""
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    with unchanged():
        response = fire(api, cast, enrollment.id, "candidate", "withdraw", "n" * 2001)
    assert error_of(response) == (
        422,
        "validation_error",
        {"note": "must be at most 2000 characters"},
    )
    body = fire(api, cast, enrollment.id, "candidate", "withdraw", "n" * 2000).get_json()
    assert body["state"] == "withdrawn"
    assert body["history"][-1]["note"] == "n" * 2000


@pytest.mark.parametrize(("spec", "row"), rows_where(lambda row: row.event == "withdraw"))
def test_withdraw_and_resume_return_to_the_state_left(api, cast, make_enrollment, spec, row):
    enrollment = make_enrollment(
        cast.candidate, spec.pathway, ruleset=spec.ruleset_id, state=row.source
    )
    assert (
        fire(api, cast, enrollment.id, "candidate", "withdraw").get_json()["state"] == "withdrawn"
    )
    body = fire(api, cast, enrollment.id, "admin", "resume").get_json()
    assert body["state"] == row.source
    assert [h["event"] for h in body["history"]] == ["withdraw", "resume"]


def test_an_enrollment_of_another_candidate_is_404(api, cast, make_enrollment):
    enrollment = make_enrollment(cast.other_candidate, "cst")
    for who in ("candidate", "mentor"):
        assert error_of(api.get(f"/enrollments/{enrollment.id}", cast.token(who)))[:2] == (
            404,
            "not_found",
        )
    assert error_of(fire(api, cast, enrollment.id, "candidate", "withdraw"))[:2] == (
        404,
        "not_found",
    )
