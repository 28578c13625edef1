"""The candidate's dashboard: enrolment, stepper, progress bars, what's next, events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from conftest import DEFAULT_FIELDS, days_ago
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath.models import (
    Enrollment,
    EvidenceBase,
    Feedback,
    TransitionRecord,
    User,
    utcnow,
)
from trainerpath.services.evidence import log_evidence, review_evidence
from trainerpath.wording import format_day

from .conftest import HTMX, Cast, fetch_all, fetch_one, log_in, page, text


@pytest.fixture
def cara(client: FlaskClient, cast: Cast) -> Cast:
    """The cast, with Cara logged in."""
    log_in(client, cast.candidate)
    return cast


def meet_cst_application(make_evidence: Callable[..., object], candidate: object) -> None:
    """Give the candidate verified evidence for every CST application requirement."""
    make_evidence(candidate, "credentials")
    for _ in range(10):
        make_evidence(candidate, "teaching-sessions", students=10)
    make_evidence(candidate, "milestones")
    make_evidence(candidate, "experience", role="scrum_master")


def test_a_new_candidate_is_invited_to_choose_a_pathway(client: FlaskClient, cara: Cast) -> None:
    html = page(client.get("/candidate"))
    assert "Choose your first pathway" in html.text
    buttons = [b.text for b in html.find_all("button")]
    assert "Enrol in CST" in buttons and "Enrol in PST" in buttons


def test_enrolling_shows_the_pathway_on_the_dashboard(
    client: FlaskClient, cara: Cast, engine: Engine
) -> None:
    response = client.post("/candidate/enrol", data={"pathway": "cst"})
    enrollment = fetch_one(engine, select(Enrollment))
    assert response.headers["Location"] == f"/candidate#enrollment-{enrollment.id}"
    html = page(client.get("/candidate"))
    assert "You are enrolled in the Certified Scrum Trainer pathway." in html.text
    card = html.by_id(f"enrollment-{enrollment.id}")
    assert "Certified Scrum Trainer" in card.find("h2").text
    assert card.find(class_="state-pill").text == "Current state: Preparing"
    # CST is taken, so only PST is offered
    assert [b.text for b in html.find_all("button") if b.text.startswith("Enrol")] == [
        "Enrol in PST"
    ]


def test_the_cards_drawn_after_enrolling_with_htmx_come_back_to_the_dashboard(
    client: FlaskClient, cara: Cast
) -> None:
    """The answer to the enrol POST holds every card's forms: their way back is the
    dashboard, not the POST-only /candidate/enrol."""
    response = client.post("/candidate/enrol", data={"pathway": "pst"}, headers=HTMX)
    backs = {field.get("value") for field in page(response).find_all("input", name="next")}
    assert backs == {"/candidate"}


def test_a_candidate_may_follow_both_pathways(client: FlaskClient, cara: Cast) -> None:
    client.post("/candidate/enrol", data={"pathway": "cst"})
    client.post("/candidate/enrol", data={"pathway": "pst"})
    html = page(client.get("/candidate"))
    assert len(html.find_all("article", class_="enrollment")) == 2
    assert "Follow another pathway" not in html.text


@pytest.mark.parametrize(
    ("pathway", "message"),
    [("cst", "Already enrolled in the Certified Scrum Trainer pathway."),
     ("xyz", "Please choose one of the pathways.")],
)  # fmt: skip
def test_a_refused_enrolment_says_why_and_changes_nothing(
    client: FlaskClient, cara: Cast, engine: Engine, pathway: str, message: str
) -> None:
    client.post("/candidate/enrol", data={"pathway": "cst"})
    client.get("/candidate")  # read the first message
    client.post("/candidate/enrol", data={"pathway": pathway})
    assert message in text(client.get("/candidate"))
    assert len(fetch_all(engine, select(Enrollment))) == 1


Step = tuple[str, str, str, datetime]  # an event fired: its name, from, to, when


def history(
    session: Session,
    enrollment: Enrollment,
    actor: User | int | None,
    steps: list[Step],
    note: str | None = None,
) -> None:
    """Store the enrollment's transitions (event, from, to, when), as if ``actor`` fired
    them (each with ``note``)."""
    for event, source, target, at in steps:
        session.add(
            TransitionRecord(
                enrollment_id=enrollment.id,
                event=event,
                from_state=source,
                to_state=target,
                actor_id=actor.id if isinstance(actor, User) else actor,
                note=note,
                at=at,
            )
        )
    session.commit()


def test_the_stepper_shows_past_current_and_future_steps_with_dates(
    client: FlaskClient,
    cara: Cast,
    session: Session,
    make_enrollment: Callable[..., Enrollment],
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", state="interview")
    applied, approved = utcnow() - timedelta(days=40), utcnow() - timedelta(days=10)
    history(session, enrollment, cara.mentor, [
        ("submit_application", "preparing", "tac_review", applied),
        ("tac_approve", "tac_review", "interview", approved),
    ])  # fmt: skip
    steps = page(client.get("/candidate")).find("ol", class_="stepper").find_all("li")
    assert [step.find(class_="step-label").text for step in steps] == [
        "Preparing", "TAC review", "Interview", "Certified",
    ]  # fmt: skip
    assert [step.get("class") for step in steps] == [
        "step step-done", "step step-done", "step step-current", "step step-todo step-final",
    ]  # fmt: skip
    assert "Done, reached" in steps[1].text and f"{applied.day} {applied:%b %Y}" in steps[1].text
    assert steps[2].get("aria-current") == "step"
    assert f"since {approved.day} {approved:%b %Y}" in steps[2].text
    assert "Still to come" in steps[3].text


def test_a_step_is_reached_when_it_was_arrived_at_not_when_it_was_resumed_or_kept(
    client: FlaskClient,
    cara: Cast,
    session: Session,
    make_enrollment: Callable[..., Enrollment],
) -> None:
    """Withdrawing and resuming, or a switch of rules that keeps the state, leave the
    day a step was reached as it was."""
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@1", state="interview")
    now = utcnow()
    approved = now - timedelta(days=30)
    history(session, enrollment, cara.candidate, [
        ("submit_application", "preparing", "tac_review", now - timedelta(days=40)),
        ("tac_approve", "tac_review", "interview", approved),
        ("withdraw", "interview", "withdrawn", now - timedelta(days=20)),
        ("resume", "withdrawn", "interview", now - timedelta(days=10)),
    ])  # fmt: skip
    steps = page(client.get("/candidate")).find("ol", class_="stepper").find_all("li")
    assert f"since {approved.day} {approved:%b %Y}" in steps[2].text


def test_each_requirement_shows_verified_and_pending_progress_and_ticks_met_ones(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., object],
) -> None:
    make_enrollment(cara.candidate, "cst")
    make_evidence(cara.candidate, "teaching-sessions", students=73)
    make_evidence(cara.candidate, "teaching-sessions", status="pending", students=20)
    make_evidence(cara.candidate, "credentials")
    html = page(client.get("/candidate"))
    requirements = {
        r.find(class_="requirement-label").text: r
        for r in html.find_all("li", class_="requirement")
    }
    students = requirements["Students taught"]
    assert "73 verified + 20 pending of 100 students" in students.text
    assert "Not yet" in students.text and "is-unmet" in students.get("class")
    bar = students.find(role="progressbar")
    assert bar.get("aria-valuetext") == "73 verified + 20 pending of 100 students"
    assert bar.find(class_="bar-verified").get("class") == "bar-verified w-73"
    assert bar.find(class_="bar-pending").get("class") == "bar-pending w-20"
    csp = requirements["Active CSP-SM or CSP-PO"]
    assert "Met" in csp.text and "✓" in csp.find(class_="requirement-mark").text
    assert "1 of 5 met" in html.text


def test_whats_next_says_in_plain_words_what_is_missing_and_where_to_log_it(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., object],
) -> None:
    make_enrollment(cara.candidate, "cst")
    make_evidence(cara.candidate, "teaching-sessions", students=73)
    make_evidence(cara.candidate, "teaching-sessions", status="pending", students=20)
    lines = page(client.get("/candidate")).find("ul", class_="next-steps").find_all("li")
    students = next(line for line in lines if "students needed" in line.text)
    assert "27 more students needed (20 waiting for review)." in students.text
    link = students.find("a")
    assert link.text == "Log the courses you taught"
    assert link.get("href") == "/evidence/teaching-sessions"
    assert any("waiting for review: your mentor verifies it" in line.text for line in lines)


def test_an_unmet_event_is_a_disabled_button_with_the_reasons(
    client: FlaskClient, cara: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst")
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    button = next(b for b in card.find_all("button") if "Submit application" in b.text)
    assert "disabled" in button.attrs
    reasons = card.by_id(button.get("aria-describedby"))
    assert "100 more students needed" in reasons.text
    assert "An active CSP-SM or CSP-PO credential is needed" in reasons.text


def test_a_candidate_submits_the_application_when_everything_is_met(
    client: FlaskClient,
    cara: Cast,
    engine: Engine,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., object],
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst")
    meet_cst_application(make_evidence, cara.candidate)
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    button = next(b for b in card.find_all("button") if "Submit application" in b.text)
    assert "disabled" not in button.attrs
    assert "Everything is in place: submit the application." in card.text
    response = client.post(
        f"/enrollments/{enrollment.id}/events",
        data={"event": "submit_application", "next": "/candidate"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/candidate"
    html = page(client.get("/candidate"))
    assert "Application submitted. Now: TAC review." in html.text
    assert "Waiting for the outcome of TAC review. A mentor or an admin records it" in html.text
    assert fetch_one(engine, select(Enrollment)).state == "tac_review"


def test_an_event_fired_with_htmx_returns_the_enrollment_partial(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., object],
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst")
    meet_cst_application(make_evidence, cara.candidate)
    response = client.post(
        f"/enrollments/{enrollment.id}/events", data={"event": "submit_application"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<article") and "<html" not in html
    card = page(response).by_id(f"enrollment-{enrollment.id}")
    assert card.find(class_="state-pill").text == "Current state: TAC review"
    assert "Application submitted. Now: TAC review." in card.find(role="status").text


def test_a_refused_htmx_event_shows_why_inside_the_card(
    client: FlaskClient, cara: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst")
    response = client.post(
        f"/enrollments/{enrollment.id}/events", data={"event": "submit_application"}, headers=HTMX
    )
    assert response.status_code == 409
    alert = page(response).by_id(f"enrollment-{enrollment.id}").find(role="alert")
    assert "Not yet: An active CSP-SM or CSP-PO credential is needed" in alert.text


def test_a_candidate_is_told_who_records_an_outcome_and_cannot_record_it(
    client: FlaskClient, cara: Cast, engine: Engine, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", state="tac_review")
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert not [b for b in card.find_all("button") if "TAC" in b.text]
    events = card.find("section", class_="events")
    assert "Up to a mentor or an admin: record TAC approval or record TAC decline." in events.text
    assert "Waiting for the outcome of TAC review" in card.find(class_="next-card").text
    refused = client.post(f"/enrollments/{enrollment.id}/events", data={"event": "tac_approve"})
    assert refused.status_code == 403
    card = page(refused).by_id(f"enrollment-{enrollment.id}")
    assert "Only a mentor or an admin can record TAC approval." in card.find(role="alert").text
    assert fetch_one(engine, select(Enrollment)).state == "tac_review"


def test_an_event_refused_without_javascript_shows_why_on_the_dashboard_card(
    client: FlaskClient, cara: Cast, engine: Engine, make_enrollment: Callable[..., Enrollment]
) -> None:
    """The dashboard comes back (409) with the unmet guards on the card, not at its top."""
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@1")
    data = {"event": "submit_application", "next": "/candidate"}
    response = client.post(f"/enrollments/{enrollment.id}/events", data=data)
    assert response.status_code == 409
    card = page(response).by_id(f"enrollment-{enrollment.id}")
    alert = card.find(role="alert").text
    assert "Not yet: An active CSP-SM or CSP-PO credential is needed;" in alert
    assert "100 more students needed" in alert
    assert fetch_one(engine, select(Enrollment)).state == "preparing"


def test_another_candidates_enrollment_is_not_found(
    client: FlaskClient, cara: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    theirs = make_enrollment(cara.other_candidate, "cst")
    response = client.post(f"/enrollments/{theirs.id}/events", data={"event": "withdraw"})
    assert response.status_code == 404


def test_withdrawing_pauses_the_pathway_and_resuming_returns_to_the_same_step(
    client: FlaskClient, cara: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(cara.candidate, "pst", state="pspo2")
    withdrawn = client.post(f"/enrollments/{enrollment.id}/events", data={"event": "withdraw"})
    told = text(client.get(withdrawn.headers["Location"]))
    assert "Withdrawn: paused at PSPO II; resume it to carry on." in told
    assert "Now: Withdrawn" not in told
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert card.find(class_="state-pill").text == "Current state: Withdrawn"
    assert "resuming returns it to PSPO II" in card.text
    stepper = card.find("ol", class_="stepper")
    paused = stepper.find(aria_current="step")
    assert paused.find(class_="step-label").text == "PSPO II"
    assert "Paused here" in paused.text and "Now" not in stepper.text
    # The pause sign is drawn by the stylesheet, not a character some fonts lack.
    assert "\u23f8" not in card.text and paused.find(class_="pause-glyph") is not None
    client.post(f"/enrollments/{enrollment.id}/events", data={"event": "resume"})
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert card.find(class_="state-pill").text == "Current state: PSPO II"


def test_history_lists_each_step_with_who_and_the_note(
    client: FlaskClient, cara: Cast, session: Session, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", state="preparing")
    session.add(
        TransitionRecord(
            enrollment_id=enrollment.id,
            event="tac_decline",
            from_state="tac_review",
            to_state="preparing",
            actor_id=cara.mentor.id,
            note="More co-training first.",
        )
    )
    session.commit()
    history = page(client.get("/candidate")).find("details", class_="history")
    assert "History (1 step)" in history.find("summary").text
    assert "Declined by the TAC (TAC review → Preparing)" in history.text
    assert "by Mia Mentor" in history.text and "“More co-training first.”" in history.text


def test_whats_next_shows_the_note_of_the_setback_that_left_the_enrollment_there(
    client: FlaskClient, cara: Cast, session: Session, make_enrollment: Callable[..., Enrollment]
) -> None:
    """Sent back (or retrying), the candidate reads why where they look next: the latest
    setback's note, until the enrollment moves on."""
    enrollment = make_enrollment(cara.candidate, "pst", ruleset="pst@1", state="staff_interview")
    mentor = cara.mentor.id
    first, second = utcnow() - timedelta(days=9), utcnow() - timedelta(days=2)

    def step(
        event: str, source: str, target: str, note: str | None = None, at: datetime = second
    ) -> None:
        enrollment.state = target
        history(session, enrollment, mentor, [(event, source, target, at)], note)

    def whats_next() -> list[str]:
        card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
        return [li.text for li in card.find(class_="next-steps").find_all("li")]

    step("staff_interview_fail", "staff_interview", "staff_interview", "Thin on values.", first)
    step("staff_interview_fail", "staff_interview", "staff_interview", "Timebox overrun.")
    lines = whats_next()
    assert lines[0].endswith(
        f"Staff interview not passed on {format_day(second)}: “Timebox overrun.”"
    )
    assert not any("Thin on values." in line for line in lines)  # only the latest

    step("withdraw", "staff_interview", "withdrawn")
    assert not any("“" in line for line in whats_next())
    step("resume", "withdrawn", "staff_interview")  # back, but not by the setback
    assert not any("“" in line for line in whats_next())
    step("staff_interview_fail", "staff_interview", "staff_interview", "Again too long.")
    assert "“Again too long.”" in whats_next()[0]
    step("staff_interview_pass", "staff_interview", "peer_review")
    assert not any("“" in line for line in whats_next())


