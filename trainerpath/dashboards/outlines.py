"""Pathway outlines drawn from the rulesets, and where a candidate stands on each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.orm import Session

from trainerpath import clock, queries
from trainerpath.dashboards.enrollment import Bar, bar_for, enrollment_view
from trainerpath.models import Enrollment, Role, User
from trainerpath.pathways import Requirement, Ruleset, is_current, ruleset_for
from trainerpath.services import standings
from trainerpath.services.pathways import (
    event_label,
    may_switch_to,
    paused_at,
    state_label,
    who_phrase,
)
from trainerpath.wording import unit_for


@dataclass(frozen=True)
class OutlineRequirement:
    """A guard of a step, described for people (and, for a candidate, how far they are)."""

    key: str
    label: str
    rule: str  # its numbers and window: "≥ 10 qualifying training events in 60 months"
    description: str
    requirement: Requirement | None = None  # measured for a candidate only
    bar: Bar | None = None


@dataclass(frozen=True)
class OutlineEvent:
    """A way out of a state."""

    name: str
    label: str
    target_label: str
    who: str
    note_required: bool
    requirements: list[OutlineRequirement]


@dataclass(frozen=True)
class OutlineStep:
    """A state of the pathway with the ways out of it."""

    state: str
    label: str
    final: bool
    events: list[OutlineEvent]
    decided_by: str


@dataclass(frozen=True)
class Standing:
    """Where a candidate stands on one ruleset."""

    ruleset: Ruleset
    enrollment: Enrollment | None  # the candidate's enrollment in the pathway, under any rules
    state_label: str
    met: int
    total: int
    summary: str

    @property
    def follows(self) -> bool:
        """Whether the candidate's enrollment follows these rules."""
        return self.enrollment is not None and self.enrollment.ruleset == self.ruleset.id

    @property
    def may_switch(self) -> bool:
        """Whether the enrollment could switch to these rules: only while both start
        where it stands, preparing (pathways.md §6)."""
        enrollment = self.enrollment
        return (
            enrollment is not None and not self.follows and may_switch_to(enrollment, self.ruleset)
        )


@dataclass(frozen=True)
class Outline:
    """A ruleset described from the ruleset itself."""

    ruleset: Ruleset
    steps: list[OutlineStep]
    withdraw_who: str | None
    resume_who: str | None
    apply_requirements: list[OutlineRequirement]
    standing: Standing | None = None  # for a signed-in candidate

    @property
    def path_labels(self) -> list[str]:
        """The state labels along the path."""
        return [step.label for step in self.steps]

    @property
    def current(self) -> bool:
        """Whether new enrollments follow these rules."""
        return is_current(self.ruleset)


def pathway_outline(ruleset: Ruleset, measured: Mapping[str, Requirement] | None = None) -> Outline:
    """Describe a ruleset step by step; with a candidate's ``measured`` requirements
    (every key of the ruleset), how far they are on each too."""
    outlined: dict[str, OutlineRequirement] = {}

    def requirement(key: str) -> OutlineRequirement:
        if key not in outlined:
            need = ruleset.requirements[key]
            outlined[key] = OutlineRequirement(key, need.label, need.rule(), need.describe)
            if measured is not None:
                outlined[key] = replace(
                    outlined[key], requirement=measured[key], bar=bar_for(measured[key], ruleset)
                )
        return outlined[key]

    withdrawn = ruleset.withdrawn_state
    steps = []
    for state in ruleset.states:
        value = str(state.value)
        if value == withdrawn:
            continue
        events = [
            OutlineEvent(
                name=name,
                label=event_label(ruleset, name)
                if Role.CANDIDATE in ruleset.who[name]
                else ruleset.history_label(name),
                target_label=state_label(ruleset, ruleset.target(value, name) or value),
                who=who_phrase(ruleset, name),
                note_required=name in ruleset.notes_required,
                requirements=[requirement(key) for key in ruleset.guards(value, name)],
            )
            for name in ruleset.event_names(value)
            if name != "withdraw"
        ]
        deciders = sorted({event.who for event in events})
        steps.append(
            OutlineStep(
                state=value,
                label=str(state.name),
                final=bool(state.final),
                events=events,
                decided_by=" / ".join(deciders) if deciders else "—",
            )
        )
    initial = ruleset.initial_state
    return Outline(
        ruleset=ruleset,
        steps=steps,
        withdraw_who=who_phrase(ruleset, "withdraw") if ruleset.has_event("withdraw") else None,
        resume_who=who_phrase(ruleset, "resume") if ruleset.has_event("resume") else None,
        apply_requirements=[requirement(key) for key in ruleset.guards_leaving(initial)],
    )


