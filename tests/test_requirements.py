"""The requirement checks (pathways.md §4 guards, §5 reports), each at its boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import TODAY, days_ago
from measuring import CHECKS, Facts
from sqlalchemy.orm import Session

from trainerpath.models import Credential, EvidenceBase, User
from trainerpath.pathways import Population, Requirement
from trainerpath.services.evidence_kinds import add_years

pytestmark = pytest.mark.without_app  # services need no Flask app

course_materials_reviewed = CHECKS["course_materials_reviewed"]
csp_active = CHECKS["csp_active"]
multi_day_sm_sessions = CHECKS["multi_day_sm_sessions"]
po_experience = CHECKS["po_experience"]
scrum_experience = CHECKS["scrum_experience"]
students_taught = CHECKS["students_taught"]
training_provided = CHECKS["training_provided"]
ttt_attended = CHECKS["ttt_attended"]

MakeEvidence = Callable[..., EvidenceBase]

# Exactly four years of the spec: 1 year = 365.25 days.
FOUR_YEARS = 1461


@pytest.fixture
def candidate(make_user: Callable[..., User]) -> User:
    """The candidate whose evidence the checks read."""
    return make_user()


def facts(session: Session, candidate: User, today: date = TODAY) -> Facts:
    """The facts a check reads: this candidate's evidence as of ``today``."""
    assert candidate.id is not None
    return Facts(session=session, candidate_id=candidate.id, today=today)


def progress(requirement: Requirement) -> tuple[bool, int | float, int | float]:
    """What a progress bar shows: (met, current, pending)."""
    return requirement.met, requirement.current, requirement.pending


# -- students_taught ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("students", "met", "message"),
    [
        ((50, 23), False, "27 more students needed"),
        ((50, 49), False, "1 more student needed"),
        ((50, 50), True, "100 students taught"),
        ((500, 1), True, "501 students taught"),
    ],
    ids=["73", "99", "100", "501"],
)
def test_students_taught_needs_100_students_across_sessions(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    students: tuple[int, int],
    met: bool,
    message: str,
) -> None:
    for count in students:
        make_evidence(candidate, "teaching-sessions", students=count)
    requirement = students_taught(facts(session, candidate))
    assert progress(requirement) == (met, sum(students), 0)
    assert (requirement.target, requirement.unit, requirement.message) == (
        100,
        "students",
        message,
    )


def test_students_taught_reports_pending_students_beside_verified(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    make_evidence(candidate, "teaching-sessions", students=73)
    make_evidence(candidate, "teaching-sessions", status="pending", students=20)
    make_evidence(candidate, "teaching-sessions", status="rejected", students=50)
    requirement = students_taught(facts(session, candidate))
    assert progress(requirement) == (False, 73, 20)
    assert requirement.message == "27 more students needed (20 waiting for review)"


def test_students_of_another_candidate_do_not_count(
    session: Session,
    candidate: User,
    make_user: Callable[..., User],
    make_evidence: MakeEvidence,
) -> None:
    make_evidence(make_user(), "teaching-sessions", students=150)
    make_evidence(candidate, "teaching-sessions", students=5)
    assert progress(students_taught(facts(session, candidate))) == (False, 5, 0)


# -- multi_day_sm_sessions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "met", "message"),
    [
        (9, False, "1 more multi-day ScrumMaster session needed"),
        (10, True, "10 multi-day ScrumMaster sessions hosted"),
    ],
)
def test_multi_day_sessions_need_ten_scrum_master_sessions_of_two_days(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    sessions: int,
    met: bool,
    message: str,
) -> None:
    for _ in range(sessions):
        make_evidence(candidate, "teaching-sessions", course_type="scrum_master", days=2)
    requirement = multi_day_sm_sessions(facts(session, candidate))
    assert progress(requirement) == (met, sessions, 0)
    assert (requirement.target, requirement.message) == (10, message)


@pytest.mark.parametrize(
    "tenth",
    [
        {"course_type": "scrum_master", "days": 1},
        {"course_type": "product_owner", "days": 3},
        {"course_type": "other", "days": 5},
    ],
    ids=["one-day-scrum-master", "multi-day-product-owner", "multi-day-other"],
)
def test_only_multi_day_scrum_master_sessions_count_as_such(
    session: Session, candidate: User, make_evidence: MakeEvidence, tenth: dict[str, Any]
) -> None:
    for _ in range(9):
        make_evidence(candidate, "teaching-sessions", course_type="scrum_master", days=2)
    make_evidence(candidate, "teaching-sessions", **tenth)
    requirement = multi_day_sm_sessions(facts(session, candidate))
    assert progress(requirement) == (False, 9, 0)
    # Every session still counts toward the students taught.
    assert students_taught(facts(session, candidate)).current == 100


