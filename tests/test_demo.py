"""The demo data: what someone exploring a freshly seeded trainerpath sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock
from trainerpath.demo import DEMO_PASSWORD, seed
from trainerpath.models import (
    EVIDENCE_MODELS,
    AuditEntry,
    Enrollment,
    EvidenceBase,
    TransitionRecord,
    User,
)
from trainerpath.pathways import Ageing, Forecast, Window, ruleset_for
from trainerpath.services.evidence_kinds import evidence_kind
from trainerpath.services.pathways import enrollment_status, history_of, measure_requirements
from trainerpath.services.users import find_user_by_email

LEAP_DAY = date(2024, 2, 29)

# login -> the start of their story, and per pathway: state and the events that led there.
CANDIDATES: dict[str, tuple[str, dict[str, tuple[str, list[str]]]]] = {
    "hannah": ("CST: Preparing (cst@1)", {"cst": ("preparing", [])}),
    "marco": (
        "CST: TAC review (cst@1); PST: Preparing (pst@1)",
        {"cst": ("tac_review", ["submit_application"]), "pst": ("preparing", [])},
    ),
    "aisha": (
        "CST: Certified (cst@1)",
        {
            "cst": (
                "certified",
                [
                    "submit_application",
                    "tac_decline",
                    "submit_application",
                    "tac_approve",
                    "interview_pass",
                ],
            )
        },
    ),
    "daniel": (
        "PST: PSPO III (pst@1)",
        {
            "pst": (
                "pspo3",
                ["submit_application", "accept_application", "complete_ttt", "pass_pspo2"],
            )
        },
    ),
    "sofia": (
        "PST: Licensed (pst@1)",
        {
            "pst": (
                "licensed",
                [
                    "submit_application",
                    "accept_application",
                    "complete_ttt",
                    "withdraw",
                    "resume",
                    "pass_pspo2",
                    "pass_pspo3",
                    "staff_interview_fail",
                    "staff_interview_pass",
                    "peer_review_pass",
                ],
            )
        },
    ),
    "lena": ("CST: Preparing (cst@2, product_owner track)", {"cst": ("preparing", [])}),
    "yusuf": (
        "PST: Phase 2: Knowledge & Practical Experience (pst@2)",
        {"pst": ("knowledge_and_experience", ["submit_application", "accept_application"])},
    ),
}
MENTEES = {
    "priya": {"hannah", "marco", "aisha", "lena"},
    "tom": {"aisha", "daniel", "sofia", "yusuf"},
}
# The ruleset (and track) each demo enrollment follows.
RULES = {
    ("hannah", "cst"): ("cst@1", None),
    ("marco", "cst"): ("cst@1", None),
    ("marco", "pst"): ("pst@1", None),
    ("aisha", "cst"): ("cst@1", None),
    ("daniel", "pst"): ("pst@1", None),
    ("sofia", "pst"): ("pst@1", None),
    ("lena", "cst"): ("cst@2", "product_owner"),
    ("yusuf", "pst"): ("pst@2", None),
}


@pytest.fixture
def people(session: Session) -> list[tuple[User, str]]:
    """Seed the demo on the test database and commit it, as the CLI does."""
    people = seed(session)
    session.commit()
    return people


def email(login: str) -> str:
    """The demo e-mail address of ``login``."""
    return f"{login}@demo.trainerpath.test"


def user(session: Session, login: str) -> User:
    """The demo user with this login."""
    found = find_user_by_email(session, email(login))
    assert found is not None, f"no demo user {login}"
    return found


def user_id(session: Session, login: str) -> int:
    """The id of the demo user with this login."""
    found = user(session, login).id
    assert found is not None
    return found


def enrollment_of(session: Session, login: str, pathway: str) -> Enrollment:
    """The demo user's enrollment in ``pathway``."""
    stmt = select(Enrollment).where(
        col(Enrollment.candidate_id) == user_id(session, login),
        col(Enrollment.pathway) == pathway,
    )
    return session.execute(stmt).scalar_one()


def evidence_of(session: Session, model: type[EvidenceBase], login: str) -> list[Any]:
    """The demo user's evidence items of one kind, in the order they were logged."""
    stmt = (
        select(model)
        .where(col(model.candidate_id) == user_id(session, login))
        .order_by(col(model.id))
    )
    return list(session.execute(stmt).scalars())


def all_evidence(session: Session) -> list[Any]:
    """Every evidence item of every kind."""
    return [
        item
        for model in EVIDENCE_MODELS.values()
        for item in session.execute(select(model)).scalars()
    ]


# A fixed day for the dated stories. The demo dates evidence in days before its today,
# so by hand: Lena's oldest course, 1760 days before 31 Mar 2026, is on 5 Jun 2021 and
# leaves the 60-month window on 6 Jun 2026; the next, 1600 days before, on 12 Nov 2021,
# leaves on 13 Nov 2026; the third (31 May 2022) stays past the 365 days ageing looks at.
STORY_DAY = date(2026, 3, 31)


@pytest.fixture
def on_story_day(session: Session) -> None:
    """Seed the demo as if today were STORY_DAY."""
    seed(session, today=STORY_DAY)
    session.commit()


def requirements_on(session: Session, login: str, pathway: str, today: date) -> dict[str, Any]:
    """The requirement objects of the demo user's enrollment, by key, as of ``today``."""
    status = enrollment_status(
        session=session,
        enrollment=enrollment_of(session, login, pathway),
        viewer=user(session, login),
        today=today,
    )
    return {requirement.key: requirement for requirement in status.requirements}


