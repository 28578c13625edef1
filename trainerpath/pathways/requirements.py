"""The requirement checks behind the guards (pathways.md §4 and §5).

Each check reads the candidates' evidence with SQL aggregates: ``current`` counts
verified evidence, ``pending`` what waits for review. Rejected evidence never counts.
A check measures a whole population of candidates in a fixed number of queries
(``check.many``), so a table of candidates costs no more statements than one row;
calling it with the Facts of one candidate returns that candidate's requirement.
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


@dataclass(frozen=True)
class Population:
    """Whose evidence a check reads when it measures many candidates at once."""

    session: Session
    candidate_ids: tuple[int, ...]
    today: date


Measure = Callable[[Population], dict[int, Requirement]]


class Check:
    """A named requirement check: ``check(facts)`` for one candidate, ``check.many`` for many."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure
        self.key = measure.__name__
        self.__name__ = measure.__name__
        self.__doc__ = measure.__doc__

    def many(self, people: Population) -> dict[int, Requirement]:
        """The requirement of each candidate of ``people``."""
        return self.measure(people) if people.candidate_ids else {}

    def __call__(self, facts: Facts) -> Requirement:
        """The requirement of the one candidate ``facts`` names."""
        people = Population(facts.session, (facts.candidate_id,), facts.today)
        return self.measure(people)[facts.candidate_id]


def check(measure: Measure) -> Check:
    """Declare a requirement check from its measurement of a population."""
    return Check(measure)


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
    people: Population,
    model: type[EvidenceBase],
    value: Any,
    *conditions: ColumnElement[bool],
) -> dict[int, tuple[float, float]]:
    """Sum ``value`` over each candidate's verified items and over their pending items."""
    status = col(model.review_status)
    candidate = col(model.candidate_id)
    amount = literal(value) if isinstance(value, int) else value
    stmt = (
        select(
            candidate,
            func.coalesce(func.sum(case((status == VERIFIED, amount), else_=0)), 0),
            func.coalesce(func.sum(case((status == PENDING, amount), else_=0)), 0),
        )
        .where(candidate.in_(people.candidate_ids), status.in_((VERIFIED, PENDING)), *conditions)
        .group_by(candidate)
    )
    sums: dict[int, tuple[float, float]] = dict.fromkeys(people.candidate_ids, (0, 0))
    for candidate_id, verified, pending in people.session.execute(stmt):
        sums[candidate_id] = (verified, pending)
    return sums


def _count_by_status(
    people: Population, model: type[EvidenceBase], *conditions: ColumnElement[bool]
) -> dict[int, tuple[int, int]]:
    sums = _sum_by_status(people, model, 1, *conditions)
    return {candidate_id: (int(v), int(p)) for candidate_id, (v, p) in sums.items()}


# -- CST ----------------------------------------------------------------------------

CSP_KINDS = ("csp_sm", "csp_po")


@check
def csp_active(people: Population) -> dict[int, Requirement]:
    """An active CSP-SM or CSP-PO: issued on or before today and not yet expired."""
    today = bindparam("today", people.today, type_=Date)
    counts = _count_by_status(
        people,
        Credential,
        col(Credential.kind).in_(CSP_KINDS),
        col(Credential.issued_on) <= today,
        or_(col(Credential.valid_until).is_(None), col(Credential.valid_until) > today),
    )
    return {
        candidate_id: _yes_no_report(
            "csp_active",
            "Active CSP-SM or CSP-PO",
            verified,
            pending,
            needed="An active CSP-SM or CSP-PO credential is needed",
            done="An active CSP credential is on record",
        )
        for candidate_id, (verified, pending) in counts.items()
    }


@check
def students_taught(people: Population) -> dict[int, Requirement]:
    """At least 100 students across all teaching sessions."""
    sums = _sum_by_status(people, TeachingSession, col(TeachingSession.students))
    return {
        candidate_id: _count_report(
            "students_taught",
            "Students taught",
            int(verified),
            int(pending),
            100,
            ("student", "students"),
            done=f"{int(verified)} students taught",
        )
        for candidate_id, (verified, pending) in sums.items()
    }