# -- csp_active ----------------------------------------------------------------------

# A fixed day keeps the two-year arithmetic independent of when the suite runs.
DAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("credential", "met"),
    [
        ({"kind": "csp_sm", "issued_on": date(2024, 1, 10)}, True),
        ({"kind": "csp_po", "issued_on": date(2024, 1, 10)}, True),
        ({"kind": "csm", "issued_on": date(2024, 1, 10)}, False),
        ({"kind": "cspo", "issued_on": date(2024, 1, 10)}, False),
        ({"kind": "a_csm", "issued_on": date(2024, 1, 10)}, False),
        ({"kind": "csp_sm", "issued_on": date(2023, 6, 16)}, True),
        ({"kind": "csp_sm", "issued_on": date(2023, 6, 15)}, False),
        ({"kind": "csp_po", "issued_on": date(2023, 6, 14)}, False),
        (
            {"kind": "csp_sm", "issued_on": date(2024, 1, 10), "expires_on": date(2025, 6, 14)},
            False,
        ),
        (
            {"kind": "csp_sm", "issued_on": date(2024, 1, 10), "expires_on": date(2025, 6, 15)},
            False,
        ),
        (
            {"kind": "csp_sm", "issued_on": date(2024, 1, 10), "expires_on": date(2025, 6, 16)},
            True,
        ),
        (
            {"kind": "csp_po", "issued_on": date(2021, 1, 10), "expires_on": date(2026, 1, 10)},
            True,
        ),
    ],
    ids=[
        "csp-sm",
        "csp-po",
        "csm-is-not-a-csp",
        "cspo-is-not-a-csp-po",
        "a-csm-is-not-a-csp",
        "issued-2-years-less-a-day-ago",
        "issued-exactly-2-years-ago-expires-today",
        "issued-2-years-and-a-day-ago",
        "expires-on-yesterday",
        "expires-on-today",
        "expires-on-tomorrow",
        "renewed-expires-on-overrides-2-years",
    ],
)
def test_csp_active_needs_a_csp_whose_validity_covers_today(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    credential: dict[str, Any],
    met: bool,
) -> None:
    make_evidence(candidate, "credentials", today=DAY, **credential)
    requirement = csp_active(facts(session, candidate, today=DAY))
    assert progress(requirement) == (met, int(met), 0)
    assert (requirement.target, requirement.unit) == (1, "item")
    assert requirement.message == (
        "An active CSP credential is on record"
        if met
        else "An active CSP-SM or CSP-PO credential is needed"
    )


