"""The words a ruleset declares its requirements with (pathways.md §5 and §6).

``Total``, ``Count``, ``Duration``, ``Exists`` and ``Scored`` each take their numbers,
window and wording as arguments; measuring them is the job of ``measure.py``. Each
declaration measures a population and reports every candidate's ``Requirement``:
met, current (verified), pending, target, unit, a sentence, and, per §6, its window,
ageing and forecast.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col

from trainerpath.models import (
    AssessmentAttempt,
    Credential,
    EvidenceBase,
    ExperiencePeriod,
    Milestone,
)
from trainerpath.wording import format_number, format_score, unit_for

from . import calendar as cal
from .measure import (
    DATED,
    PENDING,
    VERIFIED,
    Aggregate,
    Best,
    Filter,
    Island,
    Periods,
    Population,
    Sums,
    conditions,
    days_covered,
    gather,
    today_param,
)

AGEING_DAYS = 365  # how far ahead ageing looks
FORECAST_MONTHS = 60  # checkpoints of a count's forecast
DURATION_FORECAST_MONTHS = 84  # how far ahead a duration's forecast looks


@dataclass(frozen=True)
class Window:
    """The rolling window a requirement counts in: ``months`` ending today, from ``start``."""

    months: int
    start: date

    def as_dict(self) -> dict[str, Any]:
        """The API's ``window`` object."""
        return {"months": self.months, "from": self.start}


@dataclass(frozen=True)
class Ageing:
    """A day on which verified evidence leaves the window, and ``current`` from that day."""

    on: date
    current: int | float


@dataclass(frozen=True)
class Forecast:
    """When an unmet requirement is met at the candidate's pace (None: not at this pace)."""

    met_by: date | None
    pace_per_month: float | None


STORED_AS_IS = ("key", "label", "met", "current", "pending", "target", "unit", "message")


def _jsonable(value: Any) -> Any:
    """``value`` with every date in it as an ISO string."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _day(text: str) -> date:
    return date.fromisoformat(text)


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
    window: Window | None = None
    ageing: tuple[Ageing, ...] = ()
    forecast: Forecast | None = None
    best_score: float | None = None  # a score's best verified attempt (not in the API)

    def as_dict(self) -> dict[str, Any]:
        """Return the requirement as the API's requirement object."""
        forecast = self.forecast
        return {
            "key": self.key,
            "label": self.label,
            "met": self.met,
            "current": self.current,
            "pending": self.pending,
            "target": self.target,
            "unit": self.unit,
            "message": self.message,
            "window": self.window.as_dict() if self.window else None,
            "ageing": [{"on": a.on, "current": a.current} for a in self.ageing],
            "forecast": None
            if forecast is None
            else {"met_by": forecast.met_by, "pace_per_month": forecast.pace_per_month},
        }

    def as_json(self) -> dict[str, Any]:
        """``as_dict`` (and the best score) with its dates as ISO strings, to store it."""
        return _jsonable({**self.as_dict(), "best_score": self.best_score})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Requirement:
        """The requirement ``as_json`` stored."""
        window, forecast = data["window"], data["forecast"]
        return cls(
            **{key: data[key] for key in STORED_AS_IS},
            window=None if window is None else Window(window["months"], _day(window["from"])),
            ageing=tuple(Ageing(_day(a["on"]), a["current"]) for a in data["ageing"]),
            forecast=None
            if forecast is None
            else Forecast(
                forecast["met_by"] and _day(forecast["met_by"]), forecast["pace_per_month"]
            ),
            best_score=data.get("best_score"),
        )

    @property
    def shortfall(self) -> Ageing | None:
        """The first day a met requirement falls below its target as its evidence ages out."""
        if not self.met:
            return None
        return next((a for a in self.ageing if a.current < self.target), None)

    @property
    def yes_no(self) -> bool:
        """Whether this is a yes/no requirement (a count with target 1 of "items")."""
        return self.unit == "item"


@dataclass(frozen=True)
class Hint:
    """Which evidence kind moves a requirement forward, and what to log."""

    evidence: str
    action: str


def _plural(n: int | float, noun: tuple[str, str]) -> str:
    return noun[0] if n == 1 else noun[1]


def _waiting(pending: int | float, text: str) -> str:
    return f" ({text} waiting for review)" if pending else ""


