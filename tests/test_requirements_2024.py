"""The guards of cst@2 and pst@2 (pathways.md §6), each at its boundary, on fixed dates.

Expected values are worked out by hand from the spec: a 60-month window ending on
15 June 2026 starts on 15 June 2021, an 84-month one on 15 June 2019; 60 months are
1827 days (1826.25 rounded up), four years 1461 days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from measuring import Check, Facts
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainerpath.models import EvidenceBase, TeachingSession, User
from trainerpath.pathways import RULESETS, Requirement
from trainerpath.pathways.measure import Population
from trainerpath.wording import format_number

pytestmark = pytest.mark.without_app  # services need no Flask app

CST_2 = RULESETS["cst@2"]
PST_2 = RULESETS["pst@2"]

csp_active = Check(CST_2, "csp_active")
qualifying_events = Check(CST_2, "qualifying_events")
current_materials_events = Check(CST_2, "current_materials_events")
recent_experience = Check(CST_2, "recent_experience")
learning_objectives_mapped = Check(CST_2, "learning_objectives_mapped")
scrum_experience = Check(PST_2, "scrum_experience")
training_provided = Check(PST_2, "training_provided")
assessment_95 = Check(PST_2, "assessment_95")
advanced_assessment_85 = Check(PST_2, "advanced_assessment_85")

MakeEvidence = Callable[..., EvidenceBase]

DAY = date(2026, 6, 15)  # "today" of every check here
WINDOW_60 = date(2021, 6, 15)  # the first day of the 60-month window ending on DAY
WINDOW_84 = date(2019, 6, 15)  # the first day of the 84-month window ending on DAY
RECENT = date(2026, 3, 2)  # a day well inside every window
SM, PO = "scrum_master", "product_owner"


def ago(days: int) -> date:
    """The day ``days`` before DAY (after it, for a negative number)."""
    return DAY - timedelta(days=days)


@pytest.fixture
def candidate(make_user: Callable[..., User]) -> User:
    """The candidate whose evidence the checks read."""
    return make_user()


def facts(session: Session, candidate: User, track: str | None = SM, today: date = DAY) -> Facts:
    """This candidate's evidence as of ``today``, on ``track``."""
    assert candidate.id is not None
    return Facts(session, candidate.id, today, track)


def progress(requirement: Requirement) -> tuple[bool, int | float, int | float]:
    """What a progress bar shows: (met, current, pending)."""
    return requirement.met, requirement.current, requirement.pending


@pytest.fixture
def course(make_evidence: MakeEvidence, candidate: User) -> Callable[..., EvidenceBase]:
    """Log a course that qualifies on the ScrumMaster track unless told otherwise."""

    def make(count: int = 1, **fields: Any) -> EvidenceBase:
        values = {
            "course_type": SM,
            "first_day": RECENT,
            "days": 2,
            "share_delivered": 100,
            "reflection": "Shorter timeboxes after the students' feedback",
        } | fields
        item = None
        for _ in range(count):
            item = make_evidence(candidate, "teaching-sessions", today=DAY, **values)
        assert item is not None
        return item

    return make


# -- qualifying_events ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "met", "message"),
    [
        (0, False, "10 more qualifying training events needed"),
        (7, False, "3 more qualifying training events needed"),
        (9, False, "1 more qualifying training event needed"),
        (10, True, "10 qualifying training events in the last 60 months"),
        (11, True, "11 qualifying training events in the last 60 months"),
    ],
)
def test_qualifying_events_need_ten(
    session: Session,
    candidate: User,
    course: Callable[..., Any],
    events: int,
    met: bool,
    message: str,
) -> None:
    if events:
        course(events)
    requirement = qualifying_events(facts(session, candidate))
    assert progress(requirement) == (met, events, 0)
    assert (requirement.target, requirement.unit, requirement.message) == (
        10,
        "qualifying training events",
        message,
    )


