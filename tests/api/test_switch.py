"""POST /enrollments/{id}/ruleset: switching an enrollment to another ruleset or track of
its pathway while preparing (api.md; pathways.md §6 "Switching")."""

from __future__ import annotations

import pytest

from .conftest import Api, Cast, error_of

CST_1_KEYS = [
    "csp_active",
    "students_taught",
    "multi_day_sm_sessions",
    "course_materials_reviewed",
    "scrum_experience",
]
CST_2_KEYS = [
    "csp_active",
    "qualifying_events",
    "current_materials_events",
    "recent_experience",
    "learning_objectives_mapped",
]


def switch(api: Api, cast: Cast, enrollment_id: int, body, who: str | None = "candidate"):
    """Ask to switch the enrollment's ruleset as ``who``."""
    token = cast.token(who) if who else None
    return api.post(f"/enrollments/{enrollment_id}/ruleset", token, body)


def last_entry(body: dict) -> tuple:
    """The newest history entry: event, from, to, note, actor."""
    entry = body["history"][-1]
    return entry["event"], entry["from"], entry["to"], entry["note"], entry["actor_id"]


def test_switching_cst_1_to_cst_2_and_back(api, cast, make_enrollment):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    response = switch(api, cast, enrollment.id, {"ruleset": "cst@2"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["ruleset"], body["track"], body["state"]) == (
        enrollment.id,
        "cst@2",
        "scrum_master",
        "preparing",
    )
    assert [r["key"] for r in body["requirements"]] == CST_2_KEYS
    assert last_entry(body) == (
        "switch_ruleset",
        "preparing",
        "preparing",
        "cst@1 → cst@2 (scrum_master)",
        cast.candidate.id,
    )
    back = switch(api, cast, enrollment.id, {"ruleset": "cst@1"}).get_json()
    assert (back["ruleset"], back["track"], back["state"]) == ("cst@1", None, "preparing")
    assert [r["key"] for r in back["requirements"]] == CST_1_KEYS
    assert [h["note"] for h in back["history"]] == [
        "cst@1 → cst@2 (scrum_master)",
        "cst@2 (scrum_master) → cst@1",
    ]
    assert api.get(f"/enrollments/{enrollment.id}", cast.token("candidate")).get_json() == back


def test_switching_to_cst_2_on_the_product_owner_track(api, cast, make_enrollment, make_evidence):
    make_evidence(cast.candidate, "credentials", kind="csp_po")
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    body = switch(
        api, cast, enrollment.id, {"ruleset": "cst@2", "track": "product_owner"}, "admin"
    ).get_json()
    assert (body["ruleset"], body["track"]) == ("cst@2", "product_owner")
    assert next(r for r in body["requirements"] if r["key"] == "csp_active")["met"] is True
    assert last_entry(body)[3:] == ("cst@1 → cst@2 (product_owner)", cast.admin.id)


def test_changing_the_track_names_both_tracks_and_measures_the_new_one(
    api, cast, make_enrollment, make_evidence
):
    make_evidence(cast.candidate, "credentials", kind="csp_po")
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@2", track="scrum_master")
    before = api.get(f"/enrollments/{enrollment.id}", cast.token("candidate")).get_json()
    assert next(r for r in before["requirements"] if r["key"] == "csp_active")["met"] is False
    body = switch(
        api, cast, enrollment.id, {"ruleset": "cst@2", "track": "product_owner"}
    ).get_json()
    assert (body["ruleset"], body["track"]) == ("cst@2", "product_owner")
    assert next(r for r in body["requirements"] if r["key"] == "csp_active")["met"] is True
    assert last_entry(body)[:4] == (
        "switch_ruleset",
        "preparing",
        "preparing",
        "cst@2: scrum_master → product_owner",
    )


def test_switching_pst_keeps_everything_else(api, cast, make_enrollment, make_evidence):
    make_evidence(cast.candidate, "assessments", assessment="pspo_1", score=96.0)
    enrollment = make_enrollment(cast.candidate, "pst", ruleset="pst@2")
    before = api.get(f"/enrollments/{enrollment.id}", cast.token("candidate")).get_json()
    body = switch(api, cast, enrollment.id, {"ruleset": "pst@1", "track": None}).get_json()
    assert (body["ruleset"], body["track"], body["state"]) == ("pst@1", None, "preparing")
    assert body["created_at"] == before["created_at"]
    assert next(r for r in body["requirements"] if r["key"] == "pspo1_95")["met"] is True
    listed = api.get(f"/candidates/{cast.candidate.id}/assessments", cast.token("candidate"))
    assert listed.get_json()["items"][0]["review_status"] == "verified"


def test_the_export_carries_the_switched_ruleset_and_track(api, cast, make_enrollment):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    switch(api, cast, enrollment.id, {"ruleset": "cst@2", "track": "product_owner"})
    export = api.get(f"/candidates/{cast.candidate.id}/export", cast.token("candidate")).get_json()
    (exported,) = export["enrollments"]
    assert (exported["ruleset"], exported["track"]) == ("cst@2", "product_owner")
    assert [(h["event"], h["note"]) for h in exported["history"]] == [
        ("switch_ruleset", "cst@1 → cst@2 (product_owner)")
    ]


@pytest.mark.parametrize(
    ("ruleset", "track", "body"),
    [
        ("cst@2", "scrum_master", {"ruleset": "cst@2"}),
        ("cst@2", "product_owner", {"ruleset": "cst@2"}),  # no track: the enrollment's own
        ("cst@2", "product_owner", {"ruleset": "cst@2", "track": "product_owner"}),
        ("cst@1", None, {"ruleset": "cst@1"}),
    ],
)
def test_the_same_ruleset_and_track_is_422_unchanged(
    api, cast, make_enrollment, unchanged, ruleset, track, body
):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset=ruleset, track=track)
    with unchanged():
        response = switch(api, cast, enrollment.id, body)
    assert error_of(response) == (422, "validation_error", {"ruleset": "unchanged"})


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"ruleset": "pst@2"}, {"ruleset": "must be one of: cst@1, cst@2"}),
        ({"ruleset": "cst@3"}, {"ruleset": "must be one of: cst@1, cst@2"}),
        ({"ruleset": 2}, {"ruleset": "must be text"}),
        ({}, {"ruleset": "required"}),
        ({"ruleset": None}, {"ruleset": "required"}),
        ({"ruleset": "cst@1", "track": "scrum_master"}, {"track": "cst@1 has no tracks"}),
        (
            {"ruleset": "cst@2", "track": "agile_coach"},
            {"track": "must be one of: scrum_master, product_owner"},
        ),
        ({"ruleset": "cst@2", "note": "why not"}, {"note": "unknown field"}),
    ],
)
def test_a_ruleset_or_track_that_does_not_fit_is_422(
    api, cast, make_enrollment, unchanged, body, details
):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    with unchanged():
        response = switch(api, cast, enrollment.id, body)
    assert error_of(response) == (422, "validation_error", details)


