"""The export: the candidate's whole record as one JSON document, theirs to take along."""

from __future__ import annotations

from datetime import date

import pytest

from trainerpath.models import Feedback

from .conftest import Api, Cast, error_of
from .helpers import KINDS, valid_body


@pytest.fixture
def record(api: Api, cast: Cast, session, make_evidence, make_user):
    """A record with something of everything, built through the API where it can be."""
    candidate, mentor = cast.token("candidate"), cast.token("mentor")
    items = {}
    for kind in KINDS:
        ids = []
        for decision in ("verified", "rejected", None):
            item = api.post(f"/candidates/{cast.candidate.id}/{kind}", candidate, valid_body(kind))
            ids.append(item.get_json()["id"])
            if decision:
                api.post(
                    f"/evidence/{kind}/{ids[-1]}/review",
                    mentor,
                    {"decision": decision, "note": f"{decision} by Mia"},
                )
        items[kind] = ids
    make_evidence(cast.other_candidate, "milestones")  # must not leak into the export
    pst = api.post(
        f"/candidates/{cast.candidate.id}/enrollments",
        candidate,
        {"pathway": "pst", "ruleset": "pst@1"},
    )
    pst_id = pst.get_json()["id"]
    api.post(f"/enrollments/{pst_id}/transitions", candidate, {"event": "withdraw", "note": "Busy"})
    api.post(f"/enrollments/{pst_id}/transitions", candidate, {"event": "resume"})
    api.post(
        f"/candidates/{cast.candidate.id}/enrollments",
        candidate,
        {"pathway": "cst", "track": "product_owner"},
    )
    former = make_user("mentor", name="Fred Former")
    assigned = api.post(
        "/mentorships",
        cast.token("admin"),
        {"mentor_id": former.id, "candidate_id": cast.candidate.id},
    ).get_json()
    api.delete(f"/mentorships/{assigned['id']}", cast.token("admin"))
    session.add(
        Feedback(
            candidate_id=cast.candidate.id or 0,
            author_id=cast.mentor.id or 0,
            enrollment_id=pst_id,
            body="Good progress.",
        )
    )
    session.commit()
    return {"items": items, "pst": pst_id, "former": former}


def test_the_export_holds_every_item_with_its_review(api, cast, record):
    export = api.get(f"/candidates/{cast.candidate.id}/export", cast.token("candidate")).get_json()
    assert set(export["evidence"]) == set(KINDS)
    for kind in KINDS:
        exported = export["evidence"][kind]
        assert [item["id"] for item in exported] == record["items"][kind]  # oldest first
        assert [item["review_status"] for item in exported] == ["verified", "rejected", "pending"]
        assert [item["review_note"] for item in exported] == [
            "verified by Mia",
            "rejected by Mia",
            None,
        ]
        assert all(item["candidate_id"] == cast.candidate.id for item in exported)
        listed = api.get(
            f"/candidates/{cast.candidate.id}/{kind}", cast.token("candidate")
        ).get_json()["items"]
        assert exported == listed[::-1]  # the same item objects as the lists


def test_the_export_holds_every_enrollment_with_ruleset_track_and_full_history(api, cast, record):
    export = api.get(f"/candidates/{cast.candidate.id}/export", cast.token("admin")).get_json()
    pst, cst = export["enrollments"]
    assert (pst["id"], pst["pathway"], pst["ruleset"], pst["track"], pst["state"]) == (
        record["pst"],
        "pst",
        "pst@1",
        None,
        "preparing",
    )
    assert [(h["event"], h["from"], h["to"], h["note"]) for h in pst["history"]] == [
        ("withdraw", "preparing", "withdrawn", "Busy"),
        ("resume", "withdrawn", "preparing", None),
    ]
    assert (cst["ruleset"], cst["track"], cst["state"], cst["history"]) == (
        "cst@2",
        "product_owner",
        "preparing",
        [],
    )


def test_the_export_holds_the_profile_mentorships_and_feedback(api, cast, record):
    export = api.get(f"/candidates/{cast.candidate.id}/export", cast.token("mentor")).get_json()
    assert (export["format"], export["version"]) == ("trainerpath-export", 1)
    assert export["exported_at"].endswith("Z")
    profile = export["profile"]
    assert (profile["id"], profile["email"], profile["name"], profile["role"]) == (
        cast.candidate.id,
        "cora@example.org",
        "Cora Candidate",
        "candidate",
    )
    assert "password_hash" not in str(export)
    mentorships = [(m["mentor_name"], m["ended_at"] is None) for m in export["mentorships"]]
    assert mentorships == [("Mia Mentor", True), ("Fred Former", False)]
    assert [(f["body"], f["author_id"], f["enrollment_id"]) for f in export["feedback"]] == [
        ("Good progress.", cast.mentor.id, record["pst"])
    ]


def test_exported_credentials_carry_their_end_of_validity(api, cast, make_evidence):
    make_evidence(cast.candidate, "credentials", kind="csm", issued_on=date(2024, 2, 29))
    make_evidence(cast.candidate, "credentials", kind="psm_1", issued_on=date(2024, 2, 29))
    export = api.get(f"/candidates/{cast.candidate.id}/export", cast.token("candidate")).get_json()
    assert [
        (c["kind"], c["expires_on"], c["valid_until"]) for c in export["evidence"]["credentials"]
    ] == [
        ("csm", None, "2026-02-28"),
        ("psm_1", None, None),
    ]


def test_an_empty_record_exports_empty_lists(api, cast):
    export = api.get(
        f"/candidates/{cast.other_candidate.id}/export", cast.token("other_candidate")
    ).get_json()
    assert export["evidence"] == {kind: [] for kind in KINDS}
    assert export["enrollments"] == [] and export["feedback"] == []


def test_nobody_else_exports_the_record(api, cast):
    for who in ("other_candidate", "other_mentor"):
        response = api.get(f"/candidates/{cast.candidate.id}/export", cast.token(who))
        assert error_of(response)[:2] == (404, "not_found")
    mentor_id = cast.mentor.id
    response = api.get(f"/candidates/{mentor_id}/export", cast.token("admin"))
    assert error_of(response)[:2] == (404, "not_found")  # a mentor is not a candidate
