"""GET /rulesets, the ruleset and track chosen at enrolment, and the requirement object's
window, ageing and forecast (api.md; pathways.md §6)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from conftest import TODAY, days_ago

from trainerpath.pathways import REGISTERED

from .conftest import Api, Cast, error_of

# -- dates computed by hand, independently of trainerpath.pathways.calendar -----------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def first_of_month_after(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, 1)


def leaves_window(day: date, months: int) -> date:
    """The first day after today on which ``day`` is before the window ending that day."""
    leave = TODAY + timedelta(days=1)
    while months_before(leave, months) <= day:
        leave += timedelta(days=1)
    return leave


def enrol(api: Api, cast: Cast, body: dict, who: str = "candidate"):
    """POST a new enrollment for the candidate."""
    return api.post(f"/candidates/{cast.candidate.id}/enrollments", cast.token(who), body)


def requirement(body: dict, key: str) -> dict:
    """The requirement ``key`` of an enrollment object."""
    return next(r for r in body["requirements"] if r["key"] == key)


# -- GET /rulesets -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["candidate", "mentor", "admin"])
def test_every_role_lists_every_ruleset_current_first(api, cast, who):
    response = api.get("/rulesets", cast.token(who))
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["key"], r["current"]) for r in body["items"]] == [
        ("cst@2", True),
        ("cst@1", False),
        ("pst@2", True),
        ("pst@1", False),
    ]
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 4)


def test_the_rulesets_need_a_token(api):
    assert error_of(api.get("/rulesets"))[:2] == (401, "unauthenticated")


def test_the_rulesets_are_paginated_like_every_list(api, cast):
    body = api.get("/rulesets", cast.token("mentor"), query={"page": 2, "per_page": 3}).get_json()
    assert [r["key"] for r in body["items"]] == ["pst@1"]
    assert (body["page"], body["per_page"], body["total"]) == (2, 3, 4)
    past_the_end = api.get("/rulesets", cast.token("mentor"), query={"page": 3, "per_page": 3})
    assert past_the_end.get_json()["items"] == []
    for per_page in (0, 101):
        response = api.get("/rulesets", cast.token("mentor"), query={"per_page": per_page})
        assert error_of(response) == (
            422,
            "validation_error",
            {"per_page": "must be between 1 and 100"},
        )


def listed(api: Api, cast: Cast, key: str) -> dict:
    """The ruleset ``key`` as GET /rulesets lists it."""
    items = api.get("/rulesets", cast.token("candidate")).get_json()["items"]
    return next(r for r in items if r["key"] == key)


def row(name, source, target, who, guards=(), note=False):
    """An event row of the listing."""
    return {
        "name": name,
        "from": source,
        "to": target,
        "who": list(who),
        "note_required": note,
        "guards": list(guards),
    }


CANDIDATE, STAFF, CANDIDATE_OR_ADMIN = ["candidate"], ["mentor", "admin"], ["candidate", "admin"]


def test_cst_2_is_listed_as_the_april_2024_table(api, cast):
    cst2 = listed(api, cast, "cst@2")
    assert {k: cst2[k] for k in ("pathway", "version", "title", "awarding_body", "tracks")} == {
        "pathway": "cst",
        "version": 2,
        "title": "Certified Scrum Trainer",
        "awarding_body": "Scrum Alliance",
        "tracks": ["scrum_master", "product_owner"],
    }
    assert cst2["states"] == ["preparing", "formal_review", "tsa", "certified", "withdrawn"]
    guards = [
        "csp_active",
        "qualifying_events",
        "current_materials_events",
        "recent_experience",
        "learning_objectives_mapped",
    ]
    assert cst2["events"] == [
        row("submit_application", "preparing", "formal_review", CANDIDATE, guards),
        row("withdraw", "preparing", "withdrawn", CANDIDATE_OR_ADMIN),
        row("formal_review_pass", "formal_review", "tsa", STAFF),
        row("formal_review_decline", "formal_review", "preparing", STAFF, note=True),
        row("withdraw", "formal_review", "withdrawn", CANDIDATE_OR_ADMIN),
        row("tsa_pass", "tsa", "certified", STAFF),
        row("tsa_fail", "tsa", "preparing", STAFF, note=True),
        row("withdraw", "tsa", "withdrawn", CANDIDATE_OR_ADMIN),
        # resume returns to the state it was withdrawn from: one row, no fixed target
        row("resume", "withdrawn", None, CANDIDATE_OR_ADMIN),
    ]


def test_requirements_are_listed_with_numbers_and_todays_window(api, cast):
    cst2 = listed(api, cast, "cst@2")
    sixty = {"months": 60, "from": months_before(TODAY, 60).isoformat()}
    assert cst2["requirements"] == [
        {
            "key": "csp_active",
            "label": "Active CSP of the track",
            "target": 1,
            "unit": "item",
            "window": None,
        },
        {
            "key": "qualifying_events",
            "label": "Qualifying training events",
            "target": 10,
            "unit": "qualifying training events",
            "window": sixty,
        },
        {
            "key": "current_materials_events",
            "label": "Qualifying events with current materials",
            "target": 5,
            "unit": "qualifying events with current materials",
            "window": sixty,
        },
        {
            "key": "recent_experience",
            "label": "Scrum experience in the last 84 months",
            "target": 60,
            "unit": "months",
            "window": {"months": 84, "from": months_before(TODAY, 84).isoformat()},
        },
        {
            "key": "learning_objectives_mapped",
            "label": "Learning objectives mapped",
            "target": 1,
            "unit": "item",
            "window": None,
        },
    ]
    pst2 = listed(api, cast, "pst@2")
    assert [(r["key"], r["target"], r["unit"], r["window"]) for r in pst2["requirements"]] == [
        ("scrum_experience", 4, "years", None),
        ("training_provided", 1, "teaching sessions", None),
        ("assessment_95", 1, "item", None),
        ("advanced_assessment_85", 1, "item", None),
    ]


def test_pst_2_is_listed_with_its_three_phases(api, cast):
    pst2 = listed(api, cast, "pst@2")
    assert (pst2["tracks"], pst2["awarding_body"]) == ([], "Scrum.org")
    assert pst2["states"] == [
        "preparing",
        "application_review",
        "knowledge_and_experience",
        "training_skills",
        "licensed",
        "withdrawn",
    ]
    staff_rows = [(e["name"], e["from"], e["to"], e["note_required"]) for e in pst2["events"]]
    assert ("phase_2_fail", "knowledge_and_experience", "knowledge_and_experience", True) in (
        staff_rows
    )
    assert ("phase_3_pass", "training_skills", "licensed", False) in staff_rows


@pytest.mark.parametrize("ruleset", REGISTERED, ids=[r.id for r in REGISTERED])
def test_any_ruleset_lists_one_row_per_event_and_from_state(api, cast, ruleset):
    found = listed(api, cast, ruleset.id)
    pairs = [(e["name"], e["from"]) for e in found["events"]]
    assert len(pairs) == len(set(pairs))
    assert {name for name, _from in pairs} == set(ruleset.who)
    keys = [r["key"] for r in found["requirements"]]
    assert {g for e in found["events"] for g in e["guards"]} == set(keys)
    for event in found["events"]:
        assert event["from"] in found["states"]
        assert event["to"] in found["states"] or (event["name"], event["to"]) == ("resume", None)
        assert event["who"] == [
            role for role in ("candidate", "mentor", "admin") if role in ruleset.who[event["name"]]
        ]
    withdraws = [e["from"] for e in found["events"] if e["name"] == "withdraw"]
    assert "withdrawn" not in withdraws and found["states"][0] in withdraws
    assert [e["from"] for e in found["events"] if e["name"] == "resume"] == ["withdrawn"]


# -- the ruleset and track chosen at enrolment -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "ruleset", "track"),
    [
        ({"pathway": "cst"}, "cst@2", "scrum_master"),
        ({"pathway": "cst", "track": "product_owner"}, "cst@2", "product_owner"),
        (
            {"pathway": "cst", "ruleset": "cst@2", "track": "product_owner"},
            "cst@2",
            "product_owner",
        ),
        ({"pathway": "cst", "ruleset": "cst@2", "track": None}, "cst@2", "scrum_master"),
        ({"pathway": "cst", "ruleset": "cst@1"}, "cst@1", None),
        ({"pathway": "cst", "ruleset": None}, "cst@2", "scrum_master"),
        ({"pathway": "pst"}, "pst@2", None),
        ({"pathway": "pst", "ruleset": "pst@1"}, "pst@1", None),
    ],
)
def test_a_new_enrollment_follows_the_ruleset_and_track_asked_for(api, cast, body, ruleset, track):
    response = enrol(api, cast, body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (created["ruleset"], created["track"], created["state"]) == (ruleset, track, "preparing")
    assert created["history"] == []
    expected = next(r for r in REGISTERED if r.id == ruleset)
    assert [r["key"] for r in created["requirements"]] == expected.guards_leaving("preparing")
    assert api.get(f"/enrollments/{created['id']}", cast.token("candidate")).get_json() == created


def test_an_admin_may_enrol_a_candidate_in_an_older_ruleset(api, cast):
    response = enrol(api, cast, {"pathway": "pst", "ruleset": "pst@1"}, who="admin")
    assert response.status_code == 201
    assert response.get_json()["ruleset"] == "pst@1"


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"pathway": "cst", "ruleset": "pst@2"}, {"ruleset": "must be one of: cst@1, cst@2"}),
        ({"pathway": "pst", "ruleset": "cst@1"}, {"ruleset": "must be one of: pst@1, pst@2"}),
        ({"pathway": "cst", "ruleset": "cst@9"}, {"ruleset": "must be one of: cst@1, cst@2"}),
        ({"pathway": "cst", "ruleset": 2}, {"ruleset": "must be text"}),
        (
            {"pathway": "cst", "ruleset": "cst@1", "track": "scrum_master"},
            {"track": "cst@1 has no tracks"},
        ),
        ({"pathway": "pst", "track": "product_owner"}, {"track": "pst@2 has no tracks"}),
        (
            {"pathway": "cst", "track": "agile_coach"},
            {"track": "must be one of: scrum_master, product_owner"},
        ),
        ({"pathway": "cst", "track": True}, {"track": "must be text"}),
        ({"pathway": "cst", "edition": "2024"}, {"edition": "unknown field"}),
        ({"ruleset": "cst@2"}, {"pathway": "required"}),
    ],
)
def test_a_ruleset_or_track_that_does_not_fit_is_422(api, cast, unchanged, body, details):
    with unchanged():
        response = enrol(api, cast, body)
    assert error_of(response) == (422, "validation_error", details)


def test_a_second_enrollment_is_409_whatever_ruleset_is_asked_for(
    api, cast, make_enrollment, unchanged
):
    make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    with unchanged():
        response = enrol(api, cast, {"pathway": "cst", "ruleset": "cst@2"})
    assert error_of(response)[:2] == (409, "conflict")


# 401 → 404 → 400 → 422 (body) → 403 (role) → 409 (duplicate), each pair failing both.
@pytest.mark.parametrize(
    ("who", "candidate", "raw", "body", "expected"),
    [
        (None, "missing", None, {"pathway": "cst", "ruleset": "pst@1"}, (401, "unauthenticated")),
        ("other_mentor", "own", "{not json", None, (404, "not_found")),
        ("admin", "missing", None, {"pathway": "cst", "ruleset": "pst@1"}, (404, "not_found")),
        ("candidate", "own", '["cst"]', None, (400, "bad_request")),
        ("mentor", "own", None, {"pathway": "cst", "ruleset": "pst@1"}, (422, "validation_error")),
        ("mentor", "own", None, {"pathway": "cst", "track": "po"}, (422, "validation_error")),
        ("mentor", "own", None, {"pathway": "pst", "ruleset": "pst@1"}, (403, "forbidden")),
        (
            "candidate",
            "own",
            None,
            {"pathway": "pst", "ruleset": "cst@2"},
            (422, "validation_error"),
        ),
    ],
    ids=[
        "401 before 404",
        "404 before 400",
        "404 before 422",
        "400 before 422",
        "422 ruleset before 403",
        "422 track before 403",
        "403",
        "422 before 409",
    ],
)
def test_enrolling_checks_in_the_contracts_order(
    api, cast, make_enrollment, unchanged, who, candidate, raw, body, expected
):
    make_enrollment(cast.candidate, "pst", ruleset="pst@2")  # so a valid pst body is a duplicate
    candidate_id = cast.candidate.id if candidate == "own" else 999_999
    token = cast.token(who) if who else None
    with unchanged():
        response = api.call(
            "POST", f"/candidates/{candidate_id}/enrollments", token, body, data=raw
        )
    assert error_of(response)[:2] == expected


def test_a_cst_2_enrollment_on_the_product_owner_track_counts_po_courses_and_csp_po(
    api, cast, make_evidence
):
    make_evidence(cast.candidate, "credentials", kind="csp_po", issued_on=days_ago(100))
    for course_type in ("product_owner", "product_owner", "scrum_master"):
        make_evidence(
            cast.candidate,
            "teaching-sessions",
            course_type=course_type,
            reflection="Shortened the backlog module after student feedback.",
            with_current_materials=True,
        )
    body = enrol(api, cast, {"pathway": "cst", "track": "product_owner"}).get_json()
    assert (body["ruleset"], body["track"]) == ("cst@2", "product_owner")
    assert requirement(body, "csp_active")["met"] is True
    assert requirement(body, "qualifying_events")["current"] == 2
    assert requirement(body, "current_materials_events")["current"] == 2


# -- window, ageing and forecast in the requirement object ----------------------------------

REFLECTION = "Changed the timebox after co-trainer feedback."


def test_requirements_report_their_window_ageing_and_forecast(api, cast, make_evidence):
    old_day = months_before(TODAY, 59)  # inside the 60-month window, leaving it next month
    for first_day in (old_day, days_ago(30), days_ago(60)):
        make_evidence(
            cast.candidate, "teaching-sessions", first_day=first_day, reflection=REFLECTION
        )
    make_evidence(
        cast.candidate, "experience", role="agile_coach", started_on=days_ago(400), ended_on=None
    )
    body = enrol(api, cast, {"pathway": "cst"}).get_json()
    sixty = {"months": 60, "from": months_before(TODAY, 60).isoformat()}

    qualifying = requirement(body, "qualifying_events")
    assert (qualifying["current"], qualifying["met"], qualifying["window"]) == (3, False, sixty)
    assert qualifying["ageing"] == [{"on": leaves_window(old_day, 60).isoformat(), "current": 2}]
    # Two events in the last 365 days: 2/12 a month. After the old one leaves, 2 remain
    # inside, so 12*2 + k*2 >= 12*10 first holds at the 48th checkpoint.
    assert qualifying["forecast"] == {
        "met_by": first_of_month_after(TODAY, 48).isoformat(),
        "pace_per_month": 0.17,
    }

    materials = requirement(body, "current_materials_events")
    assert (materials["current"], materials["window"], materials["ageing"]) == (0, sixty, [])
    assert materials["forecast"] == {"met_by": None, "pace_per_month": 0.0}  # not at this pace

    experience = requirement(body, "recent_experience")
    assert experience["window"] == {"months": 84, "from": months_before(TODAY, 84).isoformat()}
    assert (experience["current"], experience["unit"], experience["ageing"]) == (13.1, "months", [])
    # The ongoing period reaches 1827 days (60 months) 1827 days after it started.
    assert experience["forecast"] == {
        "met_by": (days_ago(400) + timedelta(days=1827)).isoformat(),
        "pace_per_month": None,
    }

    for yes_no in ("csp_active", "learning_objectives_mapped"):
        found = requirement(body, yes_no)
        assert (found["window"], found["ageing"], found["forecast"]) == (None, [], None)


def test_a_met_windowed_count_warns_of_what_ages_out_and_has_no_forecast(api, cast, make_evidence):
    leaving_soon = [months_before(TODAY, 59), months_before(TODAY, 58)]
    for first_day in [*leaving_soon, *(days_ago(10 + n) for n in range(8))]:
        make_evidence(
            cast.candidate, "teaching-sessions", first_day=first_day, reflection=REFLECTION
        )
    body = enrol(api, cast, {"pathway": "cst"}).get_json()
    qualifying = requirement(body, "qualifying_events")
    assert (qualifying["met"], qualifying["current"], qualifying["forecast"]) == (True, 10, None)
    assert qualifying["ageing"] == [
        {"on": leaves_window(leaving_soon[0], 60).isoformat(), "current": 9},
        {"on": leaves_window(leaving_soon[1], 60).isoformat(), "current": 8},
    ]


def test_a_first_version_requirement_has_no_window_but_a_forecast(api, cast, make_evidence):
    make_evidence(cast.candidate, "teaching-sessions", students=73, first_day=days_ago(30))
    body = enrol(api, cast, {"pathway": "cst", "ruleset": "cst@1"}).get_json()
    students = requirement(body, "students_taught")
    assert (students["window"], students["ageing"]) == (None, [])
    # 73 in the last year: 12*73 + k*73 >= 12*100 first holds for k = 5.
    assert students["forecast"] == {
        "met_by": first_of_month_after(TODAY, 5).isoformat(),
        "pace_per_month": 6.08,
    }
