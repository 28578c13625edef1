"""A script that knows only api.md takes a candidate from registration to CST certified
and PST licensed; every wrong move it tries gets the documented code and changes nothing.

Only the first admin exists beforehand (as `flask create-user` would make them);
everything else goes through HTTP.
"""

from __future__ import annotations

from typing import Any

from conftest import PASSWORD, days_ago

from .conftest import Api, error_of


class Script:
    """A tiny API client as an integration would write it."""

    def __init__(self, api: Api, unchanged: Any) -> None:
        self.api = api
        self.unchanged = unchanged

    def login(self, email: str, password: str) -> str:
        """Exchange credentials for a token."""
        response = self.api.post("/tokens", json_body={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["token"])

    def ok(self, method: str, path: str, token: str, body: Any = None, status: int = 200) -> Any:
        """Send a request that must succeed with ``status``; return its JSON."""
        response = self.api.call(method, path, token, body)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def refused(self, method: str, path: str, token: str, body: Any, status: int, code: str) -> Any:
        """Send a wrong move: it must get ``status``/``code`` and change nothing."""
        with self.unchanged():
            response = self.api.call(method, path, token, body)
        got_status, got_code, details = error_of(response)
        assert (got_status, got_code) == (status, code), response.get_json()
        return details


def test_a_candidate_reaches_cst_certified_and_pst_licensed_through_the_api_alone(
    api, make_user, unchanged
):
    make_user("admin", email="root@example.org")
    run = Script(api, unchanged)
    admin = run.login("root@example.org", PASSWORD)

    # The admin registers a mentor and a candidate and pairs them.
    mentor_id = run.ok(
        "POST",
        "/users",
        admin,
        {
            "email": "mia@example.org",
            "name": "Mia Mentor",
            "password": "mentor-pass-1",
            "role": "mentor",
        },
        201,
    )["id"]
    me = {
        "email": "cora@example.org",
        "name": "Cora Candidate",
        "password": "cora-pass-1",
        "role": "candidate",
    }
    candidate_id = run.ok("POST", "/users", admin, me, 201)["id"]
    run.refused("POST", "/users", admin, me | {"email": "CORA@example.org"}, 409, "conflict")
    run.ok(
        "POST", "/mentorships", admin, {"mentor_id": mentor_id, "candidate_id": candidate_id}, 201
    )
    run.refused(
        "POST",
        "/mentorships",
        admin,
        {"mentor_id": candidate_id, "candidate_id": candidate_id},
        422,
        "validation_error",
    )

    cora = run.login("cora@example.org", "cora-pass-1")
    mia = run.login("MIA@example.org", "mentor-pass-1")
    assert run.ok("GET", "/me", cora)["role"] == "candidate"
    run.refused(
        "POST",
        "/users",
        mia,
        {"email": "x@example.org", "name": "X", "password": "long enough", "role": "admin"},
        403,
        "forbidden",
    )

    base = f"/candidates/{candidate_id}"
    cst = run.ok("POST", f"{base}/enrollments", cora, {"pathway": "cst"}, 201)
    pst = run.ok("POST", f"{base}/enrollments", cora, {"pathway": "pst"}, 201)
    run.refused("POST", f"{base}/enrollments", cora, {"pathway": "cst"}, 409, "conflict")
    cst_fire = f"/enrollments/{cst['id']}/transitions"
    pst_fire = f"/enrollments/{pst['id']}/transitions"

    # Cora logs the evidence both pathways need.
    logged: list[tuple[str, int]] = []

    def log(kind: str, body: dict[str, Any]) -> None:
        item = run.ok("POST", f"{base}/{kind}", cora, body, 201)
        logged.append((kind, item["id"]))

    for n in range(10):
        log(
            "teaching-sessions",
            {
                "title": f"CSM #{n + 1}",
                "course_type": "scrum_master",
                "first_day": days_ago(400 - 30 * n).isoformat(),
                "days": 2,
                "students": 11,
                "context": "co_trained",
                "co_trainer": "Rebecca Hart, CST",
            },
        )
    log("credentials", {"kind": "csp_sm", "issued_on": days_ago(200).isoformat()})
    log(
        "milestones", {"kind": "course_materials_reviewed", "achieved_on": days_ago(60).isoformat()}
    )
    log(
        "experience",
        {
            "role": "product_owner",
            "organisation": "Acme Ltd",
            "started_on": days_ago(5 * 366).isoformat(),
        },
    )
    log(
        "assessments", {"assessment": "pspo_1", "score": 97.5, "taken_on": days_ago(90).isoformat()}
    )

    # Nothing is verified yet: the guards say how far there is to go, counting pending.
    details = run.refused(
        "POST", cst_fire, cora, {"event": "submit_application"}, 409, "guard_unmet"
    )
    assert details["unmet"] == [
        "csp_active",
        "students_taught",
        "multi_day_sm_sessions",
        "course_materials_reviewed",
        "scrum_experience",
    ]
    students = details["requirements"][1]
    assert (students["current"], students["pending"], students["target"]) == (0, 110, 100)
    run.refused("POST", cst_fire, mia, {"event": "submit_application"}, 403, "forbidden")

    # Mia verifies everything; Cora cannot review her own evidence.
    kind, first = logged[0]
    run.refused(
        "POST", f"/evidence/{kind}/{first}/review", cora, {"decision": "verified"}, 403, "forbidden"
    )
    for kind, item_id in logged:
        assert (
            run.ok("POST", f"/evidence/{kind}/{item_id}/review", mia, {"decision": "verified"})[
                "review_status"
            ]
            == "verified"
        )
    run.refused("PATCH", f"/evidence/{kind}/{item_id}", cora, {"score": 99}, 409, "invalid_state")
    run.refused(
        "POST",
        f"/evidence/{kind}/{item_id}/review",
        mia,
        {"decision": "rejected", "note": "Oops"},
        409,
        "invalid_state",
    )

    # CST: submit, TAC approves, the interview is passed.
    assert all(r["met"] for r in run.ok("GET", f"/enrollments/{cst['id']}", cora)["requirements"])
    assert run.ok("POST", cst_fire, cora, {"event": "submit_application"})["state"] == "tac_review"
    run.refused("POST", cst_fire, cora, {"event": "tac_approve"}, 403, "forbidden")
    run.refused("POST", cst_fire, mia, {"event": "interview_pass"}, 409, "invalid_state")
    run.refused("POST", cst_fire, mia, {"event": "tac_decline"}, 422, "validation_error")
    assert run.ok("POST", cst_fire, mia, {"event": "tac_approve"})["state"] == "interview"
    certified = run.ok("POST", cst_fire, mia, {"event": "interview_pass", "note": "Welcome, CST!"})
    assert certified["state"] == "certified"
    assert [h["to"] for h in certified["history"]] == ["tac_review", "interview", "certified"]
    run.refused("POST", cst_fire, cora, {"event": "withdraw"}, 409, "invalid_state")

    # PST: application, TTT, PSPO II and III, staff interview (failed once), peer review.
    assert (
        run.ok("POST", pst_fire, cora, {"event": "submit_application"})["state"]
        == "application_review"
    )
    assert run.ok("POST", pst_fire, mia, {"event": "accept_application"})["state"] == "ttt"
    details = run.refused("POST", pst_fire, cora, {"event": "complete_ttt"}, 409, "guard_unmet")
    assert details["unmet"] == ["ttt_attended"]
    steps = [
        (
            "milestones",
            {"kind": "ttt_attended", "achieved_on": days_ago(20).isoformat()},
            "complete_ttt",
            "pspo2",
        ),
        (
            "assessments",
            {"assessment": "pspo_2", "score": 88, "taken_on": days_ago(15).isoformat()},
            "pass_pspo2",
            "pspo3",
        ),
        (
            "assessments",
            {"assessment": "pspo_3", "score": 86.5, "taken_on": days_ago(5).isoformat()},
            "pass_pspo3",
            "staff_interview",
        ),
    ]
    for kind, body, event, state in steps:
        item = run.ok("POST", f"{base}/{kind}", cora, body, 201)
        run.ok("POST", f"/evidence/{kind}/{item['id']}/review", mia, {"decision": "verified"})
        assert run.ok("POST", pst_fire, cora, {"event": event})["state"] == state
    run.refused(
        "POST",
        pst_fire,
        mia,
        {"event": "staff_interview_fail", "note": " "},
        422,
        "validation_error",
    )
    retry = run.ok(
        "POST",
        pst_fire,
        mia,
        {"event": "staff_interview_fail", "note": "Timing; try again in a month."},
    )
    assert retry["state"] == "staff_interview"
    assert (
        run.ok("POST", pst_fire, mia, {"event": "staff_interview_pass"})["state"] == "peer_review"
    )
    licensed = run.ok("POST", pst_fire, admin, {"event": "peer_review_pass"})
    assert licensed["state"] == "licensed"
    assert [h["event"] for h in licensed["history"]] == [
        "submit_application",
        "accept_application",
        "complete_ttt",
        "pass_pspo2",
        "pass_pspo3",
        "staff_interview_fail",
        "staff_interview_pass",
        "peer_review_pass",
    ]

    # The record goes with her.
    export = run.ok("GET", f"{base}/export", cora)
    assert [(e["pathway"], e["state"]) for e in export["enrollments"]] == [
        ("cst", "certified"),
        ("pst", "licensed"),
    ]
    assert sum(len(items) for items in export["evidence"].values()) == len(logged) + 3
    summary = run.ok("GET", "/candidates", mia)["items"]
    assert summary[0]["enrollments"] == [
        {"id": cst["id"], "pathway": "cst", "state": "certified"},
        {"id": pst["id"], "pathway": "pst", "state": "licensed"},
    ]
    assert summary[0]["pending_reviews"] == 0

    # Logging out: the token stops working.
    assert api.delete("/tokens/current", cora).status_code == 204
    run.refused("GET", "/me", cora, None, 401, "unauthenticated")