def test_a_setback_under_the_old_rules_stays_in_whats_next_after_a_switch_of_rules(
    client: FlaskClient, cara: Cast, session: Session, make_enrollment: Callable[..., Enrollment]
) -> None:
    """Declined under cst@1, then switched to cst@2 (which names its events otherwise):
    the switch stays in the state the decline left, so the decline's note is still news."""
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@2", state="preparing")
    declined_at = utcnow() - timedelta(days=3)
    decline = ("tac_decline", "tac_review", "preparing", declined_at)
    history(session, enrollment, cara.mentor, [decline], "More co-training first.")
    switch = ("switch_ruleset", "preparing", "preparing", utcnow())
    history(session, enrollment, cara.mentor, [switch], "cst@1 → cst@2 (scrum_master)")
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    lines = [li.text for li in card.find(class_="next-steps").find_all("li")]
    assert lines[0].endswith(
        f"Declined by the TAC on {format_day(declined_at)}: “More co-training first.”"
    )


def test_a_score_requirement_says_the_best_score_against_the_pass_mark(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., object],
) -> None:
    """Not "0 verified + 0 pending of 1 needed" beside a best score: the best verified
    score against the pass mark, and whether a passing attempt waits for review."""
    enrollment = make_enrollment(cara.candidate, "pst", ruleset="pst@1")

    def said() -> str:
        card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
        (score,) = [
            li for li in card.find_all("li", class_="requirement") if "PSPO I at" in li.text
        ]
        return score.find(class_="requirement-sentence").text

    assert said() == "No verified score yet — 95% needed"
    make_evidence(cara.candidate, "assessments", score=91.0)
    make_evidence(cara.candidate, "assessments", score=88.5)
    assert said() == "Best verified score 91% — 95% needed"
    make_evidence(cara.candidate, "assessments", status="pending", score=97.5)
    assert said() == (
        "Best verified score 91% — 95% needed (1 passing attempt is waiting for review)"
    )
    make_evidence(cara.candidate, "assessments", score=96.5)
    assert said() == "Best verified score 96.5% — 95% needed"


