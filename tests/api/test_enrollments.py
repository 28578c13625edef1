"""The enrollment object, and transitions with every kind of refusal."""

from __future__ import annotations

import pytest
from conftest import days_ago

from .conftest import Api, Cast, error_of
from .helpers import meet_guards

CST_GUARDS = (
    "csp_active",
    "students_taught",
    "multi_day_sm_sessions",
    "course_materials_reviewed",
    "scrum_experience",
)
REQUIREMENT_FIELDS = {"key", "label", "met", "current", "pending", "target", "unit", "message"}


def enrol(api: Api, cast: Cast, pathway: str, who: str = "candidate"):
    """Enrol the candidate and return the response."""
    return api.post(
        f"/candidates/{cast.candidate.id}/enrollments", cast.token(who), {"pathway": pathway}
    )


def fire(api: Api, cast: Cast, enrollment_id: int, who: str, event: str, note: str | None = None):
    """Fire an event as ``who``."""
    body = {"event": event} | ({"note": note} if note is not None else {})
    return api.post(f"/enrollments/{enrollment_id}/transitions", cast.token(who), body)


def test_enrolling_returns_the_enrollment_object(api, cast):
    response = enrol(api, cast, "cst")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {
        "id",
        "candidate_id",
        "pathway",
        "ruleset",
        "state",
        "requirements",
        "events",
        "history",
        "created_at",
        "updated_at",
    }
    assert (body["candidate_id"], body["pathway"], body["ruleset"], body["state"]) == (
        cast.candidate.id,
        "cst",
        "cst@1",
        "preparing",
    )
    assert body["history"] == []  # enrolling writes no history entry
    assert [r["key"] for r in body["requirements"]] == list(CST_GUARDS)
    assert all(set(r) == REQUIREMENT_FIELDS for r in body["requirements"])
    assert [e["name"] for e in body["events"]] == ["submit_application", "withdraw"]
    assert api.get(f"/enrollments/{body['id']}", cast.token("candidate")).get_json() == body


def test_an_admin_may_enrol_a_candidate(api, cast):
    assert enrol(api, cast, "pst", "admin").status_code == 201


def test_requirements_count_verified_and_pending_evidence(api, cast, make_evidence):
    make_evidence(cast.candidate, "teaching-sessions", students=73)
    make_evidence(cast.candidate, "teaching-sessions", "pending", students=20)
    make_evidence(cast.candidate, "teaching-sessions", "rejected", students=50)
    body = enrol(api, cast, "cst").get_json()
    students = next(r for r in body["requirements"] if r["key"] == "students_taught")
    assert students == {
        "key": "students_taught",
        "label": "Students taught",
        "met": False,
        "current": 73,
        "pending": 20,
        "target": 100,
        "unit": "students",
        "message": "27 more students needed (20 waiting for review)",
    }
    csp = next(r for r in body["requirements"] if r["key"] == "csp_active")
    assert (csp["current"], csp["target"], csp["met"]) == (0, 1, False)


def test_years_of_experience_are_decimals_to_two_places(api, cast, make_evidence):
    make_evidence(
        cast.candidate,
        "experience",
        role="product_owner",
        started_on=days_ago(800),
        ended_on=days_ago(300),
    )
    body = enrol(api, cast, "pst").get_json()
    years = next(r for r in body["requirements"] if r["key"] == "po_experience")
    assert (years["current"], years["target"], years["unit"]) == (1.36, 4, "years")


def test_events_say_who_may_fire_them_and_why_not_now(api, cast):
    enrollment_id = enrol(api, cast, "cst").get_json()["id"]
    seen_by_candidate = api.get(f"/enrollments/{enrollment_id}", cast.token("candidate")).get_json()
    submit = seen_by_candidate["events"][0]
    assert submit["name"] == "submit_application"
    assert submit["allowed"] is False
    assert "100 more students needed" in submit["reasons"]
    assert seen_by_candidate["events"][1] == {"name": "withdraw", "allowed": True, "reasons": []}
    seen_by_mentor = api.get(f"/enrollments/{enrollment_id}", cast.token("mentor")).get_json()
    withdraw = seen_by_mentor["events"][1]
    assert withdraw["allowed"] is False
    assert withdraw["reasons"] == ["Only the candidate or an admin can do this."]


def test_the_cst_path_to_certified_with_history_oldest_first(api, cast, make_evidence):
    meet_guards(make_evidence, cast.candidate, CST_GUARDS)
    enrollment_id = enrol(api, cast, "cst").get_json()["id"]
    assert all(
        r["met"]
        for r in api.get(f"/enrollments/{enrollment_id}", cast.token("candidate")).get_json()[
            "requirements"
        ]
    )
    steps = [
        ("candidate", "submit_application", "tac_review"),
        ("mentor", "tac_approve", "interview"),
        ("admin", "interview_pass", "certified"),
    ]
    for who, event, state in steps:
        response = fire(api, cast, enrollment_id, who, event)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == state
    body = api.get(f"/enrollments/{enrollment_id}", cast.token("candidate")).get_json()
    assert [(h["event"], h["from"], h["to"]) for h in body["history"]] == [
        ("submit_application", "preparing", "tac_review"),
        ("tac_approve", "tac_review", "interview"),
        ("interview_pass", "interview", "certified"),
    ]
    actors = [h["actor_id"] for h in body["history"]]
    assert actors == [cast.candidate.id, cast.mentor.id, cast.admin.id]
    assert all(h["at"].endswith("Z") and h["note"] is None for h in body["history"])
    assert body["events"] == [] and body["requirements"] == []


def test_unmet_guards_are_409_with_only_the_unmet_keys(api, cast, make_evidence, unchanged):
    meet_guards(
        make_evidence,
        cast.candidate,
        ("csp_active", "course_materials_reviewed", "scrum_experience"),
    )
    enrollment_id = enrol(api, cast, "cst").get_json()["id"]
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
def test_a_missing_or_blank_required_note_is_422(api, cast, make_enrollment, unchanged, note):
    enrollment = make_enrollment(cast.candidate, "pst", state="staff_interview")
    with unchanged():
        response = fire(api, cast, enrollment.id, "mentor", "staff_interview_fail", note)
    assert error_of(response) == (422, "validation_error", {"note": "required"})


def test_a_failed_interview_with_a_note_stays_and_records_the_note(api, cast, make_enrollment):
    enrollment = make_enrollment(cast.candidate, "pst", state="staff_interview")
    response = fire(api, cast, enrollment.id, "mentor", "staff_interview_fail", "Retry in May.")
    body = response.get_json()
    assert body["state"] == "staff_interview"
    assert body["history"][-1]["note"] == "Retry in May."


def test_withdraw_and_resume_return_to_the_state_left(api, cast, make_enrollment):
    enrollment = make_enrollment(cast.candidate, "pst", state="pspo3")
    assert (
        fire(api, cast, enrollment.id, "candidate", "withdraw").get_json()["state"] == "withdrawn"
    )
    body = fire(api, cast, enrollment.id, "admin", "resume").get_json()
    assert body["state"] == "pspo3"
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
