"""The requirement checks behind the guards (pathways.md §4 and §5).

Each check reads the candidate's evidence with SQL aggregates: ``current`` counts
verified evidence, ``pending`` what waits for review. Rejected evidence never counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Float, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from trainerpath.models import (
    AssessmentAttempt,
    Credential,
    EvidenceBase,
    ExperiencePeriod,
    Milestone,
    ReviewStatus,
    TeachingSession,
)

DAYS_PER_YEAR = 365.25

VERIFIED = ReviewStatus.VERIFIED.value
PENDING = ReviewStatus.PENDING.value


@dataclass(frozen=True)
class Requirement:
    """How far a candidate is toward one guard, as the dashboard and the API report it."""

    key: str
    label: str
    met: bool
    current: int | float
    pending: int | float
    target: int | float
    unit: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Return the requirement as the API's requirement object."""
        return asdict(self)


@dataclass(frozen=True)
class Facts:
    """Whose evidence a check reads, and which day counts as today."""

    session: Session
    candidate_id: int
    today: date


Check = Callable[[Facts], Requirement]


def _plural(n: int | float, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _count_report(
    key: str,
    label: str,
    current: int,
    pending: int,
    target: int,
    noun: tuple[str, str],
    done: str,
) -> Requirement:
    """Build a requirement whose progress is a whole-number count."""
    met = current >= target
    missing = target - current
    if met:
        message = done
    else:
        message = f"{missing} more {_plural(missing, *noun)} needed"
        if pending:
            message += f" ({pending} waiting for review)"
    return Requirement(key, label, met, current, pending, target, noun[1], message)


def _yes_no_report(
    key: str, label: str, current: int, pending: int, needed: str, done: str
) -> Requirement:
    """Build a yes/no requirement: a count with target 1."""
    met = current >= 1
    waiting = f" ({pending} waiting for review)" if pending > 1 else " (one is waiting for review)"
    message = done if met else needed + (waiting if pending else "")
    return Requirement(key, label, met, current, pending, 1, "item", message)


def _sum_by_status(
    facts: Facts,
    model: type[EvidenceBase],
    value: Any,
    *conditions: ColumnElement[bool],
) -> tuple[float, float]:
    """Sum ``value`` over the candidate's verified items and over their pending items."""
    status = col(model.review_status)
    amount = literal(value) if isinstance(value, int) else value
    stmt = select(
        func.coalesce(func.sum(case((status == VERIFIED, amount), else_=0)), 0),
        func.coalesce(func.sum(case((status == PENDING, amount), else_=0)), 0),
    ).where(
        col(model.candidate_id) == facts.candidate_id,
        status.in_((VERIFIED, PENDING)),
        *conditions,
    )
    verified, pending = facts.session.execute(stmt).one()
    return verified, pending


def _count_by_status(
    facts: Facts, model: type[EvidenceBase], *conditions: ColumnElement[bool]
) -> tuple[int, int]:
    verified, pending = _sum_by_status(facts, model, 1, *conditions)
    return int(verified), int(pending)


# -- CST ----------------------------------------------------------------------------

CSP_KINDS = ("csp_sm", "csp_po")


def csp_active(facts: Facts) -> Requirement:
    """An active CSP-SM or CSP-PO: issued on or before today and not yet expired."""
    today = bindparam("today", facts.today, type_=Date)
    verified, pending = _count_by_status(
        facts,
        Credential,
        col(Credential.kind).in_(CSP_KINDS),
        col(Credential.issued_on) <= today,
        or_(col(Credential.valid_until).is_(None), col(Credential.valid_until) > today),
    )
    return _yes_no_report(
        "csp_active",
        "Active CSP-SM or CSP-PO",
        verified,
        pending,
        needed="An active CSP-SM or CSP-PO credential is needed",
        done="An active CSP credential is on record",
    )


def students_taught(facts: Facts) -> Requirement:
    """At least 100 students across all teaching sessions."""
    verified, pending = _sum_by_status(facts, TeachingSession, col(TeachingSession.students))
    return _count_report(
        "students_taught",
        "Students taught",
        int(verified),
        int(pending),
        100,
        ("student", "students"),
        done=f"{int(verified)} students taught",
    )


def multi_day_sm_sessions(facts: Facts) -> Requirement:
    """At least 10 ScrumMaster sessions of two days or more."""
    verified, pending = _count_by_status(
        facts,
        TeachingSession,
        col(TeachingSession.course_type) == "scrum_master",
        col(TeachingSession.days) >= 2,
    )
    return _count_report(
        "multi_day_sm_sessions",
        "Multi-day ScrumMaster sessions",
        verified,
        pending,
        10,
        ("multi-day ScrumMaster session", "multi-day ScrumMaster sessions"),
        done=f"{verified} multi-day ScrumMaster sessions hosted",
    )


def _milestone(facts: Facts, kind: str) -> tuple[int, int]:
    return _count_by_status(facts, Milestone, col(Milestone.kind) == kind)


def course_materials_reviewed(facts: Facts) -> Requirement:
    """A verified course-materials-reviewed milestone."""
    verified, pending = _milestone(facts, "course_materials_reviewed")
    return _yes_no_report(
        "course_materials_reviewed",
        "Course materials reviewed",
        verified,
        pending,
        needed="Course materials reviewed by a review panel are needed",
        done="Course materials have been reviewed",
    )


SCRUM_ROLES = ("scrum_master", "product_owner", "team_member")


def scrum_experience(facts: Facts) -> Requirement:
    """At least one experience period as ScrumMaster, Product Owner or team member."""
    verified, pending = _count_by_status(
        facts,
        ExperiencePeriod,
        col(ExperiencePeriod.role).in_(SCRUM_ROLES),
    )
    return _yes_no_report(
        "scrum_experience",
        "Hands-on Scrum experience",
        verified,
        pending,
        needed="Experience as ScrumMaster, Product Owner or team member is needed",
        done="Hands-on Scrum experience is on record",
    )


# -- PST ----------------------------------------------------------------------------


class days_between(FunctionElement[float]):
    """The number of days from the first date to the second, on either database."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
    )


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


def _union_days(facts: Facts, role: str, statuses: tuple[str, ...]) -> float:
    """Days covered by the union of the role's periods, each cut at today.

    A gaps-and-islands query: periods sorted by start join the island before them
    unless they start after every earlier period has ended.
    """
    today = bindparam("today", facts.today, type_=Date)
    period = ExperiencePeriod
    end = case(
        (or_(col(period.ended_on).is_(None), col(period.ended_on) > today), today),
        else_=period.ended_on,
    )
    periods = (
        select(col(period.started_on).label("s"), end.label("e"))
        .where(
            col(period.candidate_id) == facts.candidate_id,
            col(period.role) == role,
            col(period.review_status).in_(statuses),
            col(period.started_on) < today,
        )
        .subquery()
    )
    order = (periods.c.s, periods.c.e)
    latest_end_before = func.max(periods.c.e).over(order_by=order, rows=(None, -1))
    opens_island = case(
        (or_(latest_end_before.is_(None), periods.c.s > latest_end_before), 1), else_=0
    )
    marked = select(periods.c.s, periods.c.e, opens_island.label("opens")).subquery()
    numbered = select(
        marked.c.s,
        marked.c.e,
        func.sum(marked.c.opens)
        .over(order_by=(marked.c.s, marked.c.e), rows=(None, 0))
        .label("island"),
    ).subquery()
    islands = (
        select(func.min(numbered.c.s).label("s"), func.max(numbered.c.e).label("e"))
        .group_by(numbered.c.island)
        .subquery()
    )
    total = select(func.coalesce(func.sum(days_between(islands.c.s, islands.c.e)), 0))
    return float(facts.session.execute(total).scalar_one())


def _years(days: float) -> float:
    """Whole days as years to two places, rounded down so progress is never overstated."""
    return math.floor(days / DAYS_PER_YEAR * 100) / 100


def po_experience(facts: Facts) -> Requirement:
    """At least four years as Product Owner, counted on the union of periods."""
    target_years = 4
    verified_days = _union_days(facts, "product_owner", (VERIFIED,))
    with_pending_days = _union_days(facts, "product_owner", (VERIFIED, PENDING))
    met = verified_days >= target_years * DAYS_PER_YEAR
    current = _years(verified_days)
    pending = _years(with_pending_days - verified_days)
    if met:
        message = f"{current:.2f} years as Product Owner"
    else:
        missing = max(0.01, math.ceil((target_years - verified_days / DAYS_PER_YEAR) * 100) / 100)
        message = f"{missing:.2f} more years as Product Owner needed"
        if pending:
            message += f" ({pending:.2f} waiting for review)"
    return Requirement(
        "po_experience",
        "Years as Product Owner",
        met,
        current,
        pending,
        target_years,
        "years",
        message,
    )


def training_provided(facts: Facts) -> Requirement:
    """At least one teaching session of any kind."""
    verified, pending = _count_by_status(facts, TeachingSession)
    return _count_report(
        "training_provided",
        "Training provided",
        verified,
        pending,
        1,
        ("teaching session", "teaching sessions"),
        done=f"{verified} teaching {_plural(verified, 'session', 'sessions')} on record",
    )


def _assessment_passed(
    facts: Facts, key: str, assessment: str, label: str, pass_mark: int
) -> Requirement:
    """A verified attempt at ``assessment`` scoring at least ``pass_mark``."""
    attempt = AssessmentAttempt
    verified, pending = _count_by_status(
        facts,
        attempt,
        col(attempt.assessment) == assessment,
        col(attempt.score) >= pass_mark,
    )
    best = facts.session.execute(
        select(func.max(col(attempt.score))).where(
            and_(
                col(attempt.candidate_id) == facts.candidate_id,
                col(attempt.assessment) == assessment,
                col(attempt.review_status) == VERIFIED,
            )
        )
    ).scalar_one()
    needed = f"{label} with at least {pass_mark}% is needed"
    if best is not None:
        needed += f" (best verified score so far: {best:g}%)"
    return _yes_no_report(
        key,
        f"{label} at {pass_mark}% or more",
        verified,
        pending,
        needed=needed,
        done=f"{label} passed at {pass_mark}% or more",
    )


def pspo1_95(facts: Facts) -> Requirement:
    """A PSPO I attempt scoring 95% or more."""
    return _assessment_passed(facts, "pspo1_95", "pspo_1", "PSPO I", 95)


def ttt_attended(facts: Facts) -> Requirement:
    """A verified Train-the-Trainer-attended milestone."""
    verified, pending = _milestone(facts, "ttt_attended")
    return _yes_no_report(
        "ttt_attended",
        "Train the Trainer attended",
        verified,
        pending,
        needed="Attendance at the 3-day Train the Trainer course is needed",
        done="Train the Trainer attended",
    )


def pspo2_85(facts: Facts) -> Requirement:
    """A PSPO II attempt scoring 85% or more."""
    return _assessment_passed(facts, "pspo2_85", "pspo_2", "PSPO II", 85)


def pspo3_85(facts: Facts) -> Requirement:
    """A PSPO III attempt scoring 85% or more."""
    return _assessment_passed(facts, "pspo3_85", "pspo_3", "PSPO III", 85)


CHECKS: dict[str, Check] = {
    check.__name__: check
    for check in (
        csp_active,
        students_taught,
        multi_day_sm_sessions,
        course_materials_reviewed,
        scrum_experience,
        po_experience,
        training_provided,
        pspo1_95,
        ttt_attended,
        pspo2_85,
        pspo3_85,
    )
}