class Need(ABC):
    """A declared requirement: its wording, numbers and window, and how to measure it."""

    label: str
    hint: Hint
    describe: str
    target: int | float
    unit: str
    within_months: int | None = None

    def aggregates(self, people: Population) -> Sequence[Aggregate]:
        """The sums and bests to measure in SQL: ``measure.gather`` measures those of
        several requirements together, one statement per evidence table.

        What they are made of may depend on the declaration and the track only; today
        goes in through bound values (``today_param``, a ``Sums``'s ``since``), since
        their statements are built once and reused (``gather``'s ``shape``)."""
        return ()

    @abstractmethod
    def judge(
        self, key: str, people: Population, found: Sequence[dict[int, Any]]
    ) -> dict[int, Requirement]:
        """The requirement of each candidate of ``people``, from what was ``found`` for
        ``aggregates`` (in their order)."""

    @abstractmethod
    def evidence(self, people: Population) -> tuple[type[EvidenceBase], list[Any]]:
        """The evidence table and the conditions an item must meet to count toward the
        requirement today (its review status aside): what a dossier lists under it."""

    def measure(self, key: str, people: Population) -> dict[int, Requirement]:
        """The requirement of each candidate of ``people``, measured on its own."""
        return self.judge(key, people, gather(people, self.aggregates(people), shape=(self,)))

    def rule(self) -> str:
        """The requirement's numbers in a few words: "≥ 100 students", "required"."""
        text = "required" if self.unit == "item" else f"≥ {self.target:g} {self.unit}"
        return text + self.in_window()

    def in_window(self) -> str:
        """ " in the last 60 months" for a windowed requirement, else nothing."""
        return f" in the last {self.within_months} months" if self.within_months else ""

    def window(self, today: date) -> Window | None:
        """The window ending ``today``, if the requirement has one."""
        if self.within_months is None:
            return None
        return Window(self.within_months, cal.window_start(today, self.within_months))


def measure_together(
    people: Population, needs: Sequence[tuple[str, Need]]
) -> list[dict[int, Requirement]]:
    """Measure several requirements (key, declaration) of ``people`` at once, in order.

    Their sums and bests are gathered together: one statement per evidence table (two
    for windowed sums), whatever the number of requirements.
    """
    plans = [need.aggregates(people) for _key, need in needs]
    wanted = [aggregate for plan in plans for aggregate in plan]
    found = iter(gather(people, wanted, shape=tuple(need for _key, need in needs)))
    return [
        need.judge(key, people, [next(found) for _aggregate in plan])
        for (key, need), plan in zip(needs, plans, strict=True)
    ]


