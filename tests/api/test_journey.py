"""A script that knows only api.md takes a candidate from registration to CST certified
and PST licensed; every wrong move it tries gets the documented code and changes nothing.

Once under the first rulesets (cst@1, pst@1, asked for by name) and once under the
current ones (cst@2 on the Product Owner track, pst@2), which enrolling picks unasked.
Only the first admin exists beforehand (as `flask create-user` would make them);
everything else goes through HTTP.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from conftest import PASSWORD, TODAY, days_ago

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

    def verify_all(self, items: list[tuple[str, int]], mentor: str) -> None:
        """The mentor verifies every logged item."""
        for kind, item_id in items:
            reviewed = self.ok(
                "POST", f"/evidence/{kind}/{item_id}/review", mentor, {"decision": "verified"}
            )
            assert reviewed["review_status"] == "verified"


def register_and_pair(run: Script, admin: str) -> tuple[int, str, str]:
    """The admin registers Mia (mentor) and Cora (candidate) and pairs them; both log in.

    Returns Cora's id and the tokens of Cora and Mia.
    """
    mentor = {"email": "mia@example.org", "name": "Mia Mentor", "password": "mentor-pass-1"}
    mentor_id = run.ok("POST", "/users", admin, mentor | {"role": "mentor"}, 201)["id"]
    me = {"email": "cora@example.org", "name": "Cora Candidate", "password": "cora-pass-1"}
    candidate_id = run.ok("POST", "/users", admin, me | {"role": "candidate"}, 201)["id"]
    pair = {"mentor_id": mentor_id, "candidate_id": candidate_id}
    run.ok("POST", "/mentorships", admin, pair, 201)
    cora = run.login("cora@example.org", "cora-pass-1")
    mia = run.login("MIA@example.org", "mentor-pass-1")
    return int(candidate_id), cora, mia


def test_a_candidate_reaches_cst_certified_and_pst_licensed_through_the_api_alone(
    api, make_user, unchanged
):
    make_user("admin", email="root@example.org")
    run = Script(api, unchanged)
    admin = run.login("root@example.org", PASSWORD)

    candidate_id, cora, mia = register_and_pair(run, admin)
    me = {"email": "CORA@example.org", "name": "Cora", "password": "cora-pass-1"}
    run.refused("POST", "/users", admin, me | {"role": "candidate"}, 409, "conflict")
    run.refused(
        "POST",
        "/mentorships",
        admin,
        {"mentor_id": candidate_id, "candidate_id": candidate_id},
        422,
        "validation_error",
    )
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
    cst = run.ok("POST", f"{base}/enrollments", cora, {"pathway": "cst", "ruleset": "cst@1"}, 201)
    pst = run.ok("POST", f"{base}/enrollments", cora, {"pathway": "pst", "ruleset": "pst@1"}, 201)
    assert [(e["ruleset"], e["track"]) for e in (cst, pst)] == [("cst@1", None), ("pst@1", None)]
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
    run.verify_all(logged, mia)
    kind, item_id = logged[-1]
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


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to that month's end (§6)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


CST_2_KEYS = [
    "csp_active",
    "qualifying_events",
    "current_materials_events",
    "recent_experience",
    "learning_objectives_mapped",
]


def test_a_candidate_follows_the_current_rulesets_through_the_api_alone(api, make_user, unchanged):
    make_user("admin", email="root@example.org")
    run = Script(api, unchanged)
    admin = run.login("root@example.org", PASSWORD)
    candidate_id, cora, mia = register_and_pair(run, admin)
    base = f"/candidates/{candidate_id}"

    # Enrolling unasked follows the current rulesets: cst@2 on its default track, pst@2.
    cst = run.ok("POST", f"{base}/enrollments", cora, {"pathway": "cst"}, 201)
    pst = run.ok("POST", f"{base}/enrollments", cora, {"pathway": "pst"}, 201)
    assert [(e["ruleset"], e["track"]) for e in (cst, pst)] == [
        ("cst@2", "scrum_master"),
        ("pst@2", None),
    ]
    cst_path, pst_path = f"/enrollments/{cst['id']}", f"/enrollments/{pst['id']}"
    cst_fire, pst_fire = f"{cst_path}/transitions", f"{pst_path}/transitions"

    # Cora logs ten CSPO courses she co-trained (the last five with her current materials,
    # each with a reflection), her CSP-PO, the mapping milestone, six years as an agile
    # coach, PSM I and PSPO II.
    logged: list[tuple[str, int]] = []

    def log(kind: str, body: dict[str, Any]) -> None:
        item = run.ok("POST", f"{base}/{kind}", cora, body, 201)
        logged.append((kind, item["id"]))

    for n in range(10):
        log(
            "teaching-sessions",
            {
                "title": f"CSPO #{n + 1}",
                "course_type": "product_owner",
                "first_day": days_ago(1500 - 120 * n).isoformat(),
                "days": 2,
                "students": 9,
                "context": "co_trained",
                "co_trainer": "Rebecca Hart, CST",
                "share_delivered": 60,
                "with_current_materials": n >= 5,
                "reflection": "Feedback said the backlog exercise ran long; I split it in two.",
            },
        )
    log("credentials", {"kind": "csp_po", "issued_on": days_ago(200).isoformat()})
    log(
        "milestones",
        {"kind": "learning_objectives_mapped", "achieved_on": days_ago(60).isoformat()},
    )
    log(
        "experience",
        {
            "role": "agile_coach",
            "organisation": "Acme Ltd",
            "started_on": days_ago(2200).isoformat(),
        },
    )
    log("assessments", {"assessment": "psm_1", "score": 96, "taken_on": days_ago(90).isoformat()})
    log("assessments", {"assessment": "pspo_2", "score": 86, "taken_on": days_ago(30).isoformat()})

    # Nothing is verified yet: every guard is unmet, the windowed ones say their window.
    details = run.refused(
        "POST", cst_fire, cora, {"event": "submit_application"}, 409, "guard_unmet"
    )
    assert details["unmet"] == CST_2_KEYS
    events = details["requirements"][1]
    assert (events["current"], events["pending"], events["target"]) == (0, 0, 10)
    assert events["window"] == {"months": 60, "from": months_before(TODAY, 60).isoformat()}

    run.verify_all(logged, mia)

    # On the ScrumMaster track her CSP-PO and CSPO courses do not count.
    details = run.refused(
        "POST", cst_fire, cora, {"event": "submit_application"}, 409, "guard_unmet"
    )
    assert details["unmet"] == ["csp_active", "qualifying_events", "current_materials_events"]
    run.refused(
        "POST",
        f"{cst_path}/ruleset",
        mia,
        {"ruleset": "cst@2", "track": "product_owner"},
        403,
        "forbidden",
    )
    switched = run.ok(
        "POST", f"{cst_path}/ruleset", cora, {"ruleset": "cst@2", "track": "product_owner"}
    )
    assert (switched["ruleset"], switched["track"], switched["state"]) == (
        "cst@2",
        "product_owner",
        "preparing",
    )
    requirements = {r["key"]: r for r in switched["requirements"]}
    assert [key for key, r in requirements.items() if r["met"]] == CST_2_KEYS
    # The oldest course (1500 days ago) leaves the 60-month window within the year.
    ageing = requirements["qualifying_events"]["ageing"]
    assert [entry["current"] for entry in ageing] == [9]
    assert TODAY.isoformat() < ageing[0]["on"] <= days_ago(-365).isoformat()

    # CST: formal review, a failed Training Skills Assessment, then certified.
    assert run.ok("POST", cst_fire, cora, {"event": "submit_application"})["state"] == (
        "formal_review"
    )
    run.refused("POST", f"{cst_path}/ruleset", cora, {"ruleset": "cst@1"}, 409, "invalid_state")
    run.refused("POST", cst_fire, cora, {"event": "formal_review_pass"}, 403, "forbidden")
    assert run.ok("POST", cst_fire, mia, {"event": "formal_review_pass"})["state"] == "tsa"
    run.refused("POST", cst_fire, mia, {"event": "tsa_fail"}, 422, "validation_error")
    failed = run.ok("POST", cst_fire, mia, {"event": "tsa_fail", "note": "Timebox the debrief."})
    assert failed["state"] == "preparing"
    assert run.ok("POST", cst_fire, cora, {"event": "submit_application"})["state"] == (
        "formal_review"
    )
    run.ok("POST", cst_fire, admin, {"event": "formal_review_pass"})
    certified = run.ok("POST", cst_fire, mia, {"event": "tsa_pass"})
    assert certified["state"] == "certified"
    assert [(h["event"], h["to"], h["note"]) for h in certified["history"]] == [
        ("switch_ruleset", "preparing", "cst@2: scrum_master → product_owner"),
        ("submit_application", "formal_review", None),
        ("formal_review_pass", "tsa", None),
        ("tsa_fail", "preparing", "Timebox the debrief."),
        ("submit_application", "formal_review", None),
        ("formal_review_pass", "tsa", None),
        ("tsa_pass", "certified", None),
    ]

    # PST: the application (phase 1), phase 2, phase 3 failed once, licensed.
    pst_requirements = run.ok("GET", pst_path, cora)["requirements"]
    assert [(r["key"], r["met"]) for r in pst_requirements] == [
        ("scrum_experience", True),
        ("training_provided", True),
        ("assessment_95", True),
        ("advanced_assessment_85", True),
    ]
    steps = [
        (cora, "submit_application", None, "application_review"),
        (mia, "accept_application", None, "knowledge_and_experience"),
        (mia, "phase_2_pass", None, "training_skills"),
        (mia, "phase_3_fail", "Practise the opening.", "training_skills"),
        (admin, "phase_3_pass", None, "licensed"),
    ]
    run.refused("POST", pst_fire, cora, {"event": "phase_2_pass"}, 403, "forbidden")
    for token, event, note, state in steps:
        body = {"event": event} | ({"note": note} if note else {})
        assert run.ok("POST", pst_fire, token, body)["state"] == state

    export = run.ok("GET", f"{base}/export", cora)
    assert [
        (e["pathway"], e["ruleset"], e["track"], e["state"]) for e in export["enrollments"]
    ] == [
        ("cst", "cst@2", "product_owner", "certified"),
        ("pst", "pst@2", None, "licensed"),
    ]
