"""Where a candidate stands under each ruleset of a pathway, and which courses qualify.

Three additions to an enrollment card and the teaching-session list (pathways.md §6):
the candidate's standing under every ruleset of a preparing enrollment's pathway, side
by side, before they switch; the ``cst@2`` hint about courses that lack only a
reflection; and, per teaching session, whether it is a qualifying event and why not.
The first two come with the enrollment's stored standing; the marks cost one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from trainerpath import clock, queries
from trainerpath.dashboards.enrollment import EnrollmentView
from trainerpath.models import EnrollmentFacts, TeachingSession, User
from trainerpath.pathways import Requirement, Ruleset, is_current, rulesets_of
from trainerpath.pathways.cst_2024 import (
    COURSE_NAMES,
    CST_2,
    WAITING_FOR_REVIEW,
    why_not_qualifying,
)

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

    enrollment: EnrollmentFacts
    standings: list[RulesetStanding]


def switch_choice(view: EnrollmentView) -> SwitchChoice | None:
    """The enrollment's standing under each ruleset, if it may switch to another now."""
    enrollment, ruleset = view.enrollment, view.status.ruleset
    others = [r for r in rulesets_of(enrollment.pathway) if r.id != ruleset.id]
    standing = view.status.standing
    if enrollment.state != ruleset.initial_state or not (others or ruleset.tracks):
        return None
    measured = {other.ruleset: other for other in (standing.others if standing else [])}
    standings = []
    for each in rulesets_of(enrollment.pathway):
        if each.id == ruleset.id:
            # The card measured these already: the enrollment is in the initial state.
            followed = RulesetStanding(
                each, enrollment.track, view.status.requirements, True, is_current(each)
            )
            standings.append(followed)
        elif each.id in measured:
            other = measured[each.id]
            standings.append(
                RulesetStanding(each, other.track, other.requirements, False, is_current(each))
            )
    return SwitchChoice(enrollment, standings)


# -- cst@2: courses that would qualify with a reflection -------------------------------------


@dataclass(frozen=True)
class ReflectionHint:
    """How many verified courses of the track lack only a reflection to qualify."""

    count: int
    course: str  # "ScrumMaster"
    to_candidate: bool = True  # else said about them, to a mentor or an admin

    @property
    def text(self) -> str:
        """The hint in words."""
        whose = "your" if self.to_candidate else "the candidate's"
        return f"{self.count} of {whose} {self.course} courses would qualify with a reflection"


def reflection_hint(view: EnrollmentView, to_candidate: bool = True) -> ReflectionHint | None:
    """For a preparing ``cst@2`` enrollment, the courses a reflection would make count."""
    standing = view.status.standing
    if standing is None or not standing.reflection_hint:
        return None
    course = COURSE_NAMES[view.enrollment.track or CST_2.default_track or ""]
    return ReflectionHint(standing.reflection_hint, course, to_candidate)


# -- Everything a card adds ------------------------------------------------------------------


@dataclass(frozen=True)
class CardExtras:
    """What an enrollment card shows beyond the enrollment's own status."""

    switch: SwitchChoice | None = None
    reflection_hint: ReflectionHint | None = None


def card_extras(views: Sequence[EnrollmentView], viewer: User) -> dict[int, CardExtras]:
    """Per enrollment card: the rules it may switch to (for the candidate) and hints.

    Both come with the stored standing: no query.
    """
    extras: dict[int, CardExtras] = {}
    for view in views:
        enrollment = view.enrollment
        assert enrollment.id is not None
        own = viewer.id == enrollment.candidate_id
        extras[enrollment.id] = CardExtras(
            switch_choice(view) if own else None, reflection_hint(view, to_candidate=own)
        )
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

    @property
    def once_verified(self) -> bool:
        """Whether only the review stands between the session and a qualifying event."""
        return self.reasons == [WAITING_FOR_REVIEW]


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