def test_csp_issued_after_the_day_of_the_check_is_not_yet_active(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    # Logging refuses a future issue date, so store it as of a later day and check now.
    issued = DAY + timedelta(days=5)
    make_evidence(candidate, "credentials", today=issued, kind="csp_sm", issued_on=issued)
    assert progress(csp_active(facts(session, candidate, today=DAY))) == (False, 0, 0)
    assert progress(csp_active(facts(session, candidate, today=issued))) == (True, 1, 0)


@pytest.mark.parametrize(
    ("issued", "years", "expected"),
    [
        (date(2024, 2, 29), 2, date(2026, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 28), 2, date(2026, 2, 28)),
        (date(2024, 3, 1), 2, date(2026, 3, 1)),
        (date(2023, 6, 15), 2, date(2025, 6, 15)),
    ],
)
def test_add_years_keeps_the_day_and_turns_29_february_into_28(
    issued: date, years: int, expected: date
) -> None:
    assert add_years(issued, years) == expected


def test_csp_issued_on_29_february_expires_on_28_february_two_years_later(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    credential = make_evidence(
        candidate, "credentials", today=date(2024, 3, 1), kind="csp_sm", issued_on=date(2024, 2, 29)
    )
    assert isinstance(credential, Credential)
    assert credential.valid_until == date(2026, 2, 28)
    assert csp_active(facts(session, candidate, today=date(2026, 2, 27))).met
    assert not csp_active(facts(session, candidate, today=date(2026, 2, 28))).met


@pytest.mark.parametrize(
    ("kind", "valid_until"),
    [("csp_sm", date(2025, 1, 10)), ("cspo", date(2025, 1, 10)), ("pspo_1", None), ("other", None)],
)
def test_only_scrum_alliance_credentials_expire_after_two_years_by_default(
    candidate: User, make_evidence: MakeEvidence, kind: str, valid_until: date | None
) -> None:
    credential = make_evidence(candidate, "credentials", kind=kind, issued_on=date(2023, 1, 10))
    assert isinstance(credential, Credential)
    assert credential.valid_until == valid_until


def test_pending_csp_is_mentioned_but_not_counted(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    make_evidence(candidate, "credentials", status="pending", kind="csp_po")
    requirement = csp_active(facts(session, candidate))
    assert progress(requirement) == (False, 0, 1)
    assert requirement.message == (
        "An active CSP-SM or CSP-PO credential is needed (one is waiting for review)"
    )


# -- milestones and experience (yes/no checks) ----------------------------------------


# What each milestone check says when met and when not.
MILESTONE_CHECKS: dict[str, tuple[Callable[[Facts], Requirement], str, str]] = {
    "course_materials_reviewed": (
        course_materials_reviewed,
        "Course materials have been reviewed",
        "Course materials reviewed by a review panel are needed",
    ),
    "ttt_attended": (
        ttt_attended,
        "Train the Trainer attended",
        "Attendance at the 3-day Train the Trainer course is needed",
    ),
}


@pytest.mark.parametrize(
    "kind",
    [
        "course_materials_reviewed",
        "learning_objectives_mapped",
        "ttt_attended",
        "application_drafted",
        "other",
    ],
)
@pytest.mark.parametrize("check", sorted(MILESTONE_CHECKS))
def test_a_milestone_check_is_met_by_a_milestone_of_its_own_kind_only(
    session: Session, candidate: User, make_evidence: MakeEvidence, check: str, kind: str
) -> None:
    make_evidence(candidate, "milestones", kind=kind)
    measure, met_message, unmet_message = MILESTONE_CHECKS[check]
    requirement = measure(facts(session, candidate))
    met = kind == check  # e.g. only a ttt_attended milestone meets ttt_attended
    assert progress(requirement) == (met, int(met), 0)
    assert requirement.message == (met_message if met else unmet_message)


@pytest.mark.parametrize(
    ("role", "met"),
    [("scrum_master", True), ("product_owner", True), ("team_member", True), ("other", False)],
)
def test_scrum_experience_accepts_the_three_scrum_roles_only(
    session: Session, candidate: User, make_evidence: MakeEvidence, role: str, met: bool
) -> None:
    make_evidence(candidate, "experience", role=role, started_on=days_ago(30))
    requirement = scrum_experience(facts(session, candidate))
    assert progress(requirement) == (met, int(met), 0)
    assert requirement.message == (
        "Hands-on Scrum experience is on record"
        if met
        else "Experience as ScrumMaster, Product Owner or team member is needed"
    )


# -- training_provided ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "met", "message"),
    [
        (0, False, "1 more teaching session needed"),
        (1, True, "1 teaching session on record"),
        (2, True, "2 teaching sessions on record"),
    ],
)
def test_training_provided_needs_one_teaching_session_of_any_kind(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    sessions: int,
    met: bool,
    message: str,
) -> None:
    for _ in range(sessions):
        make_evidence(candidate, "teaching-sessions", course_type="other", days=1, students=3)
    requirement = training_provided(facts(session, candidate))
    assert progress(requirement) == (met, sessions, 0)
    assert (requirement.target, requirement.message) == (1, message)


# -- assessments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "assessment", "score", "met"),
    [
        ("pspo1_95", "pspo_1", 94, False),
        ("pspo1_95", "pspo_1", 94.9, False),
        ("pspo1_95", "pspo_1", 95, True),
        ("pspo1_95", "pspo_1", 100, True),
        ("pspo2_85", "pspo_2", 84, False),
        ("pspo2_85", "pspo_2", 84.9, False),
        ("pspo2_85", "pspo_2", 85, True),
        ("pspo3_85", "pspo_3", 84, False),
        ("pspo3_85", "pspo_3", 84.9, False),
        ("pspo3_85", "pspo_3", 85, True),
    ],
)
def test_assessment_guards_need_the_pass_mark_or_more(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    key: str,
    assessment: str,
    score: float,
    met: bool,
) -> None:
    make_evidence(candidate, "assessments", assessment=assessment, score=score)
    requirement = CHECKS[key](facts(session, candidate))
    assert progress(requirement) == (met, int(met), 0)
    assert (requirement.target, requirement.unit) == (1, "item")


@pytest.mark.parametrize(
    ("key", "assessment", "scores", "message"),
    [
        ("pspo1_95", "pspo_1", [], "PSPO I with at least 95% is needed"),
        (
            "pspo1_95",
            "pspo_1",
            [80, 94.9],
            "PSPO I with at least 95% is needed (best verified score so far: 94.9%)",
        ),
        ("pspo1_95", "pspo_1", [95], "PSPO I passed at 95% or more"),
        (
            "pspo2_85",
            "pspo_2",
            [84],
            "PSPO II with at least 85% is needed (best verified score so far: 84%)",
        ),
        ("pspo3_85", "pspo_3", [70, 85], "PSPO III passed at 85% or more"),
    ],
)
def test_assessment_guard_says_the_best_verified_score_so_far(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    key: str,
    assessment: str,
    scores: list[float],
    message: str,
) -> None:
    for score in scores:
        make_evidence(candidate, "assessments", assessment=assessment, score=score)
    assert CHECKS[key](facts(session, candidate)).message == message


@pytest.mark.parametrize(
    ("key", "other_assessment"),
    [
        ("pspo1_95", "psm_1"),
        ("pspo1_95", "pspo_a"),
        ("pspo2_85", "pspo_1"),
        ("pspo2_85", "psm_2"),
        ("pspo3_85", "pspo_2"),
        ("pspo3_85", "psm_3"),
    ],
)
def test_a_high_score_in_another_assessment_does_not_count(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    key: str,
    other_assessment: str,
) -> None:
    make_evidence(candidate, "assessments", assessment=other_assessment, score=100)
    assert progress(CHECKS[key](facts(session, candidate))) == (False, 0, 0)


# -- po_experience ---------------------------------------------------------------------

Period = tuple[int, int | None]  # (started so many days ago, ended so many days ago or None)


@pytest.mark.parametrize(
    ("periods", "years", "met"),
    [
        ([(FOUR_YEARS, None)], 4.00, True),
        ([(FOUR_YEARS - 1, None)], 3.99, False),
        ([(FOUR_YEARS, 0)], 4.00, True),
        ([(FOUR_YEARS + 1, 1)], 4.00, True),
        ([(FOUR_YEARS, 1)], 3.99, False),
        ([(1000, None), (1000, None)], 2.73, False),
        ([(FOUR_YEARS, 500), (1000, None)], 4.00, True),
        ([(1000, None), (FOUR_YEARS, 500)], 4.00, True),
        ([(FOUR_YEARS, None), (1000, 500)], 4.00, True),
        ([(FOUR_YEARS, 700), (700, None)], 4.00, True),
        ([(FOUR_YEARS, 701), (700, None)], 3.99, False),
        ([(FOUR_YEARS - 1, -100)], 3.99, False),
        ([(FOUR_YEARS, -365)], 4.00, True),
        ([(0, None)], 0.00, False),
        ([(3000, 2000), (1500, 1000), (800, None)], 6.29, True),
    ],
    ids=[
        "exactly-4-years-ongoing",
        "a-day-short-ongoing",
        "exactly-4-years-ended-today",
        "exactly-4-years-ended-yesterday",
        "a-day-short-ended-yesterday",
        "identical-periods-count-once",
        "overlapping-periods-count-once",
        "overlapping-periods-in-any-order",
        "nested-period-counts-once",
        "adjacent-periods-join",
        "one-day-gap-is-not-counted",
        "future-end-cut-at-today-short",
        "future-end-cut-at-today-enough",
        "started-today",
        "three-separate-periods-add-up",
    ],
)
def test_po_experience_counts_the_union_of_product_owner_periods(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    periods: list[Period],
    years: float,
    met: bool,
) -> None:
    for started, ended in periods:
        make_evidence(
            candidate,
            "experience",
            role="product_owner",
            started_on=days_ago(started),
            ended_on=None if ended is None else days_ago(ended),
        )
    requirement = po_experience(facts(session, candidate))
    assert progress(requirement) == (met, years, 0)
    assert (requirement.target, requirement.unit) == (4, "years")


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (FOUR_YEARS, "4 years as Product Owner"),
        (FOUR_YEARS - 1, "0.01 more years as Product Owner needed"),
        (1000, "1.27 more years as Product Owner needed"),
        (0, "4 more years as Product Owner needed"),
    ],
)
def test_po_experience_says_how_many_years_are_missing(
    session: Session, candidate: User, make_evidence: MakeEvidence, days: int, message: str
) -> None:
    if days:
        make_evidence(candidate, "experience", role="product_owner", started_on=days_ago(days))
    assert po_experience(facts(session, candidate)).message == message