@dataclass(frozen=True)
class Tally(Need):
    """At least ``at_least`` of a quantity: items counted or a column summed."""

    model: type[EvidenceBase]
    amount: Any
    at_least: int
    label: str
    noun: tuple[str, str]
    done: str  # "{current} {noun} taught": noun is singular or plural for current
    hint: Hint
    describe: str
    where: Sequence[Filter] = ()
    within_months: int | None = None

    @property
    def target(self) -> int:  # type: ignore[override]
        """The quantity needed."""
        return self.at_least

    @property
    def unit(self) -> str:  # type: ignore[override]
        """The plural noun of the quantity."""
        return self.noun[1]

    def rule(self) -> str:
        """The quantity needed: "≥ 1 teaching session", "≥ 10 … in the last 60 months"."""
        return f"≥ {self.at_least} {_plural(self.at_least, self.noun)}" + self.in_window()

    @property
    def forecast_applies(self) -> bool:
        """Whether an unmet quantity is forecast: not when a count of 1 is yes/no (§5)."""
        return self.at_least > 1

    def aggregates(self, people: Population) -> Sequence[Aggregate]:
        """The quantity; windowed, from the window's start, and by day for its ageing."""
        window = self.window(people.today)
        since = window.start if window else None
        return (Sums(self.model, self.amount, self.where, since, by_date=since is not None),)

    def evidence(self, people: Population) -> tuple[type[EvidenceBase], list[Any]]:
        """The matching items, dated inside the window if there is one."""
        where = conditions(people, self.where)
        window = self.window(people.today)
        if window is not None:
            dated = DATED[self.model]
            where += [dated >= window.start, dated <= today_param(people)]
        return self.model, where

    def judge(
        self, key: str, people: Population, found: Sequence[dict[int, Any]]
    ) -> dict[int, Requirement]:
        """The quantity per candidate; windowed quantities also report their ageing."""
        window = self.window(people.today)
        reports = {}
        for candidate_id, got in found[0].items():
            dates = list(got.by_date)
            met = got.verified >= self.at_least
            if met:
                noun = _plural(got.verified, self.noun)
                message = self.done.format(current=got.verified, noun=noun)
            else:
                missing = self.at_least - got.verified
                message = f"{missing} more {_plural(missing, self.noun)} needed"
                message += _waiting(got.pending, str(got.pending))
            reports[candidate_id] = Requirement(
                key,
                self.label,
                met,
                got.verified,
                got.pending,
                self.at_least,
                self.unit,
                message,
                window,
                self._ageing(people.today, got.verified, dates) if window else (),
                self._forecast(people.today, got.verified, got.recent, dates)
                if self.forecast_applies and not met
                else None,
            )
        return reports

    def _ageing(
        self, today: date, current: int, dates: list[tuple[date, int]]
    ) -> tuple[Ageing, ...]:
        assert self.within_months is not None
        horizon = today + timedelta(days=AGEING_DAYS)
        leaving: dict[date, int] = {}
        for day, quantity in dates:
            leave = cal.leaves_window(day, self.within_months)
            if leave <= horizon:
                leaving[leave] = leaving.get(leave, 0) + quantity
        entries = []
        for leave in sorted(leaving):
            current -= leaving[leave]
            entries.append(Ageing(leave, current))
        return tuple(entries)

    def _forecast(
        self, today: date, current: int, recent: int, dates: list[tuple[date, int]]
    ) -> Forecast:
        pace = round(recent / 12, 2)
        for k, checkpoint in cal.month_checkpoints(today, FORECAST_MONTHS):
            if self.within_months is None:
                inside = current
            else:
                start = cal.window_start(checkpoint, self.within_months)
                inside = sum(quantity for day, quantity in dates if day >= start)
            if 12 * inside + k * recent >= 12 * self.at_least:
                return Forecast(checkpoint, pace)
        return Forecast(None, pace)


def Total(column: Any, **declared: Any) -> Tally:
    """At least ``at_least`` summed over ``column`` of the matching verified items.

    The other arguments are ``Tally``'s: at_least, label, noun, done, hint, describe,
    where, within_months.
    """
    return Tally(model=column.class_, amount=col(column), **declared)


def Count(model: type[EvidenceBase], **declared: Any) -> Tally:
    """At least ``at_least`` matching verified items (the other arguments as ``Total``)."""
    return Tally(model=model, amount=1, **declared)


@dataclass(frozen=True)
class Exists(Need):
    """A yes/no requirement: one matching verified item (a count with target 1)."""

    model: type[EvidenceBase]
    label: str
    needed: str
    done: str
    hint: Hint
    describe: str
    where: Sequence[Filter] = ()
    target: int = 1
    unit: str = "item"
    # ``needed`` as each track says it (cst@2: the CSP of the enrollment's track), the
    # default track first; ``needed`` stays the rule's wording for every track.
    needed_on_track: Mapping[str, str] | None = None

    def aggregates(self, people: Population) -> Sequence[Aggregate]:
        """The matching items."""
        return (Sums(self.model, 1, self.where),)

    def needed_by(self, people: Population) -> str:
        """What is needed, in the words of the population's track."""
        if not self.needed_on_track:
            return self.needed
        return self.needed_on_track[people.track or next(iter(self.needed_on_track))]

    def evidence(self, people: Population) -> tuple[type[EvidenceBase], list[Any]]:
        """The matching items."""
        return self.model, conditions(people, self.where)

    def judge(
        self, key: str, people: Population, found: Sequence[dict[int, Any]]
    ) -> dict[int, Requirement]:
        """Whether each candidate has a matching item."""
        return {
            candidate_id: self.report(key, got.verified, got.pending, needed=self.needed_by(people))
            for candidate_id, got in found[0].items()
        }

    def report(
        self,
        key: str,
        verified: int,
        pending: int,
        asides: Sequence[str] = (),
        needed: str | None = None,
    ) -> Requirement:
        """The yes/no requirement for these counts; an unmet one says what is ``needed``
        (else ``self.needed``), with ``asides`` and what waits for review in one
        parenthesis."""
        met = verified >= 1
        notes = list(asides)
        if pending:
            notes.append(
                f"{pending} waiting for review" if pending > 1 else "one is waiting for review"
            )
        unmet = needed or self.needed
        message = self.done if met else unmet + (f" ({'; '.join(notes)})" if notes else "")
        return Requirement(key, self.label, met, verified, pending, 1, "item", message)