def test_feedback_and_review_notes_appear_on_the_dashboard(
    client: FlaskClient,
    cara: Cast,
    session: Session,
    make_evidence: Callable[..., object],
) -> None:
    session.add(
        Feedback(
            candidate_id=cara.candidate.id,
            author_id=cara.mentor.id,
            body="Your sessions look strong.",
        )
    )
    session.commit()
    item = make_evidence(cara.candidate, "credentials", status="rejected")
    item.review_note = "The certificate has expired."  # type: ignore[attr-defined]
    item.reviewed_by = cara.mentor.id  # type: ignore[attr-defined]
    session.commit()
    html = page(client.get("/candidate"))
    assert "Your sessions look strong." in html.by_id("feedback-summary").text
    assert "Mia Mentor" in html.by_id("feedback-summary").text
    attention = html.find("section", class_="attention")
    assert "The certificate has expired." in attention.text
    link = attention.find("a")
    assert link.text == "Correct and resubmit"
    assert link.get("href") == f"/evidence/credentials/{item.id}/edit"  # type: ignore[attr-defined]


def test_the_mentor_is_named_on_the_dashboard(client: FlaskClient, cara: Cast) -> None:
    assert "Mia Mentor" in text(client.get("/candidate"))


def test_the_dashboard_partial_is_served_to_htmx(client: FlaskClient, cara: Cast) -> None:
    response = client.get("/candidate", headers=HTMX)
    assert response.get_data(as_text=True).lstrip().startswith('<div id="overview"')
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/candidate")
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]