@pytest.mark.parametrize("role", ["scrum_master", "team_member", "other"])
def test_po_experience_ignores_other_roles(
    session: Session, candidate: User, make_evidence: MakeEvidence, role: str
) -> None:
    make_evidence(candidate, "experience", role=role, started_on=days_ago(3000))
    make_evidence(candidate, "experience", role="product_owner", started_on=days_ago(1000))
    assert progress(po_experience(facts(session, candidate))) == (False, 2.73, 0)


def test_po_experience_reports_pending_years_not_already_verified(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    make_evidence(candidate, "experience", role="product_owner", started_on=days_ago(1000))
    make_evidence(
        candidate,
        "experience",
        status="pending",
        role="product_owner",
        started_on=days_ago(FOUR_YEARS),
        ended_on=days_ago(500),  # overlaps the verified period from day 1000 to 500
    )
    make_evidence(
        candidate, "experience", status="rejected", role="product_owner", started_on=days_ago(3000)
    )
    requirement = po_experience(facts(session, candidate))
    assert progress(requirement) == (False, 2.73, 1.26)
    assert requirement.message == (
        "1.27 more years as Product Owner needed (1.26 years waiting for review)"
    )


# -- unreviewed evidence never counts -------------------------------------------------

Items = list[tuple[str, dict[str, Any]]]

# Evidence that meets each guard on its own once verified, and what it adds to `pending`.
MEETS: dict[str, tuple[Items, int | float]] = {
    "csp_active": ([("credentials", {"kind": "csp_sm"})], 1),
    "students_taught": ([("teaching-sessions", {"students": 100})], 100),
    "multi_day_sm_sessions": ([("teaching-sessions", {"days": 2})] * 10, 10),
    "course_materials_reviewed": ([("milestones", {"kind": "course_materials_reviewed"})], 1),
    "scrum_experience": ([("experience", {"role": "team_member"})], 1),
    "po_experience": (
        [("experience", {"role": "product_owner", "started_on": days_ago(FOUR_YEARS)})],
        4.0,
    ),
    "training_provided": ([("teaching-sessions", {})], 1),
    "pspo1_95": ([("assessments", {"assessment": "pspo_1", "score": 95})], 1),
    "ttt_attended": ([("milestones", {"kind": "ttt_attended"})], 1),
    "pspo2_85": ([("assessments", {"assessment": "pspo_2", "score": 85})], 1),
    "pspo3_85": ([("assessments", {"assessment": "pspo_3", "score": 85})], 1),
}


def test_every_check_has_a_case_below() -> None:
    assert set(MEETS) == set(CHECKS)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("verified", "met"), ("pending", "pending"), ("rejected", "nothing")],
)
@pytest.mark.parametrize("key", sorted(MEETS))
def test_only_verified_evidence_counts_and_pending_is_reported_apart(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    key: str,
    status: str,
    expected: str,
) -> None:
    items, amount = MEETS[key]
    for kind, fields in items:
        make_evidence(candidate, kind, status=status, **fields)
    requirement = CHECKS[key](facts(session, candidate))
    assert requirement.key == key
    if expected == "met":
        assert progress(requirement) == (True, amount, 0)
    elif expected == "pending":
        assert progress(requirement) == (False, 0, amount)
        assert "waiting for review" in requirement.message
    else:
        assert progress(requirement) == (False, 0, 0)
        assert "waiting for review" not in requirement.message