def active_credential(kinds: Sequence[str] | Mapping[str, Sequence[str]]) -> list[Filter]:
    """Filters for a credential of one of ``kinds`` that is active today.

    ``kinds`` may map each track to its own kinds (a ``cst@2`` enrollment's track), the
    default track first, as in ``Ruleset.tracks``: a population without a track is on it.
    """

    def kind_is(people: Population) -> Any:
        if not isinstance(kinds, Mapping):
            return col(Credential.kind).in_(tuple(kinds))
        track = people.track or next(iter(kinds))
        return col(Credential.kind).in_(tuple(kinds[track]))

    def active(people: Population) -> Any:
        today = today_param(people)
        valid = col(Credential.valid_until)
        return and_(col(Credential.issued_on) <= today, or_(valid.is_(None), valid > today))

    return [kind_is, active]


def milestone(kind: str) -> list[Filter]:
    """Filters for a milestone of ``kind``."""
    return [col(Milestone.kind) == kind]


def experience_in(roles: Sequence[str]) -> list[Filter]:
    """Filters for experience periods in one of ``roles``."""
    return [col(ExperiencePeriod.role).in_(tuple(roles))]


@dataclass(frozen=True)
class Scored(Exists):
    """A verified attempt at one of ``assessments`` scoring at least ``at_least``."""

    assessments: tuple[str, ...] = ()
    at_least: int = 0

    def rule(self) -> str:
        """The pass mark: "score ≥ 95%"."""
        return f"score ≥ {self.at_least:g}%"

    def aggregates(self, people: Population) -> Sequence[Aggregate]:
        """The passing attempts, and the best verified score."""
        which = [col(AssessmentAttempt.assessment).in_(self.assessments)]
        passing = [*which, col(AssessmentAttempt.score) >= self.at_least]
        score = col(AssessmentAttempt.score)
        return (Sums(AssessmentAttempt, 1, passing), Best(AssessmentAttempt, score, which))

    def evidence(self, people: Population) -> tuple[type[EvidenceBase], list[Any]]:
        """The passing attempts."""
        return AssessmentAttempt, [
            col(AssessmentAttempt.assessment).in_(self.assessments),
            col(AssessmentAttempt.score) >= self.at_least,
        ]

    def judge(
        self, key: str, people: Population, found: Sequence[dict[int, Any]]
    ) -> dict[int, Requirement]:
        """Passing attempts; the best verified score of a candidate short of the mark."""
        best = found[1]
        reports = {}
        for candidate_id, got in found[0].items():
            asides = []
            if candidate_id in best:
                asides.append(f"best verified score so far: {format_score(best[candidate_id])}%")
            reported = self.report(key, got.verified, got.pending, asides)
            reports[candidate_id] = replace(reported, best_score=best.get(candidate_id))
        return reports


def Passed(assessments: Mapping[str, str], *, at_least: int, hint: Hint) -> Scored:
    """A verified attempt at any of ``assessments`` (value → label) scoring ``at_least``."""
    names = " or ".join(assessments.values())
    return Scored(
        model=AssessmentAttempt,
        label=f"{names} at {at_least}% or more",
        needed=f"{names} with at least {at_least}% is needed",
        done=f"{names} passed at {at_least}% or more",
        hint=hint,
        describe=f"A {names} attempt scoring {at_least}% or more.",
        assessments=tuple(assessments),
        at_least=at_least,
    )