@pytest.mark.parametrize(
    ("first_day", "counted"),
    [
        (WINDOW_60, True),
        (date(2021, 6, 14), False),
        (date(2016, 1, 10), False),
        (DAY, True),
    ],
    ids=["first-day-of-the-window", "the-day-before", "long-ago", "today"],
)
def test_a_qualifying_event_counts_from_the_first_day_of_the_60_month_window(
    session: Session,
    candidate: User,
    course: Callable[..., Any],
    first_day: date,
    counted: bool,
) -> None:
    course(9)
    course(first_day=first_day)
    requirement = qualifying_events(facts(session, candidate))
    assert progress(requirement) == (counted, 10 if counted else 9, 0)


def test_the_window_moves_with_today(
    session: Session, candidate: User, course: Callable[..., Any]
) -> None:
    course(9)
    course(first_day=WINDOW_60)
    assert qualifying_events(facts(session, candidate, today=DAY)).current == 10
    assert qualifying_events(facts(session, candidate, today=ago(-1))).current == 9


@pytest.mark.parametrize(("share", "counted"), [(49, False), (50, True), (100, True), (1, False)])
def test_a_qualifying_event_needs_at_least_half_of_the_course_delivered(
    session: Session, candidate: User, course: Callable[..., Any], share: int, counted: bool
) -> None:
    course(9)
    course(share_delivered=share)
    assert progress(qualifying_events(facts(session, candidate))) == (
        counted,
        10 if counted else 9,
        0,
    )


@pytest.mark.parametrize(
    "tenth",
    [
        {"days": 1},
        {"course_type": PO},
        {"course_type": "other"},
        {"reflection": ""},
        {"reflection": "   "},
        {"reflection": None},
    ],
    ids=[
        "one-day-course",
        "product-owner-course",
        "other-course",
        "empty-reflection",
        "whitespace-reflection",
        "no-reflection",
    ],
)
def test_a_course_that_is_not_a_qualifying_event_does_not_count(
    session: Session, candidate: User, course: Callable[..., Any], tenth: dict[str, Any]
) -> None:
    course(9)
    course(**tenth)
    requirement = qualifying_events(facts(session, candidate))
    assert progress(requirement) == (False, 9, 0)
    assert requirement.message == "1 more qualifying training event needed"


@pytest.mark.parametrize("blank", ["   ", " "])
def test_a_stored_reflection_of_spaces_is_blank(
    session: Session, candidate: User, course: Callable[..., Any], blank: str
) -> None:
    """Even a reflection stored without the form's trimming (older or imported rows)."""
    course(9)
    item = course()
    assert isinstance(item, TeachingSession)
    item.reflection = blank
    session.commit()
    assert progress(qualifying_events(facts(session, candidate))) == (False, 9, 0)


@pytest.mark.parametrize(
    ("track", "course_type", "counted"),
    [(SM, SM, True), (SM, PO, False), (PO, PO, True), (PO, SM, False), (PO, "other", False)],
)
def test_only_courses_of_the_enrollments_track_qualify(
    session: Session,
    candidate: User,
    course: Callable[..., Any],
    track: str,
    course_type: str,
    counted: bool,
) -> None:
    course(10, course_type=course_type)
    requirement = qualifying_events(facts(session, candidate, track=track))
    assert progress(requirement) == (counted, 10 if counted else 0, 0)


def test_an_enrollment_without_a_track_follows_the_scrum_master_track(
    session: Session, candidate: User, course: Callable[..., Any]
) -> None:
    course(10, course_type=SM)
    course(10, course_type=PO)
    requirement = qualifying_events(facts(session, candidate, track=None))
    assert progress(requirement) == (True, 10, 0)


def test_pending_events_are_reported_apart_and_rejected_ones_never_count(
    session: Session, candidate: User, course: Callable[..., Any]
) -> None:
    course(7)
    course(2, status="pending")
    course(1, status="pending", first_day=date(2021, 6, 14))  # outside the window
    course(3, status="rejected")
    requirement = qualifying_events(facts(session, candidate))
    assert progress(requirement) == (False, 7, 2)
    assert requirement.message == "3 more qualifying training events needed (2 waiting for review)"


# -- current_materials_events ---------------------------------------------------------


