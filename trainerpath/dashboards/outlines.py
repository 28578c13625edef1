"""Pathway outlines drawn from the rulesets, and where a candidate stands on each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from trainerpath import queries
from trainerpath.dashboards.enrollment import Bar, bar_for, enrollment_view
from trainerpath.models import Enrollment, Role, User
from trainerpath.pathways import Population, Requirement, Ruleset
from trainerpath.services.pathways import event_label, state_label, who_phrase


@dataclass(frozen=True)
class OutlineRequirement:
    """A guard of a step, described for people (and, for a candidate, how far they are)."""

    key: str
    description: str
    requirement: Requirement
    bar: Bar


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
class Outline:
    """A ruleset described from the ruleset itself."""

    ruleset: Ruleset
    steps: list[OutlineStep]
    withdraw_who: str | None
    resume_who: str | None
    apply_requirements: list[OutlineRequirement]

    @property
    def path_labels(self) -> list[str]:
        """The state labels along the path."""
        return [step.label for step in self.steps]


def pathway_outline(
    session: Session, ruleset: Ruleset, candidate_id: int | None = None, today: date | None = None
) -> Outline:
    """Describe a ruleset step by step; with a candidate, measure their evidence too.

    Without a candidate the checks run against an empty record (id 0), which yields each
    requirement's label, target and unit exactly as the rules define them.
    """
    someone = candidate_id or 0
    people = Population(session, (someone,), today or date.today(), ruleset.default_track)
    measured: dict[str, Requirement] = {}

    def requirement(key: str) -> OutlineRequirement:
        if key not in measured:
            measured[key] = ruleset.measure(key, people)[someone]
        need = ruleset.requirements[key]
        return OutlineRequirement(
            key, need.describe, measured[key], bar_for(measured[key], ruleset)
        )

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


@dataclass(frozen=True)
class Standing:
    """Where a candidate stands on one pathway."""

    ruleset: Ruleset
    enrollment: Enrollment | None
    state_label: str
    met: int
    total: int
    summary: str


def standings(
    session: Session, candidate: User, outlines: Sequence[Outline], today: date | None = None
) -> dict[str, Standing]:
    """For each outlined pathway, the candidate's state and how many requirements they meet."""
    assert candidate.id is not None
    enrolled = {e.pathway: e for e in queries.enrollments_of(session, candidate.id)}
    result: dict[str, Standing] = {}
    for outline in outlines:
        ruleset = outline.ruleset
        enrollment = enrolled.get(ruleset.pathway)
        if enrollment is None:
            reqs = [r.requirement for r in outline.apply_requirements]
            met = sum(1 for r in reqs if r.met)
            summary = f"Not enrolled. You already meet {met} of {len(reqs)} requirements to apply."
            result[ruleset.pathway] = Standing(
                ruleset, None, "Not enrolled", met, len(reqs), summary
            )
            continue
        view = enrollment_view(session, enrollment, candidate, today)
        total = len(view.bars)
        if view.finished:
            summary = f"{view.state_label}: the pathway is complete."
        elif total:
            summary = (
                f"{view.state_label}: {view.met_count} of {total} requirements met "
                "for the next step."
            )
        else:
            summary = f"{view.state_label}: waiting for an outcome."
        result[ruleset.pathway] = Standing(
            ruleset, enrollment, view.state_label, view.met_count, total, summary
        )
    return result