def test_a_history_restore_gets_the_whole_page(client: FlaskClient, cara: Cast) -> None:
    response = client.get("/candidate", headers=HTMX | {"HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_hx_trigger_header_is_json(client: FlaskClient, cara: Cast) -> None:
    response = client.post(
        "/evidence/milestones",
        data={"kind": "other", "achieved_on": days_ago(1).isoformat()},
        headers=HTMX,
    )
    assert json.loads(response.headers["HX-Trigger"]) == {
        "evidence-changed": None,
        "notify": {"message": "Milestone added. It now waits for your mentor's review."},
    }


def test_a_note_left_with_a_verification_shows_with_its_day(
    client: FlaskClient, cara: Cast, session: Session
) -> None:
    item = review_evidence_noted(session, cara)
    html = page(client.get("/candidate"))
    notes = html.find("ul", class_="review-notes")
    assert notes is not None, "the dashboard lists the review notes"
    assert "Well documented, thank you." in notes.text
    assert "Mia Mentor" in notes.text
    assert format_day(item.reviewed_at) in notes.text  # the day of the review, read as a date


def review_evidence_noted(session: Session, cara: Cast) -> EvidenceBase:
    """Cara logs a credential; her mentor verifies it with a note (a reviewed item that
    is not rejected, so it shows under "Review notes" with the day of the review)."""
    item = log_evidence(
        session=session,
        actor=cara.candidate,
        candidate_id=cara.candidate.id or 0,
        kind="credentials",
        data=DEFAULT_FIELDS["credentials"](),
    )
    session.commit()
    reviewed = review_evidence(
        session=session,
        actor=cara.mentor,
        kind="credentials",
        item_id=item.id or 0,
        decision="verified",
        note="Well documented, thank you.",
    )
    session.commit()
    assert reviewed.reviewed_at is not None
    return reviewed