@pytest.mark.parametrize(
    ("with_materials", "met", "message"),
    [
        (4, False, "1 more qualifying event with current materials needed"),
        (5, True, "5 qualifying events with current materials in the last 60 months"),
    ],
)
def test_five_qualifying_events_need_the_current_materials(
    session: Session,
    candidate: User,
    course: Callable[..., Any],
    with_materials: int,
    met: bool,
    message: str,
) -> None:
    course(with_materials, with_current_materials=True)
    course(10 - with_materials, with_current_materials=False)
    requirement = current_materials_events(facts(session, candidate))
    assert progress(requirement) == (met, with_materials, 0)
    assert (requirement.target, requirement.message) == (5, message)


@pytest.mark.parametrize(
    "fifth",
    [
        {"days": 1},
        {"share_delivered": 49},
        {"reflection": ""},
        {"course_type": PO},
        {"first_day": date(2021, 6, 14)},
        {"status": "pending"},
        {"status": "rejected"},
    ],
    ids=[
        "one-day",
        "half-less-one-percent",
        "no-reflection",
        "other-track",
        "outside-the-window",
        "pending",
        "rejected",
    ],
)
def test_current_materials_count_only_on_verified_qualifying_events(
    session: Session, candidate: User, course: Callable[..., Any], fifth: dict[str, Any]
) -> None:
    course(4, with_current_materials=True)
    course(with_current_materials=True, **fifth)
    requirement = current_materials_events(facts(session, candidate))
    pending = 1 if fifth.get("status") == "pending" else 0
    assert progress(requirement) == (False, 4, pending)


def test_current_materials_follow_the_product_owner_track(
    session: Session, candidate: User, course: Callable[..., Any]
) -> None:
    course(5, course_type=PO, with_current_materials=True)
    course(5, course_type=SM, with_current_materials=True)
    assert current_materials_events(facts(session, candidate, track=PO)).current == 5
    course(course_type=SM, with_current_materials=True)
    assert current_materials_events(facts(session, candidate, track=PO)).current == 5
    assert current_materials_events(facts(session, candidate, track=SM)).current == 6


# -- csp_active (cst@2) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("track", "kind", "met"),
    [
        (SM, "csp_sm", True),
        (SM, "csp_po", False),
        (PO, "csp_po", True),
        (PO, "csp_sm", False),
        (SM, "csm", False),
        (PO, "cspo", False),
        (None, "csp_sm", True),
        (None, "csp_po", False),
    ],
)
def test_csp_active_needs_the_csp_of_the_track(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    track: str | None,
    kind: str,
    met: bool,
) -> None:
    make_evidence(candidate, "credentials", today=DAY, kind=kind, issued_on=date(2025, 1, 10))
    requirement = csp_active(facts(session, candidate, track=track))
    assert progress(requirement) == (met, int(met), 0)
    needed = {
        PO: "An active CSP-PO credential is needed on the Product Owner track",
        SM: "An active CSP-SM credential is needed on the ScrumMaster track",
    }
    assert requirement.message == (
        "An active CSP credential of the track is on record" if met else needed[track or SM]
    )


@pytest.mark.parametrize(
    ("issued_on", "today", "met"),
    [
        (date(2024, 6, 16), DAY, True),  # valid until 16 June 2026
        (date(2024, 6, 15), DAY, False),  # valid until today: no longer active
        (date(2026, 6, 16), DAY, False),  # not issued yet
    ],
)
def test_the_csp_of_the_track_must_be_active_today(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    issued_on: date,
    today: date,
    met: bool,
) -> None:
    make_evidence(candidate, "credentials", today=issued_on, kind="csp_po", issued_on=issued_on)
    assert csp_active(facts(session, candidate, track=PO, today=today)).met is met


def test_a_pending_csp_is_reported_and_a_rejected_one_is_not(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    for status in ("pending", "rejected"):
        make_evidence(
            candidate, "credentials", today=DAY, status=status, kind="csp_po", issued_on=RECENT
        )
    requirement = csp_active(facts(session, candidate, track=PO))
    assert progress(requirement) == (False, 0, 1)
    assert requirement.message.endswith("(one is waiting for review)")


# -- learning_objectives_mapped -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("learning_objectives_mapped", "verified", (True, 1, 0)),
        ("learning_objectives_mapped", "pending", (False, 0, 1)),
        ("learning_objectives_mapped", "rejected", (False, 0, 0)),
        ("course_materials_reviewed", "verified", (False, 0, 0)),
    ],
)
def test_learning_objectives_mapped_needs_that_milestone_verified(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    kind: str,
    status: str,
    expected: tuple[bool, int, int],
) -> None:
    make_evidence(candidate, "milestones", today=DAY, status=status, kind=kind, achieved_on=RECENT)
    assert progress(learning_objectives_mapped(facts(session, candidate))) == expected