def _standing(
    session: Session,
    candidate: User,
    outline: Outline,
    enrollment: Enrollment | None,
    today: date | None,
) -> Standing:
    """Where the candidate stands on the outlined rules, enrolled under them or not."""
    ruleset = outline.ruleset
    if enrollment is not None and enrollment.ruleset == ruleset.id:
        view = enrollment_view(session, enrollment, candidate, today)
        total = len(view.bars)
        if view.finished:
            summary = f"{view.state_label}: the pathway is complete."
        elif view.withdrawn:
            paused = paused_at(ruleset, enrollment)
            summary = f"{view.state_label}: paused at {paused}; resume it to carry on."
        elif total:
            summary = (
                f"{view.state_label}: {view.met_count} of {total} "
                f"{unit_for(total, 'requirements')} met "
                "for the next step."
            )
        else:
            summary = f"{view.state_label}: waiting for an outcome."
        return Standing(ruleset, enrollment, view.state_label, view.met_count, total, summary)
    measured = [r.requirement for r in outline.apply_requirements if r.requirement is not None]
    met, total = sum(1 for r in measured if r.met), len(measured)
    if enrollment is None:
        noun = unit_for(total, "requirements")
        summary = (
            f"Not enrolled. You already meet {met} of {total} {noun} to apply."
            if met
            else f"Not enrolled. You meet none of the {total} {noun} to apply yet."
        )
        return Standing(ruleset, None, "Not enrolled", met, total, summary)
    summary = (
        f"You follow {ruleset_for(enrollment.ruleset).label}. Under these rules you would "
        f"meet {met} of {total} {unit_for(total, 'requirements')} to apply."
    )
    return Standing(ruleset, enrollment, "Other rules", met, total, summary)


def outlines_for(
    session: Session,
    rulesets: Sequence[Ruleset],
    candidate: User | None = None,
    today: date | None = None,
) -> list[Outline]:
    """Outline each ruleset; for a candidate, measure their evidence and say where they stand.

    A ruleset the candidate's enrollment follows is measured on the enrollment's track
    (else on the ruleset's default track); every ruleset's requirements are measured
    together (``standings.measure_keys``).
    """
    if candidate is None or candidate.id is None:
        return [pathway_outline(ruleset) for ruleset in rulesets]
    today = today or clock.today()
    enrolled = {e.pathway: e for e in queries.enrollments_of(session, candidate.id)}
    wanted: list[standings.Wanted] = []
    for ruleset in rulesets:
        enrollment = enrolled.get(ruleset.pathway)
        follows = enrollment is not None and enrollment.ruleset == ruleset.id
        track = enrollment.track if enrollment is not None and follows else None
        wanted.append(
            (candidate.id, ruleset.id, track or ruleset.default_track, list(ruleset.requirements))
        )
    result = []
    for ruleset, measured in zip(
        rulesets, standings.measure_keys(session, wanted, today), strict=True
    ):
        outline = pathway_outline(ruleset, {r.key: r for r in measured})
        standing = _standing(session, candidate, outline, enrolled.get(ruleset.pathway), today)
        result.append(replace(outline, standing=standing))
    return result