@dataclass(frozen=True)
class Duration(Need):
    """At least a number of years or months in ``roles``, on the union of periods.

    Years (``at_least_years``) count every period; months (``at_least_months``) with
    ``within_months`` count the union clipped to the window ending on each day.
    """

    roles: tuple[str, ...]
    label: str
    of_what: str  # "as Product Owner", "of Scrum experience"
    hint: Hint
    describe: str
    at_least_years: int | None = None
    at_least_months: int | None = None
    within_months: int | None = None

    @property
    def target(self) -> int:  # type: ignore[override]
        """The years or months needed."""
        return self.at_least_years or self.at_least_months or 0

    @property
    def unit(self) -> str:  # type: ignore[override]
        """ "years" or "months"."""
        return "years" if self.at_least_years else "months"

    @property
    def target_days(self) -> int:
        """The fewest whole days that meet the requirement."""
        if self.at_least_years:
            return cal.days_for_years(self.at_least_years)
        return cal.days_for_months(self.target)

    def days(self, islands: Sequence[Island], day: date) -> int:
        """Days counted on ``day``: before it, and inside the window ending on it."""
        since = cal.window_start(day, self.within_months) if self.within_months else None
        return days_covered(islands, day, since)

    def amount(self, days: int) -> float:
        """Days in the requirement's unit, rounded down."""
        return cal.years_floor(days) if self.at_least_years else cal.months_floor(days)

    def missing(self, days: int) -> float:
        """What is still missing, in the unit, rounded up (at least one last place)."""
        if self.at_least_years:
            num, den, scale = self.target * 1461 - 4 * days, 1461, 100
        else:
            num, den, scale = self.target * 487 - 16 * days, 487, 10
        return max(1, -(-num * scale // den)) / scale

    def aggregates(self, people: Population) -> Sequence[Aggregate]:
        """The union of the verified periods, and of the verified and pending ones."""
        return (Periods(self.roles, (VERIFIED,)), Periods(self.roles, (VERIFIED, PENDING)))

    def evidence(self, people: Population) -> tuple[type[EvidenceBase], list[Any]]:
        """The periods in the roles with a day counted: begun before today (a period is
        [started_on, ended_on), cut at today) and ending after the window's first day."""
        where = [*experience_in(self.roles), col(ExperiencePeriod.started_on) < people.today]
        window = self.window(people.today)
        if window is not None:
            ended = col(ExperiencePeriod.ended_on)
            where.append(or_(ended.is_(None), ended > window.start))
        return ExperiencePeriod, where

    def judge(
        self, key: str, people: Population, found: Sequence[dict[int, Any]]
    ) -> dict[int, Requirement]:
        """The union of periods per candidate, with window, ageing and forecast."""
        verified, with_pending = found
        today = people.today
        reports = {}
        for candidate_id in people.candidate_ids:
            islands = verified[candidate_id]
            days = self.days(islands, today)
            pending_days = self.days(with_pending[candidate_id], today) - days
            met = days >= self.target_days
            current, pending = self.amount(days), self.amount(max(0, pending_days))
            where = f" in the last {self.within_months} months" if self.within_months else ""
            if met:
                unit = unit_for(current, self.unit)
                message = f"{format_number(current)} {unit} {self.of_what}{where}"
            else:
                missing = self.missing(days)  # "1 more year", "0.5 more years"
                unit = unit_for(missing, self.unit)
                message = f"{format_number(missing)} more {unit} {self.of_what}{where}"
                waiting = f"{format_number(pending)} {unit_for(pending, self.unit)}"
                message += " needed" + _waiting(pending, waiting)
            reports[candidate_id] = Requirement(
                key,
                self.label,
                met,
                current,
                pending,
                self.target,
                self.unit,
                message,
                self.window(today),
                self._ageing(islands, today) if met and self.within_months else (),
                None if met else Forecast(self._met_by(islands, today), None),
            )
        return reports

    def _ageing(self, islands: Sequence[Island], today: date) -> tuple[Ageing, ...]:
        for offset in range(1, AGEING_DAYS + 1):
            day = today + timedelta(days=offset)
            days = self.days(islands, day)
            if days < self.target_days:
                return (Ageing(day, self.amount(days)),)
        return ()

    def _met_by(self, islands: Sequence[Island], today: date) -> date | None:
        last = cal.add_months(today, DURATION_FORECAST_MONTHS)
        day = today + timedelta(days=1)
        while day <= last:
            short = self.target_days - self.days(islands, day)
            if short <= 0:
                return day
            day += timedelta(days=short)  # a day adds at most one day of experience
        return None
