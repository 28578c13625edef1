"""Evidence through the API: add, list page by page, correct, delete and review."""

from __future__ import annotations

import pytest

from .conftest import Api, Cast, error_of
from .helpers import KINDS, iso_days_ago, valid_body

REVIEW_FIELDS = {
    "id",
    "candidate_id",
    "review_status",
    "review_note",
    "reviewed_by",
    "reviewed_at",
    "created_at",
}
# What an item stores for optional fields the body leaves out (pathways.md §6).
LEFT_OUT = {
    "teaching-sessions": {
        "share_delivered": 100,
        "with_current_materials": False,
        "reflection": "",
    },
}
# Read-only fields an item carries beside its own (api.md).
READ_ONLY = {"credentials": {"valid_until"}}


def add(api: Api, cast: Cast, kind: str, /, **changes):
    """Log an item of ``kind`` as the candidate and return its JSON."""
    response = api.post(
        f"/candidates/{cast.candidate.id}/{kind}",
        cast.token("candidate"),
        valid_body(kind) | changes,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_item_comes_back_with_its_fields_and_a_pending_review(api, cast, kind):
    item = add(api, cast, kind)
    body = valid_body(kind)
    left_out = LEFT_OUT.get(kind, {})
    assert set(item) == REVIEW_FIELDS | set(body) | set(left_out) | READ_ONLY.get(kind, set())
    assert {name: item[name] for name in body} == body
    assert {name: item[name] for name in left_out} == left_out
    assert item["candidate_id"] == cast.candidate.id
    assert item["review_status"] == "pending"
    assert (item["review_note"], item["reviewed_by"], item["reviewed_at"]) == (None, None, None)
    assert item["created_at"].endswith("Z")


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_item_is_listed_for_the_candidate_and_the_mentor(api, cast, kind):
    item = add(api, cast, kind)
    for who in ("candidate", "mentor", "admin"):
        page = api.get(f"/candidates/{cast.candidate.id}/{kind}", cast.token(who)).get_json()
        assert page["items"] == [item]


def test_lists_are_newest_first_with_the_total(api, cast):
    titles = [f"Session {n}" for n in range(1, 8)]
    for title in titles:
        add(api, cast, "teaching-sessions", title=title)
    page = api.get(
        f"/candidates/{cast.candidate.id}/teaching-sessions", cast.token("mentor")
    ).get_json()
    assert [item["title"] for item in page["items"]] == titles[::-1]
    assert (page["page"], page["per_page"], page["total"]) == (1, 50, 7)


@pytest.mark.parametrize(
    ("page", "per_page", "expected"),
    [
        (1, 3, [7, 6, 5]),
        (2, 3, [4, 3, 2]),
        (3, 3, [1]),
        (4, 3, []),
        (1, 1, [7]),
        (7, 1, [1]),
        (1, 100, [7, 6, 5, 4, 3, 2, 1]),
    ],
)
def test_pages_split_the_list_and_always_report_the_total(api, cast, page, per_page, expected):
    for n in range(1, 8):
        add(api, cast, "milestones", note=f"#{n}")
    body = api.get(
        f"/candidates/{cast.candidate.id}/milestones",
        cast.token("candidate"),
        query={"page": page, "per_page": per_page},
    ).get_json()
    assert [item["note"] for item in body["items"]] == [f"#{n}" for n in expected]
    assert (body["page"], body["per_page"], body["total"]) == (page, per_page, 7)


def test_another_candidates_items_are_not_listed(api, cast, make_evidence):
    make_evidence(cast.other_candidate, "milestones")
    page = api.get(f"/candidates/{cast.candidate.id}/milestones", cast.token("admin")).get_json()
    assert (page["items"], page["total"]) == ([], 0)


def test_patch_merges_the_changes_and_keeps_the_rest(api, cast):
    item = add(api, cast, "teaching-sessions")
    response = api.patch(
        f"/evidence/teaching-sessions/{item['id']}", cast.token("candidate"), {"students": 20}
    )
    assert response.status_code == 200
    assert response.get_json() == item | {"students": 20}


def test_the_new_teaching_session_fields_are_stored_and_a_patch_keeps_them(api, cast):
    given = {
        "share_delivered": 60,
        "with_current_materials": True,
        "reflection": "  Moved the Sprint Review exercise to day one.  ",
    }
    item = add(api, cast, "teaching-sessions", **given)
    assert (item["share_delivered"], item["with_current_materials"], item["reflection"]) == (
        60,
        True,
        "Moved the Sprint Review exercise to day one.",
    )
    path = f"/evidence/teaching-sessions/{item['id']}"
    kept = api.patch(path, cast.token("candidate"), {"students": 20}).get_json()
    assert kept == item | {"students": 20}
    changed = api.patch(
        path, cast.token("candidate"), {"with_current_materials": False, "share_delivered": 50}
    ).get_json()
    assert (changed["with_current_materials"], changed["share_delivered"]) == (False, 50)
    assert changed["reflection"] == item["reflection"]


def test_a_text_field_is_held_to_its_documented_length_as_sent(api, cast):
    """The API is strict: the document's maxLength is that of the JSON string sent, and
    the service then stores it trimmed (whatever passes here fits there too)."""
    reflection = ("r" * 499 + "\n") * 9 + "r" * 500
    item = add(api, cast, "teaching-sessions", title="  " + "t" * 198, reflection=reflection)
    assert (item["title"], item["reflection"]) == ("t" * 198, reflection)
    padded = {"title": "   " + "t" * 198}
    response = api.post(
        f"/candidates/{cast.candidate.id}/teaching-sessions",
        cast.token("candidate"),
        valid_body("teaching-sessions") | padded,
    )
    assert error_of(response) == (
        422,
        "validation_error",
        {"title": "must be at most 200 characters"},
    )


def test_an_experience_period_as_agile_coach_is_logged(api, cast):
    assert add(api, cast, "experience", role="agile_coach")["role"] == "agile_coach"


@pytest.mark.parametrize(
    ("kind", "issued_on", "expires_on", "valid_until"),
    [
        ("csm", "2024-02-29", None, "2026-02-28"),  # 29 February → 28 February
        ("cspo", "2023-05-10", None, "2025-05-10"),
        ("csp_po", "2023-12-31", None, "2025-12-31"),
        ("csp_sm", "2024-01-01", "2024-06-30", "2024-06-30"),  # as entered
        ("psm_1", "2024-02-29", None, None),  # Scrum.org credentials never expire
        ("psm_1", "2024-02-29", "2027-01-01", "2027-01-01"),
        ("other", "2020-01-01", None, None),
    ],
)
def test_a_credential_carries_its_end_of_validity(
    api, cast, kind, issued_on, expires_on, valid_until
):
    item = add(api, cast, "credentials", kind=kind, issued_on=issued_on, expires_on=expires_on)
    assert (item["expires_on"], item["valid_until"]) == (expires_on, valid_until)
    listed = api.get(f"/candidates/{cast.candidate.id}/credentials", cast.token("mentor"))
    assert listed.get_json()["items"][0]["valid_until"] == valid_until


def test_changing_a_credential_recomputes_its_end_of_validity(api, cast):
    item = add(api, cast, "credentials", kind="csm", issued_on="2024-02-29", expires_on=None)
    path = f"/evidence/credentials/{item['id']}"
    moved = api.patch(path, cast.token("candidate"), {"issued_on": "2024-03-01"}).get_json()
    assert moved["valid_until"] == "2026-03-01"
    entered = api.patch(path, cast.token("candidate"), {"expires_on": "2025-01-31"}).get_json()
    assert entered["valid_until"] == "2025-01-31"
    cleared = api.patch(path, cast.token("candidate"), {"expires_on": None}).get_json()
    assert cleared["valid_until"] == "2026-03-01"


def test_valid_until_is_read_only(api, cast, unchanged):
    item = add(api, cast, "credentials", kind="csm", issued_on="2024-02-29", expires_on=None)
    with unchanged():
        patched = api.patch(
            f"/evidence/credentials/{item['id']}",
            cast.token("candidate"),
            {"valid_until": "2030-01-01"},
        )
    assert error_of(patched) == (422, "validation_error", {"valid_until": "unknown field"})


def test_patch_validates_the_whole_merged_item(api, cast, unchanged):
    item = add(api, cast, "credentials", issued_on=iso_days_ago(50), expires_on=None)
    with unchanged():
        response = api.patch(
            f"/evidence/credentials/{item['id']}",
            cast.token("candidate"),
            {"expires_on": iso_days_ago(60)},
        )
    assert error_of(response) == (
        422,
        "validation_error",
        {"expires_on": "must be after the issue date"},
    )


def test_patch_can_clear_an_optional_field(api, cast):
    item = add(api, cast, "teaching-sessions", context="independent")
    response = api.patch(
        f"/evidence/teaching-sessions/{item['id']}", cast.token("candidate"), {"location": None}
    )
    assert response.get_json()["location"] is None


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        ({"title": None}, {"title": "required"}),
        ({"days": "3"}, {"days": "must be a whole number"}),
        ({"room": "4B"}, {"room": "unknown field"}),
        (
            {"context": "co_trained", "co_trainer": None},
            {"co_trainer": "required when the session was co-trained with a CST"},
        ),
    ],
)
def test_an_invalid_patch_is_422_and_changes_nothing(api, cast, unchanged, changes, details):
    item = add(api, cast, "teaching-sessions")
    with unchanged():
        response = api.patch(
            f"/evidence/teaching-sessions/{item['id']}", cast.token("candidate"), changes
        )
    assert error_of(response) == (422, "validation_error", details)