def test_measuring_many_candidates_at_once_gives_each_their_own_answer(
    session: Session, make_user: Callable[..., User], make_evidence: Callable[..., EvidenceBase]
) -> None:
    """The mentor table measures everyone in one batch: no candidate's evidence may leak."""
    ann, ben, cat = (make_user(name=name) for name in ("Ann", "Ben", "Cat"))
    # Ann's and Ben's Product Owner periods interleave in time: the union must be per person.
    make_evidence(ann, "experience", started_on=days_ago(3000), ended_on=days_ago(2000))
    make_evidence(ben, "experience", started_on=days_ago(2500), ended_on=days_ago(1000))
    make_evidence(ann, "experience", started_on=days_ago(1500), ended_on=days_ago(500))
    make_evidence(ben, "experience", status="pending", started_on=days_ago(900))
    make_evidence(ann, "teaching-sessions", students=60)
    make_evidence(ben, "teaching-sessions", status="pending", students=30)
    make_evidence(ann, "assessments", score=91.0)
    make_evidence(ben, "assessments", score=97.0)
    make_evidence(ben, "credentials", kind="csp_po")
    people = Population(session, tuple(c.id for c in (ann, ben, cat) if c.id), TODAY)
    for check in CHECKS.values():
        together = check.many(people)
        for person in (ann, ben, cat):
            alone = check(facts(session, person))
            assert together[person.id] == alone, (check.key, person.name)
    years = CHECKS["po_experience"].many(people)
    assert (years[ann.id].current, years[ben.id].current, years[cat.id].current) == (
        5.47,  # 1000 + 1000 days, not merged with Ben's
        4.1,  # 1500 days
        0,
    )