def test_cst_2024_candidate_is_warned_that_two_qualifying_events_age_out(session, on_story_day):
    events = requirements_on(session, "lena", "cst", STORY_DAY)["qualifying_events"]

    assert events.met and (events.current, events.target) == (10, 10)
    assert events.window == Window(60, date(2021, 3, 31))
    assert events.ageing == (Ageing(date(2026, 6, 6), 9), Ageing(date(2026, 11, 13), 8))
    assert events.forecast is None


def test_cst_2024_candidate_sees_when_current_materials_are_met_at_her_pace(session, on_story_day):
    materials = requirements_on(session, "lena", "cst", STORY_DAY)["current_materials_events"]

    assert not materials.met
    assert (materials.current, materials.pending, materials.target) == (3, 1, 5)
    # 3 in the last 12 months: 0.25 a month; 12 * 3 + k * 3 >= 12 * 5 first at k = 8,
    # the eighth first-of-month after March 2026.
    assert materials.forecast == Forecast(date(2026, 11, 1), 0.25)
    assert materials.ageing == ()


def test_cst_2024_candidate_has_the_rest_but_the_mapping_waiting_for_review(session, on_story_day):
    requirements = requirements_on(session, "lena", "cst", STORY_DAY)

    assert {key for key, r in requirements.items() if r.met} == {
        "csp_active",
        "qualifying_events",
        "recent_experience",
    }
    # Two jobs, 900 and 1400 days, with a gap: 2300 days in the 84-month window.
    assert requirements["recent_experience"].current == 75.5
    mapping = requirements["learning_objectives_mapped"]
    assert (mapping.current, mapping.pending) == (0, 1)


def test_pst_2024_candidate_in_phase_2_applied_meeting_every_core_qualification(
    session, on_story_day
):
    enrollment = enrollment_of(session, "yusuf", "pst")
    ruleset = ruleset_for(enrollment.ruleset)
    guards = ruleset.guards("preparing", "submit_application")

    requirements = measure_requirements(session, enrollment, guards, STORY_DAY)

    assert enrollment.state == "knowledge_and_experience"
    assert all(r.met for r in requirements), [r.message for r in requirements]
    # 2600 days of Scrum experience: two jobs that overlap for 50 days count once.
    assert {r.key: r.current for r in requirements}["scrum_experience"] == 7.11
    accepted = history_of(session, enrollment)[-1]
    assert (accepted.event, user(session, "tom").id) == ("accept_application", accepted.actor_id)


def test_seed_demo_command_prints_every_login(runner: FlaskCliRunner, session):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert repr(DEMO_PASSWORD) in result.output
    users = session.execute(select(User)).scalars().all()
    assert len(users) == 10
    lines = result.output.splitlines()[1:]
    assert len(lines) == 10
    for u in users:
        (line,) = [line for line in lines if f" {u.email} " in line]
        assert line.split()[0] == u.role


def test_seed_demo_twice_refuses_and_changes_nothing(runner: FlaskCliRunner, session):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    histories = session.execute(select(func.count()).select_from(TransitionRecord)).scalar_one()
    session.rollback()  # end the read, which on SQLite holds the write lock the CLI needs
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 1
    assert "Demo data not loaded: A user with this e-mail address already exists." in again.output
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert skipped.exit_code == 0
    assert "demo data not loaded" in skipped.output
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 10
    count = session.execute(select(func.count()).select_from(TransitionRecord)).scalar_one()
    assert count == histories


def snapshot(session: Session, today: date) -> dict[str, Any]:
    """Everything the demo created, with dates as days before ``today`` and ids as e-mails."""
    emails: dict[int | None, str] = {
        row.id: row.email for row in session.execute(select(col(User.id), col(User.email)))
    }

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):  # a stored moment: the day before today, the time
            return ("at", (today - value.date()).days, value.time())
        return ("days before", (today - value).days) if isinstance(value, date) else value

    evidence = [
        (
            slug,
            emails[item.candidate_id],
            item.review_status,
            item.review_note,
            emails.get(item.reviewed_by),
            {k: plain(v) for k, v in evidence_kind(slug).values_of(item).items()},
            [plain(item.created_at), plain(item.reviewed_at)],
        )
        for slug, model in EVIDENCE_MODELS.items()
        for item in session.execute(select(model).order_by(col(model.id))).scalars()
    ]
    history = [
        (
            emails[e.candidate_id],
            e.pathway,
            r.event,
            r.to_state,
            emails[r.actor_id],
            r.note,
            plain(r.at),
        )
        for e in session.execute(select(Enrollment).order_by(col(Enrollment.id))).scalars()
        for r in history_of(session, e)
    ]
    users = session.execute(
        select(col(User.email), col(User.name), col(User.role), col(User.created_at)).order_by(
            col(User.id)
        )
    )
    audit = session.execute(select(col(AuditEntry.action), col(AuditEntry.at)))
    return {
        "users": [(*rest, plain(created)) for *rest, created in users],
        "evidence": evidence,
        "history": history,
        "audit": sorted((action, plain(at)) for action, at in audit),
    }


def test_seeding_is_deterministic_and_dated_relative_to_the_given_day(session):
    seed(session, today=LEAP_DAY)
    on_leap_day = snapshot(session, LEAP_DAY)
    session.rollback()
    seed(session, today=clock.today())
    assert snapshot(session, clock.today()) == on_leap_day
    dates = [
        value
        for *_rest, fields, _moments in on_leap_day["evidence"]
        for value in fields.values()
        if isinstance(value, tuple)
    ]
    assert dates and all(days >= 0 for _before, days in dates)


# -- The demo's past timeline --------------------------------------------------------


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def own_date(slug: str, item: Any) -> date:
    """The latest date of the item itself (a course's last day)."""
    values = evidence_kind(slug).values_of(item)
    latest = max(v for v in values.values() if isinstance(v, date))
    return latest + timedelta(days=values.get("days", 1) - 1)