def test_editing_a_rejected_item_puts_it_back_to_pending(api, cast):
    item = add(api, cast, "assessments")
    rejected = api.post(
        f"/evidence/assessments/{item['id']}/review",
        cast.token("mentor"),
        {"decision": "rejected", "note": "Attach the certificate."},
    ).get_json()
    assert (rejected["review_status"], rejected["review_note"]) == (
        "rejected",
        "Attach the certificate.",
    )
    assert rejected["reviewed_by"] == cast.mentor.id
    corrected = api.patch(
        f"/evidence/assessments/{item['id']}", cast.token("candidate"), {"score": 97}
    ).get_json()
    assert corrected["review_status"] == "pending"
    assert (corrected["review_note"], corrected["reviewed_by"], corrected["reviewed_at"]) == (
        None,
        None,
        None,
    )
    assert corrected["score"] == 97


@pytest.mark.parametrize("kind", KINDS)
def test_a_verified_item_can_no_longer_be_changed_or_deleted(api, cast, unchanged, kind):
    item = add(api, cast, kind)
    api.post(f"/evidence/{kind}/{item['id']}/review", cast.token("admin"), {"decision": "verified"})
    with unchanged():
        edit = api.patch(f"/evidence/{kind}/{item['id']}", cast.token("candidate"), {})
        delete = api.delete(f"/evidence/{kind}/{item['id']}", cast.token("candidate"))
    assert error_of(edit)[:2] == (409, "invalid_state")
    assert error_of(delete)[:2] == (409, "invalid_state")


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_pending_and_rejected_items_can_be_deleted(api, cast, make_evidence, status):
    item = make_evidence(cast.candidate, "experience", status)
    assert api.delete(f"/evidence/experience/{item.id}", cast.token("candidate")).status_code == 204
    listed = api.get(f"/candidates/{cast.candidate.id}/experience", cast.token("candidate"))
    assert listed.get_json()["total"] == 0
    again = api.delete(f"/evidence/experience/{item.id}", cast.token("candidate"))
    assert error_of(again)[:2] == (404, "not_found")