@pytest.mark.parametrize("state", ["tac_review", "interview", "certified", "withdrawn"])
def test_switching_outside_preparing_is_409_invalid_state(
    api, cast, make_enrollment, unchanged, state
):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1", state=state)
    with unchanged():
        response = switch(api, cast, enrollment.id, {"ruleset": "cst@2"})
    assert error_of(response)[:2] == (409, "invalid_state")


def test_a_mentor_may_not_switch_and_others_do_not_see_the_enrollment(
    api, cast, make_enrollment, unchanged
):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    with unchanged():
        by_mentor = switch(api, cast, enrollment.id, {"ruleset": "cst@2"}, "mentor")
        by_strangers = [
            switch(api, cast, enrollment.id, {"ruleset": "cst@2"}, who)
            for who in ("other_mentor", "other_candidate")
        ]
        missing = switch(api, cast, 999_999, {"ruleset": "cst@2"}, "admin")
    assert error_of(by_mentor)[:2] == (403, "forbidden")
    assert all(error_of(r)[:2] == (404, "not_found") for r in [*by_strangers, missing])


# 401 → 404 → 400 → 422 (body) → 403 (role) → 409 (state) → 422 (unchanged); each case
# fails both checks of its pair, so only the order decides the answer.
ORDER = [
    ("401 before 404", None, "missing", None, "{not json", (401, "unauthenticated")),
    ("404 before 400", "other_mentor", "preparing", None, "{not json", (404, "not_found")),
    (
        "404 before 422",
        "other_candidate",
        "preparing",
        {"ruleset": "pst@1"},
        None,
        (404, "not_found"),
    ),
    ("400 before 422", "mentor", "preparing", None, '["cst@2"]', (400, "bad_request")),
    (
        "422 before 403",
        "mentor",
        "preparing",
        {"ruleset": "pst@1"},
        None,
        (422, "validation_error"),
    ),
    (
        "422 track before 403",
        "mentor",
        "preparing",
        {"ruleset": "cst@1", "track": "scrum_master"},
        None,
        (422, "validation_error"),
    ),
    ("403 before 409", "mentor", "tac_review", {"ruleset": "cst@2"}, None, (403, "forbidden")),
    (
        "422 before 409",
        "candidate",
        "tac_review",
        {"ruleset": "pst@2"},
        None,
        (422, "validation_error"),
    ),
    (
        "409 before unchanged",
        "candidate",
        "tac_review",
        {"ruleset": "cst@1"},
        None,
        (409, "invalid_state"),
    ),
    ("403 before unchanged", "mentor", "preparing", {"ruleset": "cst@1"}, None, (403, "forbidden")),
]


@pytest.mark.parametrize(
    ("who", "state", "body", "raw", "expected"),
    [case[1:] for case in ORDER],
    ids=[case[0] for case in ORDER],
)
def test_switching_checks_in_the_contracts_order(
    api, cast, make_enrollment, unchanged, who, state, body, raw, expected
):
    enrollment_id = 999_999
    if state != "missing":
        enrollment_id = make_enrollment(cast.candidate, "cst", ruleset="cst@1", state=state).id
    token = cast.token(who) if who else None
    with unchanged():
        response = api.call("POST", f"/enrollments/{enrollment_id}/ruleset", token, body, data=raw)
    assert error_of(response)[:2] == expected


def test_an_admins_switch_of_track_is_told_as_one(api, cast, make_enrollment):
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@2")
    body = {"ruleset": "cst@2", "track": "product_owner"}
    assert switch(api, cast, enrollment.id, body, who="admin").status_code == 200
    (told,) = api.get("/notifications", cast.token("candidate")).get_json()["items"]
    assert "Switched track" in told["message"] and "other rules" not in told["message"]
