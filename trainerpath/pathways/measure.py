"""The measuring machinery: SQL aggregates over a population of candidates' evidence.

It knows no ruleset. Every function measures a whole population (``Population``) in
one statement, grouped by candidate, so a table of candidates costs no more statements
than one row. Verified and pending evidence are measured together; rejected evidence
never counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
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

VERIFIED = ReviewStatus.VERIFIED.value
PENDING = ReviewStatus.PENDING.value
FAR_FUTURE = date(9999, 12, 31)  # the end of an ongoing period, inside the union query

# The date of each kind of item: what windows, ageing and pace are measured on.
DATED: dict[type[EvidenceBase], Any] = {
    TeachingSession: col(TeachingSession.first_day),
    AssessmentAttempt: col(AssessmentAttempt.taken_on),
    Credential: col(Credential.issued_on),
    ExperiencePeriod: col(ExperiencePeriod.started_on),
    Milestone: col(Milestone.achieved_on),
}


@dataclass(frozen=True)
class Population:
    """Whose evidence is measured, which day counts as today, and the enrollment's track."""

    session: Session
    candidate_ids: tuple[int, ...]
    today: date
    track: str | None = None


# A filter is a condition on an evidence table, or a function of the population that
# makes one (for conditions that depend on today or on the enrollment's track).
Filter = ColumnElement[bool] | Callable[[Population], ColumnElement[bool]]


def conditions(people: Population, filters: Sequence[Filter]) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions for this population."""
    return [each(people) if callable(each) else each for each in filters]


def today_param(people: Population) -> Any:
    """Today as a bound date parameter."""
    return bindparam("today", people.today, type_=Date)


@dataclass(frozen=True)
class Amounts:
    """One candidate's quantity: verified, pending, and verified in the last 365 days."""

    verified: int = 0
    pending: int = 0
    recent: int = 0


def amounts(
    people: Population,
    model: type[EvidenceBase],
    amount: Any,
    filters: Sequence[Filter],
    since: date | None = None,
) -> dict[int, Amounts]:
    """Sum ``amount`` (1 to count items) per candidate, verified and pending.

    ``recent`` sums the verified items dated in the last 365 days; with ``since``, only
    items dated from ``since`` to today count.
    """
    dated = DATED[model]
    status = col(model.review_status)
    candidate = col(model.candidate_id)
    value = literal(amount) if isinstance(amount, int) else amount
    where: list[ColumnElement[bool]] = [
        candidate.in_(people.candidate_ids),
        status.in_((VERIFIED, PENDING)),
    ]
    where += conditions(people, filters)
    if since is not None:
        where += [dated >= bindparam("since", since, type_=Date), dated <= today_param(people)]
    year_ago = bindparam("year_ago", people.today - timedelta(days=365), type_=Date)
    in_year = and_(status == VERIFIED, dated > year_ago, dated <= today_param(people))
    stmt = (
        select(
            candidate,
            func.sum(case((status == VERIFIED, value), else_=0)),
            func.sum(case((status == PENDING, value), else_=0)),
            func.sum(case((in_year, value), else_=0)),
        )
        .where(*where)
        .group_by(candidate)
    )
    found = dict.fromkeys(people.candidate_ids, Amounts())
    for candidate_id, verified, pending, in_year in people.session.execute(stmt):
        found[candidate_id] = Amounts(int(verified or 0), int(pending or 0), int(in_year or 0))
    return found


def verified_by_date(
    people: Population,
    model: type[EvidenceBase],
    amount: Any,
    filters: Sequence[Filter],
    since: date,
) -> dict[int, list[tuple[date, int]]]:
    """Per candidate, the verified quantity on each date from ``since`` to today."""
    dated = DATED[model]
    candidate = col(model.candidate_id)
    value = literal(amount) if isinstance(amount, int) else amount
    stmt = (
        select(candidate, dated, func.sum(value))
        .where(
            candidate.in_(people.candidate_ids),
            col(model.review_status) == VERIFIED,
            dated >= bindparam("since", since, type_=Date),
            dated <= today_param(people),
            *conditions(people, filters),
        )
        .group_by(candidate, dated)
        .order_by(candidate, dated)
    )
    found: dict[int, list[tuple[date, int]]] = {c: [] for c in people.candidate_ids}
    for candidate_id, day, total in people.session.execute(stmt):
        found[candidate_id].append((day, int(total)))
    return found


def best_verified(
    people: Population, model: type[EvidenceBase], value: Any, filters: Sequence[Filter]
) -> dict[int, float]:
    """Per candidate who has one, the highest ``value`` among verified items."""
    candidate = col(model.candidate_id)
    stmt = (
        select(candidate, func.max(value))
        .where(
            candidate.in_(people.candidate_ids),
            col(model.review_status) == VERIFIED,
            *conditions(people, filters),
        )
        .group_by(candidate)
    )
    return {candidate_id: float(best) for candidate_id, best in people.session.execute(stmt)}


Island = tuple[date, date | None]  # [start, end) of a union of periods; None: ongoing


def period_islands(
    people: Population, roles: Sequence[str], statuses: Sequence[str]
) -> dict[int, list[Island]]:
    """Per candidate, the union of their experience periods in ``roles`` as islands.

    A gaps-and-islands query: periods sorted by start join the island before them
    unless they start after every earlier period has ended. Periods started by today
    count (one started today has no day yet, but goes on in a forecast); an ongoing
    period (and a planned end after today) stays open-ended here; callers cut it where
    they count.
    """
    period = ExperiencePeriod
    end = func.coalesce(period.ended_on, bindparam("far", FAR_FUTURE, type_=Date))
    periods = (
        select(
            col(period.candidate_id).label("c"), col(period.started_on).label("s"), end.label("e")
        )
        .where(
            col(period.candidate_id).in_(people.candidate_ids),
            col(period.role).in_(tuple(roles)),
            col(period.review_status).in_(tuple(statuses)),
            col(period.started_on) <= today_param(people),
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
        select(numbered.c.c, func.min(numbered.c.s), func.max(numbered.c.e))
        .group_by(numbered.c.c, numbered.c.island)
        .order_by(numbered.c.c, func.min(numbered.c.s))
    )
    found: dict[int, list[Island]] = {c: [] for c in people.candidate_ids}
    for candidate_id, start, stop in people.session.execute(islands):
        found[candidate_id].append((start, None if stop == FAR_FUTURE else stop))
    return found


def days_covered(islands: Sequence[Island], until: date, since: date | None = None) -> int:
    """Days of the islands before ``until`` (half-open) and, if given, from ``since``."""
    total = 0
    for start, stop in islands:
        low = max(start, since) if since else start
        high = min(stop, until) if stop else until
        if high > low:
            total += (high - low).days
    return total