@pytest.mark.parametrize("decision", ["verified", "rejected"])
def test_the_mentor_reviews_a_pending_item(api, cast, decision):
    item = add(api, cast, "milestones")
    response = api.post(
        f"/evidence/milestones/{item['id']}/review",
        cast.token("mentor"),
        {"decision": decision, "note": "  Checked against the panel letter.  "},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["review_status"] == decision
    assert body["review_note"] == "Checked against the panel letter."
    assert body["reviewed_by"] == cast.mentor.id
    assert body["reviewed_at"].endswith("Z")


def test_a_review_note_longer_than_2000_characters_is_422(api, cast, unchanged):
    item = add(api, cast, "milestones")
    path = f"/evidence/milestones/{item['id']}/review"
    with unchanged():
        response = api.post(
            path, cast.token("mentor"), {"decision": "rejected", "note": "n" * 2001}
        )
    assert error_of(response) == (
        422,
        "validation_error",
        {"note": "must be at most 2000 characters"},
    )
    done = api.post(path, cast.token("mentor"), {"decision": "rejected", "note": "n" * 2000})
    assert done.get_json()["review_note"] == "n" * 2000


@pytest.mark.parametrize("status", ["verified", "rejected"])
def test_an_item_that_is_not_pending_cannot_be_reviewed_again(
    api, cast, make_evidence, unchanged, status
):
    item = make_evidence(cast.candidate, "milestones", status)
    with unchanged():
        response = api.post(
            f"/evidence/milestones/{item.id}/review",
            cast.token("admin"),
            {"decision": "verified"},
        )
    assert error_of(response)[:2] == (409, "invalid_state")


def test_an_unknown_kind_is_404(api, cast):
    response = api.get(f"/candidates/{cast.candidate.id}/homework", cast.token("admin"))
    assert error_of(response)[:2] == (404, "not_found")
    response = api.patch("/evidence/homework/1", cast.token("candidate"), {})
    assert error_of(response)[:2] == (404, "not_found")


def test_an_item_is_not_found_under_another_kind(api, cast):
    item = add(api, cast, "milestones")
    response = api.patch(f"/evidence/credentials/{item['id']}", cast.token("candidate"), {})
    assert error_of(response)[:2] == (404, "not_found")


def test_the_candidate_summary_counts_evidence_by_status(api, cast, make_evidence):
    make_evidence(cast.candidate, "milestones", "verified")
    make_evidence(cast.candidate, "milestones", "pending")
    make_evidence(cast.candidate, "milestones", "pending")
    make_evidence(cast.candidate, "credentials", "rejected")
    make_evidence(cast.other_candidate, "credentials", "verified")
    body = api.get(f"/candidates/{cast.candidate.id}", cast.token("mentor")).get_json()
    zero = {"verified": 0, "pending": 0, "rejected": 0}
    assert body == {
        "id": cast.candidate.id,
        "name": "Cora Candidate",
        "email": "cora@example.org",
        "evidence": {
            "teaching-sessions": zero,
            "assessments": zero,
            "credentials": zero | {"rejected": 1},
            "experience": zero,
            "milestones": {"verified": 1, "pending": 2, "rejected": 0},
        },
        "enrollments": [],
    }


def test_the_candidate_list_shows_enrollments_and_pending_reviews(
    api, cast, make_evidence, make_enrollment, assign
):
    make_evidence(cast.candidate, "milestones", "pending")
    make_evidence(cast.candidate, "assessments", "pending")
    make_evidence(cast.candidate, "credentials", "verified")
    enrollment = make_enrollment(cast.candidate, "pst", state="ttt")
    body = api.get("/candidates", cast.token("mentor")).get_json()
    assert body == {
        "items": [
            {
                "id": cast.candidate.id,
                "name": "Cora Candidate",
                "email": "cora@example.org",
                "enrollments": [{"id": enrollment.id, "pathway": "pst", "state": "ttt"}],
                "pending_reviews": 2,
            }
        ],
        "page": 1,
        "per_page": 50,
        "total": 1,
    }


def test_an_admin_lists_every_candidate_newest_first(api, cast, make_user):
    newest = make_user(name="Nia Newest")
    body = api.get("/candidates", cast.token("admin"), query={"per_page": 2}).get_json()
    assert [c["id"] for c in body["items"]] == [newest.id, cast.other_candidate.id]
    assert body["total"] == 3