@check
def multi_day_sm_sessions(people: Population) -> dict[int, Requirement]:
    """At least 10 ScrumMaster sessions of two days or more."""
    counts = _count_by_status(
        people,
        TeachingSession,
        col(TeachingSession.course_type) == "scrum_master",
        col(TeachingSession.days) >= 2,
    )
    return {
        candidate_id: _count_report(
            "multi_day_sm_sessions",
            "Multi-day ScrumMaster sessions",
            verified,
            pending,
            10,
            ("multi-day ScrumMaster session", "multi-day ScrumMaster sessions"),
            done=f"{verified} multi-day ScrumMaster sessions hosted",
        )
        for candidate_id, (verified, pending) in counts.items()
    }


def _milestone(people: Population, kind: str) -> dict[int, tuple[int, int]]:
    return _count_by_status(people, Milestone, col(Milestone.kind) == kind)


@check
def course_materials_reviewed(people: Population) -> dict[int, Requirement]:
    """A verified course-materials-reviewed milestone."""
    return {
        candidate_id: _yes_no_report(
            "course_materials_reviewed",
            "Course materials reviewed",
            verified,
            pending,
            needed="Course materials reviewed by a review panel are needed",
            done="Course materials have been reviewed",
        )
        for candidate_id, (verified, pending) in _milestone(
            people, "course_materials_reviewed"
        ).items()
    }


SCRUM_ROLES = ("scrum_master", "product_owner", "team_member")


@check
def scrum_experience(people: Population) -> dict[int, Requirement]:
    """At least one experience period as ScrumMaster, Product Owner or team member."""
    counts = _count_by_status(people, ExperiencePeriod, col(ExperiencePeriod.role).in_(SCRUM_ROLES))
    return {
        candidate_id: _yes_no_report(
            "scrum_experience",
            "Hands-on Scrum experience",
            verified,
            pending,
            needed="Experience as ScrumMaster, Product Owner or team member is needed",
            done="Hands-on Scrum experience is on record",
        )
        for candidate_id, (verified, pending) in counts.items()
    }


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


def _union_days(people: Population, role: str, statuses: tuple[str, ...]) -> dict[int, float]:
    """Per candidate, days covered by the union of the role's periods, each cut at today.

    A gaps-and-islands query: each candidate's periods, sorted by start, join the island
    before them unless they start after every earlier period has ended.
    """
    today = bindparam("today", people.today, type_=Date)
    period = ExperiencePeriod
    end = case(
        (or_(col(period.ended_on).is_(None), col(period.ended_on) > today), today),
        else_=period.ended_on,
    )
    periods = (
        select(
            col(period.candidate_id).label("c"), col(period.started_on).label("s"), end.label("e")
        )
        .where(
            col(period.candidate_id).in_(people.candidate_ids),
            col(period.role) == role,
            col(period.review_status).in_(statuses),
            col(period.started_on) < today,
        )
        .subquery()
    )
    latest_end_before = func.max(periods.c.e).over(
        partition_by=periods.c.c, order_by=(periods.c.s, periods.c.e), rows=(None, -1)
    )
    opens_island = case(
        (or_(latest_end_before.is_(None), periods.c.s > latest_end_before), 1), else_=0
    )
    marked = select(periods.c.c, periods.c.s, periods.c.e, opens_island.label("opens")).subquery()
    numbered = select(
        marked.c.c,
        marked.c.s,
        marked.c.e,
        func.sum(marked.c.opens)
        .over(partition_by=marked.c.c, order_by=(marked.c.s, marked.c.e), rows=(None, 0))
        .label("island"),
    ).subquery()
    islands = (
        select(
            numbered.c.c,
            func.min(numbered.c.s).label("s"),
            func.max(numbered.c.e).label("e"),
        )
        .group_by(numbered.c.c, numbered.c.island)
        .subquery()
    )
    totals = select(islands.c.c, func.sum(days_between(islands.c.s, islands.c.e))).group_by(
        islands.c.c
    )
    days: dict[int, float] = dict.fromkeys(people.candidate_ids, 0.0)
    for candidate_id, total in people.session.execute(totals):
        days[candidate_id] = float(total or 0)
    return days


