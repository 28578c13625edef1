"""The demo as someone exploring a freshly seeded trainerpath finds it: its people, their
stories, and a timeline over the past months. Every test here only reads, so the demo is
seeded once for the module (test_demo.py holds the tests that seed it themselves)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest
from conftest import empty_all_tables
from measuring import CHECKS, Facts
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col
from test_demo import (
    CANDIDATES,
    MENTEES,
    RULES,
    all_evidence,
    email,
    enrollment_of,
    evidence_of,
    own_date,
    requirements_on,
    start_of,
    user,
    user_id,
)
from werkzeug.security import generate_password_hash

from trainerpath import clock
from trainerpath.dashboards.common import aware
from trainerpath.dashboards.mentor import waiting_for_review
from trainerpath.demo import DEMO_PASSWORD, seed
from trainerpath.models import (
    EVIDENCE_MODELS,
    AssessmentAttempt,
    AuditEntry,
    Enrollment,
    Mentorship,
    ReviewRecord,
    ReviewStatus,
    Role,
    TeachingSession,
    User,
)
from trainerpath.pathways import ruleset_for
from trainerpath.services import users
from trainerpath.services.access import can_view, is_assigned_mentor
from trainerpath.services.pathways import enrollment_status, history_of
from trainerpath.services.reminders import inactive_candidates
from trainerpath.services.users import authenticate


@pytest.fixture(scope="module")
def people(engine_without_app: Engine) -> Iterator[list[tuple[User, str]]]:
    """Seed the demo once for the module and commit it, as the CLI does; empty it after."""
    with pytest.MonkeyPatch.context() as patch, Session(engine_without_app) as seeding:
        cheap = partial(generate_password_hash, method="pbkdf2:sha256:1000")
        patch.setattr(users, "generate_password_hash", cheap)
        seeding.expire_on_commit = False
        people = seed(seeding)
        seeding.commit()
    yield people
    empty_all_tables(engine_without_app)


@pytest.fixture
def session(engine_without_app: Engine, people: list[tuple[User, str]]) -> Iterator[Session]:
    """A session on the seeded demo; whatever a test changes is rolled back."""
    with Session(engine_without_app, expire_on_commit=False) as session:
        yield session
        session.rollback()


def test_demo_has_one_admin_two_mentors_and_seven_candidates(session, people):
    counts = dict(
        session.execute(select(col(User.role), func.count()).group_by(col(User.role))).all()
    )
    assert counts == {"admin": 1, "mentor": 2, "candidate": 7}
    assert [u.role for u, _story in people] == ["admin", "mentor", "mentor"] + ["candidate"] * 7


def test_old_candidates_keep_the_first_rulesets_and_new_ones_follow_the_current(session, people):
    enrollments = session.execute(select(Enrollment)).scalars()
    emails = {u.id: u.email.split("@")[0] for u, _story in people}
    assert {(emails[e.candidate_id], e.pathway): (e.ruleset, e.track) for e in enrollments} == RULES


def test_every_demo_login_works_with_the_demo_password(session, people):
    assert len(DEMO_PASSWORD) >= 8
    for person, _story in people:
        assert person.email.endswith("@demo.trainerpath.test")
        assert authenticate(session, person.email, DEMO_PASSWORD) == person


@pytest.mark.parametrize("login", sorted(CANDIDATES))
def test_each_candidate_stands_where_their_story_says(session, people, login):
    story, pathways = CANDIDATES[login]
    enrollments = session.execute(
        select(Enrollment).where(col(Enrollment.candidate_id) == user_id(session, login))
    ).scalars()
    assert {e.pathway: e.state for e in enrollments} == {p: s for p, (s, _) in pathways.items()}
    for pathway, (_state, events) in pathways.items():
        history = history_of(session, enrollment_of(session, login, pathway))
        assert [record.event for record in history] == events
    assert dict((u.email, s) for u, s in people)[email(login)].startswith(story)


def test_every_enrollment_state_was_reached_through_history_fired_by_the_right_roles(
    session, people
):
    enrollments = session.execute(select(Enrollment)).scalars().all()
    assert len(enrollments) == 8
    for enrollment in enrollments:
        ruleset = ruleset_for(enrollment.ruleset)
        state, withdrawn_from = ruleset.initial_state, None
        for record in history_of(session, enrollment):
            actor = session.get(User, record.actor_id)
            assert actor is not None
            assert record.from_state == state
            if record.event == "resume":
                assert record.to_state == withdrawn_from
            else:
                assert record.to_state == ruleset.target(state, record.event)
            withdrawn_from = state if record.event == "withdraw" else None
            assert actor.role in ruleset.who[record.event], (record.event, actor.role)
            if actor.role == Role.MENTOR:
                assert is_assigned_mentor(session, record.actor_id, enrollment.candidate_id)
            if record.event in ruleset.notes_required:
                assert record.note
            state = record.to_state
        assert state == enrollment.state
        assert enrollment.withdrawn_from is None


def test_cst_preparing_candidate_sees_73_verified_and_20_pending_students(session, people):
    status = enrollment_status(
        session=session,
        enrollment=enrollment_of(session, "hannah", "cst"),
        viewer=user(session, "hannah"),
    )
    requirements = {r.key: r for r in status.requirements}
    students = requirements["students_taught"]
    assert (students.current, students.pending, students.target) == (73, 20, 100)
    assert students.message == "27 more students needed (20 waiting for review)"
    assert {key for key, r in requirements.items() if r.met} == {"csp_active", "scrum_experience"}
    submit = next(event for event in status.events if event.name == "submit_application")
    assert not submit.allowed
    assert "27 more students needed (20 waiting for review)" in submit.reasons
    story = dict((u.email, s) for u, s in people)[email("hannah")]
    assert "73 verified + 20 pending of 100 students" in story


def test_pspo3_candidate_sees_the_failed_attempt_as_best_score_so_far(session, people):
    status = enrollment_status(
        session=session,
        enrollment=enrollment_of(session, "daniel", "pst"),
        viewer=user(session, "daniel"),
    )
    (pspo3,) = status.requirements
    assert not pspo3.met
    assert pspo3.message == "PSPO III with at least 85% is needed (best verified score so far: 81%)"


def test_pspo3_candidate_passed_pspo1_on_the_free_second_attempt(session, people):
    pspo1 = [
        a for a in evidence_of(session, AssessmentAttempt, "daniel") if a.assessment == "pspo_1"
    ]
    assert [a.score for a in pspo1] == [82.5, 97.0]
    assert all((a.taken_on - a.passport_received_on).days <= 14 for a in pspo1)


def test_pst_preparing_candidate_counts_overlapping_product_owner_jobs_once(session, people):
    daniel = user_id(session, "daniel")
    # Northwind 2300 to 800 days ago, Brightside 1000 days ago to now: 2300 days, not 2500.
    assert CHECKS["po_experience"](Facts(session, daniel, clock.today())).current == 6.29
    marco = enrollment_status(
        session=session,
        enrollment=enrollment_of(session, "marco", "pst"),
        viewer=user(session, "marco"),
    )
    po_years = next(r for r in marco.requirements if r.key == "po_experience")
    assert not po_years.met and 2 < po_years.current < 3


def test_cst_2024_story_tells_the_ageing_and_the_forecast_of_today(session, people):
    requirements = requirements_on(session, "lena", "cst", clock.today())
    events, materials = requirements["qualifying_events"], requirements["current_materials_events"]
    horizon = clock.today() + timedelta(days=365)

    assert [a.current for a in events.ageing] == [9, 8]
    assert all(clock.today() < a.on <= horizon for a in events.ageing)
    assert materials.forecast is not None and materials.forecast.met_by is not None
    story = dict((u.email, s) for u, s in people)[email("lena")]
    assert (
        f"10 qualifying events, 2 of them leave the 60-month window by "
        f"{events.ageing[-1].on.day} {events.ageing[-1].on:%b %Y}; 3 of 5 with current "
        f"materials, about {materials.forecast.met_by:%B %Y} at this pace"
    ) in story


def test_evidence_mixes_verified_pending_and_rejected_with_helpful_notes(session, people):
    items = all_evidence(session)
    assert {item.review_status for item in items} == set(ReviewStatus)
    rejected = [item for item in items if item.review_status == ReviewStatus.REJECTED]
    assert all(len(item.review_note or "") > 40 for item in rejected)
    hannah_rejected = [
        item.title
        for item in evidence_of(session, TeachingSession, "hannah")
        if item.review_status == ReviewStatus.REJECTED
    ]
    assert hannah_rejected == ["Scrum lunch-and-learn"]


def test_evidence_was_reviewed_by_an_assigned_mentor(session, people):
    reviewed = [item for item in all_evidence(session) if item.reviewed_by is not None]
    assert reviewed
    for item in reviewed:
        assert is_assigned_mentor(session, item.reviewed_by, item.candidate_id)


@pytest.mark.parametrize("mentor", sorted(MENTEES))
def test_mentors_see_only_their_assigned_candidates(session, people, mentor):
    viewer = user(session, mentor)
    candidates = session.execute(select(User).where(col(User.role) == Role.CANDIDATE)).scalars()
    visible = {c.email for c in candidates if c.id is not None and can_view(session, viewer, c.id)}
    assert visible == {email(login) for login in MENTEES[mentor]}


def test_admin_assigned_every_mentorship(session, people):
    mentorships = session.execute(select(Mentorship)).scalars().all()
    assert len(mentorships) == sum(len(mentees) for mentees in MENTEES.values())
    assert {m.assigned_by for m in mentorships} == {user_id(session, "admin")}


def test_demo_happened_over_past_months_each_step_after_what_it_needs(session, people):
    today = start_of(clock.today())
    joined = {u.id: aware(u.created_at) for u in session.execute(select(User)).scalars()}
    assert all(at < today for at in joined.values())
    assert today - min(joined.values()) > timedelta(days=365)  # the admin, years ago
    assert today - max(joined.values()) > timedelta(days=90)  # the newest candidate
    for mentorship in session.execute(select(Mentorship)).scalars():
        started = aware(mentorship.started_at)
        assert joined[mentorship.candidate_id] <= started < today
    for slug, model in EVIDENCE_MODELS.items():
        for item in session.execute(select(model)).scalars():
            logged = aware(item.created_at)
            assert joined[item.candidate_id] <= logged < today
            assert logged.date() > own_date(slug, item)
            if item.reviewed_at is not None:
                assert logged < aware(item.reviewed_at) < today
    for enrollment in session.execute(select(Enrollment)).scalars():
        moments = [aware(enrollment.created_at)]
        moments += [aware(r.at) for r in history_of(session, enrollment)]
        assert moments == sorted(set(moments)) and moments[-1] < today
        assert joined[enrollment.candidate_id] < moments[0]


def test_demo_audit_and_review_history_say_when_each_step_happened(session, people):
    audit = {
        (entry.action, entry.subject): aware(entry.at)
        for entry in session.execute(select(AuditEntry)).scalars()
    }
    reviews = {
        (record.evidence_kind, record.evidence_id): record
        for record in session.execute(select(ReviewRecord)).scalars()
    }
    reviewed = 0
    for slug, model in EVIDENCE_MODELS.items():
        for item in session.execute(select(model)).scalars():
            subject = f"{slug}/{item.id}"
            assert audit["evidence.logged", subject] == aware(item.created_at)
            if item.reviewed_at is not None:
                reviewed += 1
                assert audit[f"evidence.{item.review_status}", subject] == aware(item.reviewed_at)
                record = reviews[slug, item.id]
                assert aware(record.at) == aware(item.reviewed_at)
                assert aware(record.submitted_at) == aware(item.created_at)
                assert record.waited_seconds > 0
    assert reviewed == len(reviews) > 50
    for enrollment in session.execute(select(Enrollment)).scalars():
        transitions = session.execute(
            select(col(AuditEntry.at))
            .where(
                col(AuditEntry.action) == "enrollment.transition",
                col(AuditEntry.subject) == f"enrollments/{enrollment.id}",
            )
            .order_by(col(AuditEntry.id))
        ).scalars()
        assert [aware(at) for at in transitions] == [
            aware(r.at) for r in history_of(session, enrollment)
        ]


def test_demo_mentor_queue_shows_the_longest_waiting_first(session, people):
    for mentor in ("priya", "tom"):
        queue = waiting_for_review(session, user(session, mentor), clock.today())
        waited = [item.days_waiting for item in queue]
        assert waited == sorted(waited, reverse=True)
    queue = waiting_for_review(session, user(session, "priya"), clock.today())
    waited = [item.days_waiting for item in queue]
    assert len(set(waited)) >= 4, waited
    assert sum(days > 3 for days in waited) >= 3 and 1 <= sum(days > 14 for days in waited) <= 2


def test_demo_has_a_preparing_candidate_quiet_for_over_60_days(session, people):
    (reminder,) = inactive_candidates(session, clock.today())
    assert reminder.user_id == user_id(session, "marco")
    days = int(reminder.title.split()[-2])
    assert 60 < days < 90