# -- recent_experience ------------------------------------------------------------------

# (role, started so many days before DAY, ended so many days before DAY or None: ongoing)
Period = tuple[str, int, int | None]
WINDOW_DAYS = 2557  # from WINDOW_84 to DAY: seven years with two 29 Februaries


def log_periods(
    make_evidence: MakeEvidence, candidate: User, periods: list[Period], status: str = "verified"
) -> None:
    """Log experience periods given in days before DAY."""
    for role, started, ended in periods:
        make_evidence(
            candidate,
            "experience",
            today=DAY,
            status=status,
            role=role,
            started_on=ago(started),
            ended_on=None if ended is None else ago(ended),
        )


def test_the_periods_shown_as_evidence_are_those_with_a_day_counted(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    """The dossier lists a requirement's evidence: not a period that ended on the
    window's first day or starts today, which count no day ([started_on, ended_on))."""
    log_periods(
        make_evidence,
        candidate,
        [(SM, 4000, WINDOW_DAYS), (SM, 4000, WINDOW_DAYS - 1), (SM, 0, None), (SM, 1, None)],
    )
    model, where = CST_2.requirements["recent_experience"].evidence(
        Population(session, (candidate.id or 0,), DAY, SM)
    )
    found = session.execute(select(model.started_on, model.ended_on).where(*where)).all()
    assert sorted(found) == [(ago(4000), ago(WINDOW_DAYS - 1)), (ago(1), None)]


def test_the_84_month_window_has_the_days_counted_below() -> None:
    assert ago(WINDOW_DAYS) == WINDOW_84


@pytest.mark.parametrize(
    ("periods", "months", "met"),
    [
        ([(SM, 1827, None)], 60.0, True),
        ([(SM, 1826, None)], 59.9, False),
        ([(PO, 1828, 1)], 60.0, True),
        ([("team_member", 1827, 1)], 59.9, False),
        ([(SM, 1827, 0)], 60.0, True),
        ([("agile_coach", 1827, None)], 60.0, True),
        ([("other", 3000, None)], 0.0, False),
        ([("other", 1827, None), ("agile_coach", 1000, None)], 32.8, False),
        ([(SM, 1827, 827), (PO, 1000, None)], 60.0, True),
        ([(SM, 1826, 826), (PO, 1000, None)], 59.9, False),
        ([(SM, 1000, None), (PO, 1000, None)], 32.8, False),
        ([(SM, 1827, None), ("team_member", 1500, 200)], 60.0, True),
        ([(SM, 1827, 900), ("agile_coach", 900, None)], 60.0, True),
        ([(SM, 1827, 901), ("agile_coach", 900, None)], 59.9, False),
        ([(SM, 4000, WINDOW_DAYS - 1827)], 60.0, True),
        ([(SM, 4000, WINDOW_DAYS - 1826)], 59.9, False),
        ([(SM, WINDOW_DAYS, WINDOW_DAYS - 1827)], 60.0, True),
        ([(SM, WINDOW_DAYS + 1, WINDOW_DAYS - 1826)], 59.9, False),
        ([(SM, 4000, 3000), (PO, 2000, 1000)], 32.8, False),
        ([(SM, 1826, -100)], 59.9, False),
        ([(SM, 0, None)], 0.0, False),
    ],
    ids=[
        "1827-days-ongoing",
        "1826-days-ongoing",
        "1827-days-ended-yesterday",
        "1826-days-ended-yesterday",
        "1827-days-ended-today",
        "agile-coach-counts",
        "other-does-not-count",
        "other-beside-agile-coach",
        "overlapping-roles-count-once",
        "overlapping-roles-a-day-short",
        "identical-periods-count-once",
        "nested-period-counts-once",
        "adjacent-periods-join",
        "a-one-day-gap-is-not-counted",
        "clipped-at-the-window-start",
        "clipped-a-day-short",
        "starting-on-the-window-start",
        "starting-the-day-before-the-window",
        "before-the-window-does-not-count",
        "planned-end-cut-at-today",
        "started-today",
    ],
)
def test_recent_experience_needs_1827_days_of_scrum_roles_in_the_last_84_months(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    periods: list[Period],
    months: float,
    met: bool,
) -> None:
    log_periods(make_evidence, candidate, periods)
    requirement = recent_experience(facts(session, candidate))
    assert progress(requirement) == (met, months, 0)
    assert (requirement.target, requirement.unit) == (60, "months")


def test_an_ongoing_period_is_cut_at_today_and_grows_with_it(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    log_periods(make_evidence, candidate, [(SM, 1826, None)])
    assert progress(recent_experience(facts(session, candidate))) == (False, 59.9, 0)
    tomorrow = facts(session, candidate, today=ago(-1))
    assert progress(recent_experience(tomorrow)) == (True, 60.0, 0)


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([], "60 more months of Scrum experience in the last 84 months needed"),
        ([(SM, 1678, None)], "4.9 more months of Scrum experience in the last 84 months needed"),
        ([(SM, 1826, None)], "0.1 more months of Scrum experience in the last 84 months needed"),
        ([(SM, 1827, None)], "60 months of Scrum experience in the last 84 months"),
        ([(SM, 3000, None)], "84 months of Scrum experience in the last 84 months"),
    ],
)
def test_recent_experience_says_how_many_months_are_missing(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    periods: list[Period],
    message: str,
) -> None:
    log_periods(make_evidence, candidate, periods)
    assert recent_experience(facts(session, candidate)).message == message