def _years(days: float) -> float:
    """Whole days as years to two places, rounded down so progress is never overstated."""
    return math.floor(days / DAYS_PER_YEAR * 100) / 100


@check
def po_experience(people: Population) -> dict[int, Requirement]:
    """At least four years as Product Owner, counted on the union of periods."""
    verified = _union_days(people, "product_owner", (VERIFIED,))
    with_pending = _union_days(people, "product_owner", (VERIFIED, PENDING))
    return {
        candidate_id: _years_report(verified[candidate_id], with_pending[candidate_id])
        for candidate_id in people.candidate_ids
    }


def _years_report(verified_days: float, with_pending_days: float) -> Requirement:
    """Build the Product Owner years requirement from the days each union covers."""
    target_years = 4
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


@check
def training_provided(people: Population) -> dict[int, Requirement]:
    """At least one teaching session of any kind."""
    return {
        candidate_id: _count_report(
            "training_provided",
            "Training provided",
            verified,
            pending,
            1,
            ("teaching session", "teaching sessions"),
            done=f"{verified} teaching {_plural(verified, 'session', 'sessions')} on record",
        )
        for candidate_id, (verified, pending) in _count_by_status(people, TeachingSession).items()
    }


def _assessment_passed(
    people: Population, key: str, assessment: str, label: str, pass_mark: int
) -> dict[int, Requirement]:
    """A verified attempt at ``assessment`` scoring at least ``pass_mark``."""
    attempt = AssessmentAttempt
    counts = _count_by_status(
        people,
        attempt,
        col(attempt.assessment) == assessment,
        col(attempt.score) >= pass_mark,
    )
    candidate = col(attempt.candidate_id)
    best_scores = people.session.execute(
        select(candidate, func.max(col(attempt.score)))
        .where(
            and_(
                candidate.in_(people.candidate_ids),
                col(attempt.assessment) == assessment,
                col(attempt.review_status) == VERIFIED,
            )
        )
        .group_by(candidate)
    )
    best: dict[int, float] = {candidate_id: score for candidate_id, score in best_scores}
    reports = {}
    for candidate_id, (verified, pending) in counts.items():
        needed = f"{label} with at least {pass_mark}% is needed"
        if candidate_id in best:
            needed += f" (best verified score so far: {best[candidate_id]:g}%)"
        reports[candidate_id] = _yes_no_report(
            key,
            f"{label} at {pass_mark}% or more",
            verified,
            pending,
            needed=needed,
            done=f"{label} passed at {pass_mark}% or more",
        )
    return reports


@check
def pspo1_95(people: Population) -> dict[int, Requirement]:
    """A PSPO I attempt scoring 95% or more."""
    return _assessment_passed(people, "pspo1_95", "pspo_1", "PSPO I", 95)


@check
def ttt_attended(people: Population) -> dict[int, Requirement]:
    """A verified Train-the-Trainer-attended milestone."""
    return {
        candidate_id: _yes_no_report(
            "ttt_attended",
            "Train the Trainer attended",
            verified,
            pending,
            needed="Attendance at the 3-day Train the Trainer course is needed",
            done="Train the Trainer attended",
        )
        for candidate_id, (verified, pending) in _milestone(people, "ttt_attended").items()
    }


@check
def pspo2_85(people: Population) -> dict[int, Requirement]:
    """A PSPO II attempt scoring 85% or more."""
    return _assessment_passed(people, "pspo2_85", "pspo_2", "PSPO II", 85)


@check
def pspo3_85(people: Population) -> dict[int, Requirement]:
    """A PSPO III attempt scoring 85% or more."""
    return _assessment_passed(people, "pspo3_85", "pspo_3", "PSPO III", 85)


CHECKS: dict[str, Check] = {
    each.key: each
    for each in (
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
