"""The measuring machinery: SQL aggregates over a population of candidates' evidence.

It knows no ruleset. Every function measures a whole population (``Population``) in
one statement, grouped by candidate, so a table of candidates costs no more statements
than one row. Verified and pending evidence are measured together; rejected evidence
never counts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, func, literal, or_, select, true, union_all
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
    """One candidate's quantity: verified, pending, verified in the last 365 days, and
    (for a ``Sums`` with ``by_date``) the verified quantity on each dated day."""

    verified: int = 0
    pending: int = 0
    recent: int = 0
    by_date: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True, eq=False)
class Sums:
    """Sum ``amount`` (1 to count items) of ``model``'s items matching ``filters``: per
    candidate, verified, pending and recent (``Amounts``). With ``since``, only items
    dated from ``since`` to today count; ``by_date`` adds the verified quantity per day.
    """

    model: type[EvidenceBase]
    amount: Any
    filters: Sequence[Filter]
    since: date | None = None
    by_date: bool = False


@dataclass(frozen=True, eq=False)
class Best:
    """Per candidate who has one, the highest ``value`` among verified matching items."""

    model: type[EvidenceBase]
    value: Any
    filters: Sequence[Filter]


@dataclass(frozen=True, eq=False)
class Periods:
    """Per candidate, the union of their experience periods in ``roles`` whose review
    status is one of ``statuses``, as islands."""

    roles: tuple[str, ...]
    statuses: tuple[str, ...]


Aggregate = Sums | Best | Periods


Results = list[dict[int, Any]]


@dataclass(frozen=True)
class Step:
    """One statement of a ``gather``: built once for its shape, run with the day's values.

    ``extra`` gives the parameters of its own (besides ``_parameters``) from the aggregates
    of the call; ``read`` stores its rows into the results.
    """

    statement: Any
    read: Callable[[Any, Results], None]
    extra: Callable[[Sequence[Aggregate]], dict[str, Any]] = lambda _wanted: {}


# The steps of each shape measured so far: a shape's aggregates are the same
# declarations in the same order, so their statements differ only in bound values.
# A handful of rulesets and tracks make a few dozen shapes; the bound keeps it so.
_STEPS: dict[Hashable, tuple[tuple[object, ...], list[Step]]] = {}
_STEPS_KEPT = 256


def gather(
    people: Population,
    wanted: Sequence[Aggregate],
    shape: tuple[object, ...] | None = None,
) -> Results:
    """Measure every aggregate of ``wanted`` for ``people``, in its order.

    Conditional aggregates: one statement per evidence table for all the sums and
    bests on it (each one's filters inside its ``CASE``), and one more per table for
    the sums wanted by date. A ``Sums`` gives ``dict[int, Amounts]`` with every
    candidate, a ``Best`` ``dict[int, float]`` with those who have one, and every
    ``Periods`` (all in one statement) ``dict[int, list[Island]]`` with every candidate.

    ``shape`` names what ``wanted`` is made from (the requirement declarations, in
    order): the statements are then built once per shape and track, and reused with
    the candidates and today bound.
    """
    results: Results = [_empty(people, aggregate) for aggregate in wanted]
    if not people.candidate_ids:
        return results
    if shape is None:
        steps = _steps(people, wanted)
    else:
        key = (tuple(map(id, shape)), people.track)
        kept = _STEPS.get(key)
        # The key holds ids; the entry holds the objects, so an id is never reused for
        # another object while its entry is kept.
        if kept is None or not all(a is b for a, b in zip(kept[0], shape, strict=True)):
            if len(_STEPS) >= _STEPS_KEPT:
                _STEPS.clear()
            kept = _STEPS[key] = (shape, _steps(people, wanted))
        steps = kept[1]
    common = _parameters(people, wanted)
    for step in steps:
        step.read(people.session.execute(step.statement, common | step.extra(wanted)), results)
    return results


def _parameters(people: Population, wanted: Sequence[Aggregate]) -> dict[str, Any]:
    """What every step binds: the candidates, today, a year ago, each window's start."""
    found = {
        "candidates": list(people.candidate_ids),
        "today": people.today,
        "year_ago": people.today - timedelta(days=365),
    }
    for index, aggregate in enumerate(wanted):
        if isinstance(aggregate, Sums) and aggregate.since is not None:
            found[f"since{index}"] = aggregate.since
    return found


def _steps(people: Population, wanted: Sequence[Aggregate]) -> list[Step]:
    """Build the statements that measure ``wanted`` (for ``people``'s track)."""
    by_model: dict[type[EvidenceBase], list[tuple[int, Sums | Best]]] = {}
    periods: list[tuple[int, Periods]] = []
    for index, aggregate in enumerate(wanted):
        if isinstance(aggregate, Periods):
            periods.append((index, aggregate))
        else:
            by_model.setdefault(aggregate.model, []).append((index, aggregate))
    steps = []
    if periods:
        steps.append(_islands(people, periods))
    for model, on_model in by_model.items():
        steps.append(_totals(people, model, on_model))
        dated = [(i, a) for i, a in on_model if isinstance(a, Sums) and a.by_date]
        if dated:
            steps.append(_by_date(people, model, dated))
    return steps


def _empty(people: Population, aggregate: Aggregate) -> dict[int, Any]:
    """What an aggregate finds for candidates without matching evidence."""
    if isinstance(aggregate, Sums):
        return dict.fromkeys(people.candidate_ids, Amounts())
    if isinstance(aggregate, Periods):
        return {candidate_id: [] for candidate_id in people.candidate_ids}
    return {}


def _value(amount: Any) -> Any:
    return literal(amount) if isinstance(amount, int) else amount


def _candidates() -> Any:
    """The population's candidate ids, bound as a list."""
    return bindparam("candidates", expanding=True)


def _matching(
    people: Population, model: type[EvidenceBase], index: int, aggregate: Sums | Best
) -> Any:
    """The aggregate's filters (and its window, from ``since{index}``) as one condition."""
    where = conditions(people, aggregate.filters)
    if isinstance(aggregate, Sums) and aggregate.since is not None:
        dated = DATED[model]
        since = bindparam(f"since{index}", aggregate.since, type_=Date)
        where += [dated >= since, dated <= today_param(people)]
    return and_(*where) if where else true()


def _totals(
    people: Population, model: type[EvidenceBase], wanted: Sequence[tuple[int, Sums | Best]]
) -> Step:
    """Every sum and best on ``model`` in one statement, grouped by candidate."""
    status = col(model.review_status)
    dated = DATED[model]
    year_ago = bindparam("year_ago", people.today - timedelta(days=365), type_=Date)
    in_year = and_(dated > year_ago, dated <= today_param(people))
    columns: list[Any] = []
    for index, aggregate in wanted:
        matching = _matching(people, model, index, aggregate)
        if isinstance(aggregate, Best):
            columns.append(func.max(case((and_(status == VERIFIED, matching), aggregate.value))))
            continue
        value = _value(aggregate.amount)
        columns += [
            func.sum(case((and_(status == VERIFIED, matching), value), else_=0)),
            func.sum(case((and_(status == PENDING, matching), value), else_=0)),
            func.sum(case((and_(status == VERIFIED, in_year, matching), value), else_=0)),
        ]
    candidate = col(model.candidate_id)
    stmt = (
        select(candidate, *columns)
        .where(candidate.in_(_candidates()), status.in_((VERIFIED, PENDING)))
        .group_by(candidate)
    )
    bests = [isinstance(aggregate, Best) for _index, aggregate in wanted]
    indexes = [index for index, _aggregate in wanted]

    def read(rows: Any, results: Results) -> None:
        for candidate_id, *values in rows:
            at = 0
            for index, best in zip(indexes, bests, strict=True):
                if best:
                    if values[at] is not None:
                        results[index][candidate_id] = float(values[at])
                    at += 1
                    continue
                verified, pending, recent = (int(v or 0) for v in values[at : at + 3])
                results[index][candidate_id] = Amounts(verified, pending, recent)
                at += 3

    return Step(stmt, read)


def _by_date(
    people: Population, model: type[EvidenceBase], wanted: Sequence[tuple[int, Sums]]
) -> Step:
    """The verified quantity per candidate and day of every dated sum on ``model``."""
    dated = DATED[model]
    candidate = col(model.candidate_id)
    columns: list[Any] = []
    for index, sums in wanted:
        matching = _matching(people, model, index, sums)
        columns += [
            func.sum(case((matching, _value(sums.amount)), else_=0)),
            func.sum(case((matching, 1), else_=0)),  # how many items: a day may sum to 0
        ]
    indexes = [index for index, _sums in wanted]
    windowed = [index for index, sums in wanted if sums.since is not None]
    where = [
        candidate.in_(_candidates()),
        col(model.review_status) == VERIFIED,
        dated <= today_param(people),
    ]
    if windowed:
        where.append(dated >= bindparam(f"earliest{windowed[0]}", type_=Date))
    stmt = (
        select(candidate, dated, *columns)
        .where(*where)
        .group_by(candidate, dated)
        .order_by(candidate, dated)
    )

    def earliest(aggregates: Sequence[Aggregate]) -> dict[str, Any]:
        if not windowed:
            return {}
        sums = [aggregates[index] for index in windowed]
        starts = [each.since for each in sums if isinstance(each, Sums) and each.since]
        return {f"earliest{windowed[0]}": min(starts)}

    def read(rows: Any, results: Results) -> None:
        days: dict[int, dict[int, list[tuple[date, int]]]] = {i: {} for i in indexes}
        for candidate_id, day, *values in rows:
            for at, index in enumerate(indexes):
                total, items = values[2 * at], values[2 * at + 1]
                if items:
                    days[index].setdefault(candidate_id, []).append((day, int(total or 0)))
        for index in indexes:
            for candidate_id, entries in days[index].items():
                found = results[index][candidate_id]
                results[index][candidate_id] = replace(found, by_date=tuple(entries))

    return Step(stmt, read, earliest)


def amounts(
    people: Population,
    model: type[EvidenceBase],
    amount: Any,
    filters: Sequence[Filter],
    since: date | None = None,
) -> dict[int, Amounts]:
    """One ``Sums`` on its own (``gather`` measures several in one statement)."""
    result: dict[int, Amounts] = gather(people, [Sums(model, amount, filters, since)])[0]
    return result


Island = tuple[date, date | None]  # [start, end) of a union of periods; None: ongoing


def _islands(people: Population, wanted: Sequence[tuple[int, Periods]]) -> Step:
    """Every ``Periods`` as islands, in one statement: a gaps-and-islands query each.

    Periods sorted by start join the island before them unless they start after every
    earlier period has ended. Periods started by today count (one started today has no
    day yet, but goes on in a forecast); an ongoing period (and a planned end after
    today) stays open-ended here; callers cut it where they count.
    """
    parts: list[Any] = []
    for part, (_index, periods) in enumerate(wanted):
        parts.append(_islands_of(people, periods).add_columns(literal(part).label("part")))
    stmt = union_all(*parts).order_by("part", "c", "s")
    indexes = [index for index, _periods in wanted]

    def read(rows: Any, results: Results) -> None:
        for candidate_id, start, stop, part in rows:
            results[indexes[part]][candidate_id].append(
                (start, None if stop == FAR_FUTURE else stop)
            )

    return Step(stmt, read)


def _islands_of(people: Population, wanted: Periods) -> Any:
    """Select each island of ``wanted``: candidate ``c``, start ``s`` and end ``e``."""
    period = ExperiencePeriod
    end = func.coalesce(period.ended_on, bindparam("far", FAR_FUTURE, type_=Date))
    periods = (
        select(
            col(period.candidate_id).label("c"), col(period.started_on).label("s"), end.label("e")
        )
        .where(
            col(period.candidate_id).in_(_candidates()),
            col(period.role).in_(wanted.roles),
            col(period.review_status).in_(wanted.statuses),
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
    return select(
        numbered.c.c.label("c"),
        func.min(numbered.c.s).label("s"),
        func.max(numbered.c.e).label("e"),
    ).group_by(numbered.c.c, numbered.c.island)


def days_covered(islands: Sequence[Island], until: date, since: date | None = None) -> int:
    """Days of the islands before ``until`` (half-open) and, if given, from ``since``."""
    total = 0
    for start, stop in islands:
        low = max(start, since) if since else start
        high = min(stop, until) if stop else until
        if high > low:
            total += (high - low).days
    return total