def test_recent_experience_reports_pending_months_not_already_verified(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    log_periods(make_evidence, candidate, [(SM, 1000, None)])
    # Overlaps the verified period for 200 days: 700 more days, 22.998 months.
    log_periods(make_evidence, candidate, [(PO, 1700, 800)], status="pending")
    log_periods(make_evidence, candidate, [(SM, 3000, None)], status="rejected")
    requirement = recent_experience(facts(session, candidate))
    # 1000 days are 32.85 months: 32.8 shown, and 27.2 (27.15 rounded up) missing.
    assert progress(requirement) == (False, 32.8, 22.9)
    assert requirement.message == (
        "27.2 more months of Scrum experience in the last 84 months needed "
        "(22.9 months waiting for review)"
    )


# -- pst@2: scrum_experience ----------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "years", "met"),
    [
        ([(SM, 1461, None)], 4.0, True),
        ([(SM, 1460, None)], 3.99, False),
        ([(PO, 1462, 1)], 4.0, True),
        ([("agile_coach", 1461, 1)], 3.99, False),
        ([(SM, 1461, 700), ("team_member", 700, None)], 4.0, True),
        ([(SM, 1461, 701), ("team_member", 700, None)], 3.99, False),
        ([(SM, 1461, 500), (PO, 1000, None)], 4.0, True),
        ([(SM, 1460, 500), (PO, 1000, None)], 3.99, False),
        ([(SM, 5000, 3000)], 5.47, True),
        ([("other", 3000, None), (PO, 1000, None)], 2.73, False),
    ],
    ids=[
        "1461-days",
        "1460-days",
        "1461-days-ended-yesterday",
        "1460-days-ended-yesterday",
        "adjacent-roles-join",
        "a-day-gap",
        "overlapping-roles-count-once",
        "overlapping-roles-a-day-short",
        "no-window-long-ago-counts",
        "other-does-not-count",
    ],
)
def test_pst_scrum_experience_needs_four_years_in_any_scrum_role(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    periods: list[Period],
    years: float,
    met: bool,
) -> None:
    log_periods(make_evidence, candidate, periods)
    requirement = scrum_experience(facts(session, candidate, track=None))
    assert progress(requirement) == (met, years, 0)
    assert (requirement.target, requirement.unit) == (4, "years")
    assert requirement.message == (
        f"{format_number(years)} years of Scrum experience"
        if met
        else f"{format_number(round(4 - years, 2))} more years of Scrum experience needed"
    )


