"""Where a candidate stands under each ruleset of a pathway, and which courses qualify.

Three additions to an enrollment card and the teaching-session list (pathways.md §6):
the candidate's standing under every ruleset of a preparing enrollment's pathway, side
by side, before they switch; the ``cst@2`` hint about courses that lack only a
reflection; and, per teaching session, whether it is a qualifying event and why not.
Each is measured in a fixed number of statements, whatever the amount of evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import not_
from sqlalchemy.orm import Session

from trainerpath import clock, queries
from trainerpath.dashboards.enrollment import EnrollmentView
from trainerpath.models import Enrollment, TeachingSession, User
from trainerpath.pathways import Population, Requirement, Ruleset, is_current, rulesets_of
from trainerpath.pathways.calendar import window_start
from trainerpath.pathways.cst_2024 import (
    COURSE_NAMES,
    CST_2,
    HAS_REFLECTION,
    QUALIFYING_BUT_REFLECTION,
    WINDOW_MONTHS,
    why_not_qualifying,
)
from trainerpath.pathways.measure import amounts

# -- Standing under each ruleset ----------------------------------------------------------


@dataclass(frozen=True)
class RulesetStanding:
    """The candidate measured against one ruleset's application requirements."""

    ruleset: Ruleset
    track: str | None  # the track measured (the enrollment's, else the default)
    requirements: list[Requirement]
    followed: bool  # the enrollment follows these rules now
    current: bool  # new enrollments follow these rules

    @property
    def other_tracks(self) -> list[tuple[str, str]]:
        """The tracks of these rules other than the one measured."""
        return [(value, label) for value, label in self.ruleset.tracks if value != self.track]

    @property
    def met_count(self) -> int:
        """How many of the requirements are met."""
        return sum(1 for requirement in self.requirements if requirement.met)

    @property
    def track_label(self) -> str | None:
        """The measured track's name for people."""
        return self.ruleset.track_label(self.track)


@dataclass(frozen=True)
class SwitchChoice:
    """A preparing enrollment's standing under every ruleset of its pathway."""

    enrollment: Enrollment
    standings: list[RulesetStanding]


def _standing(
    session: Session, view: EnrollmentView, ruleset: Ruleset, today: date
) -> RulesetStanding:
    enrollment = view.enrollment
    keys = ruleset.guards_leaving(ruleset.initial_state)
    if ruleset.id == enrollment.ruleset:
        # The card measured these already: the enrollment is in the initial state.
        requirements = view.status.requirements
        return RulesetStanding(ruleset, enrollment.track, requirements, True, is_current(ruleset))
    people = Population(session, (enrollment.candidate_id,), today, ruleset.default_track)
    measured = [ruleset.measure(key, people)[enrollment.candidate_id] for key in keys]
    return RulesetStanding(ruleset, ruleset.default_track, measured, False, is_current(ruleset))


def switch_choice(
    session: Session, view: EnrollmentView, today: date | None = None
) -> SwitchChoice | None:
    """The enrollment's standing under each ruleset, if it may switch to another now."""
    enrollment, ruleset = view.enrollment, view.status.ruleset
    others = [r for r in rulesets_of(enrollment.pathway) if r.id != ruleset.id]
    if enrollment.state != ruleset.initial_state or not (others or ruleset.tracks):
        return None
    day = today or clock.today()
    standings = [_standing(session, view, r, day) for r in rulesets_of(enrollment.pathway)]
    return SwitchChoice(enrollment, standings)


# -- cst@2: courses that would qualify with a reflection -------------------------------------


@dataclass(frozen=True)
class ReflectionHint:
    """How many verified courses of the track lack only a reflection to qualify."""

    count: int
    course: str  # "ScrumMaster"

    @property
    def text(self) -> str:
        """The hint in words."""
        return f"{self.count} of your {self.course} courses would qualify with a reflection"


def reflection_hints(
    session: Session, enrollments: Iterable[Enrollment], today: date | None = None
) -> dict[int, ReflectionHint]:
    """For each preparing ``cst@2`` enrollment, the courses a reflection would make count."""
    day = today or clock.today()
    by_track: dict[str | None, list[Enrollment]] = {}
    for enrollment in enrollments:
        if enrollment.ruleset == CST_2.id and enrollment.state == CST_2.initial_state:
            by_track.setdefault(enrollment.track, []).append(enrollment)
    hints: dict[int, ReflectionHint] = {}
    since = window_start(day, WINDOW_MONTHS)
    for track, group in by_track.items():
        people = Population(session, tuple(sorted({e.candidate_id for e in group})), day, track)
        found = amounts(
            people, TeachingSession, 1, [*QUALIFYING_BUT_REFLECTION, not_(HAS_REFLECTION)], since
        )
        course = COURSE_NAMES[track or CST_2.default_track or ""]
        for enrollment in group:
            count = found[enrollment.candidate_id].verified
            if count and enrollment.id is not None:
                hints[enrollment.id] = ReflectionHint(count, course)
    return hints


# -- Everything a card adds ------------------------------------------------------------------


@dataclass(frozen=True)
class CardExtras:
    """What an enrollment card shows beyond the enrollment's own status."""

    switch: SwitchChoice | None = None
    reflection_hint: ReflectionHint | None = None


def card_extras(
    session: Session, views: Sequence[EnrollmentView], viewer: User, today: date | None = None
) -> dict[int, CardExtras]:
    """Per enrollment card: the rules it may switch to (for the candidate) and hints."""
    hints = reflection_hints(session, (view.enrollment for view in views), today)
    extras: dict[int, CardExtras] = {}
    for view in views:
        enrollment = view.enrollment
        assert enrollment.id is not None
        own = viewer.id == enrollment.candidate_id
        switch = switch_choice(session, view, today) if own else None
        extras[enrollment.id] = CardExtras(switch, hints.get(enrollment.id))
    return extras


# -- Teaching sessions as qualifying events --------------------------------------------------


@dataclass(frozen=True)
class QualifyingMark:
    """Whether a teaching session is a qualifying event of a ``cst@2`` enrollment, and why not."""

    rules: str  # "Certified Scrum Trainer (April 2024), ScrumMaster track"
    reasons: list[str]

    @property
    def qualifying(self) -> bool:
        """Whether the session counts as a qualifying event."""
        return not self.reasons


def qualifying_marks(
    session: Session,
    candidate_id: int,
    items: Sequence[TeachingSession],
    today: date | None = None,
) -> dict[int, list[QualifyingMark]]:
    """Per loaded teaching session, its mark for each of the candidate's ``cst@2`` enrollments."""
    if not items:
        return {}
    day = today or clock.today()
    tracks = [
        e.track or CST_2.default_track
        for e in queries.enrollments_of(session, candidate_id)
        if e.ruleset == CST_2.id
    ]
    marks: dict[int, list[QualifyingMark]] = {}
    for item in items:
        assert item.id is not None
        marks[item.id] = [
            QualifyingMark(
                f"{CST_2.label}, {COURSE_NAMES[track or '']} track",
                why_not_qualifying(item, track, day),
            )
            for track in tracks
        ]
    return marks