# -- pst@2: training_provided ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected", "message"),
    [
        (None, (False, 0, 0), "1 more teaching session needed"),
        ("verified", (True, 1, 0), "1 teaching session on record"),
        ("pending", (False, 0, 1), "1 more teaching session needed (1 waiting for review)"),
        ("rejected", (False, 0, 0), "1 more teaching session needed"),
    ],
)
def test_pst_training_provided_needs_one_verified_course_of_any_kind(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    status: str | None,
    expected: tuple[bool, int, int],
    message: str,
) -> None:
    if status:
        # Neither multi-day nor a Scrum course nor recent: any course is training provided.
        make_evidence(
            candidate,
            "teaching-sessions",
            today=DAY,
            status=status,
            course_type="other",
            days=1,
            first_day=date(2012, 5, 1),
        )
    requirement = training_provided(facts(session, candidate, track=None))
    assert progress(requirement) == expected
    assert requirement.message == message


# -- pst@2: assessments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "assessment", "score", "met"),
    [
        (assessment_95, "psm_1", 94, False),
        (assessment_95, "psm_1", 94.9, False),
        (assessment_95, "psm_1", 95, True),
        (assessment_95, "pspo_1", 94, False),
        (assessment_95, "pspo_1", 94.9, False),
        (assessment_95, "pspo_1", 95, True),
        (assessment_95, "psm_2", 100, False),
        (assessment_95, "pspo_2", 100, False),
        (assessment_95, "pspo_a", 100, False),
        (advanced_assessment_85, "psm_2", 84, False),
        (advanced_assessment_85, "psm_2", 84.9, False),
        (advanced_assessment_85, "psm_2", 85, True),
        (advanced_assessment_85, "pspo_2", 84, False),
        (advanced_assessment_85, "pspo_2", 85, True),
        (advanced_assessment_85, "psm_1", 100, False),
        (advanced_assessment_85, "pspo_1", 100, False),
    ],
)
def test_pst_assessments_need_the_pass_mark_on_either_of_the_pair(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    check: Check,
    assessment: str,
    score: float,
    met: bool,
) -> None:
    make_evidence(
        candidate, "assessments", today=DAY, assessment=assessment, score=score, taken_on=RECENT
    )
    requirement = check(facts(session, candidate, track=None))
    assert progress(requirement) == (met, int(met), 0)
    assert (requirement.target, requirement.unit) == (1, "item")


@pytest.mark.parametrize(
    ("check", "scores", "message"),
    [
        (assessment_95, [], "PSM I or PSPO I with at least 95% is needed"),
        (
            assessment_95,
            [("psm_1", 90), ("pspo_1", 94)],
            "PSM I or PSPO I with at least 95% is needed (best verified score so far: 94%)",
        ),
        (assessment_95, [("psm_1", 94), ("pspo_1", 95)], "PSM I or PSPO I passed at 95% or more"),
        (assessment_95, [("pspo_1", 80), ("psm_1", 96)], "PSM I or PSPO I passed at 95% or more"),
        (
            advanced_assessment_85,
            [("pspo_2", 84), ("psm_2", 70), ("pspo_1", 99)],
            "PSM II or PSPO II with at least 85% is needed (best verified score so far: 84%)",
        ),
        (
            advanced_assessment_85,
            [("psm_2", 85)],
            "PSM II or PSPO II passed at 85% or more",
        ),
    ],
)
def test_pst_assessments_name_the_best_verified_score_of_the_pair(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    check: Check,
    scores: list[tuple[str, float]],
    message: str,
) -> None:
    for assessment, score in scores:
        make_evidence(
            candidate, "assessments", today=DAY, assessment=assessment, score=score, taken_on=RECENT
        )
    assert check(facts(session, candidate, track=None)).message == message


@pytest.mark.parametrize(
    ("status", "expected"),
    [("verified", (True, 1, 0)), ("pending", (False, 0, 1)), ("rejected", (False, 0, 0))],
)
def test_pst_assessments_count_verified_attempts_and_report_pending_ones(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    status: str,
    expected: tuple[bool, int, int],
) -> None:
    make_evidence(
        candidate,
        "assessments",
        today=DAY,
        status=status,
        assessment="psm_2",
        score=90,
        taken_on=RECENT,
    )
    assert progress(advanced_assessment_85(facts(session, candidate, track=None))) == expected
