"""One enrollment as a dashboard card: progress bars, stepper, next steps, buttons, history."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from trainerpath.dashboards.common import (
    aware,
    format_number,
    sentence_case,
    user_names,
)
from trainerpath.models import Enrollment, Role, TransitionRecord, User
from trainerpath.pathways import Requirement, Ruleset
from trainerpath.services.pathways import (
    EnrollmentStatus,
    EventOption,
    enrollment_status,
    event_label,
    event_phrase,
    state_label,
    who_phrase,
)

# -- Progress bars ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One requirement drawn as a two-part progress bar with its sentence."""

    requirement: Requirement
    verified_pct: int
    pending_pct: int
    sentence: str
    evidence: str | None  # the evidence slug that moves it forward
    hint: str

    @property
    def met(self) -> bool:
        """Whether the requirement is met."""
        return self.requirement.met


def progress_sentence(requirement: Requirement) -> str:
    """Say how far a requirement is: "73 verified + 20 pending of 100 students"."""
    unit = requirement.unit
    if unit == "item":
        unit = "needed"
    current, pending = format_number(requirement.current), format_number(requirement.pending)
    return f"{current} verified + {pending} pending of {format_number(requirement.target)} {unit}"


def bar_for(requirement: Requirement, ruleset: Ruleset) -> Bar:
    """Turn a requirement into a bar whose parts are whole percentages of the target."""
    target = requirement.target or 1
    verified = min(100, math.floor(requirement.current / target * 100))
    pending = min(100 - verified, math.ceil(requirement.pending / target * 100))
    hint = ruleset.requirements[requirement.key].hint
    sentence = progress_sentence(requirement)
    return Bar(requirement, verified, pending, sentence, hint.evidence, hint.action)


# -- One enrollment ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A state of the pathway as a point on the stepper."""

    state: str
    label: str
    status: Literal["done", "current", "todo"]
    reached_at: datetime | None
    final: bool


@dataclass(frozen=True)
class NextStep:
    """One plain-language line of "what's next"."""

    text: str
    kind: Literal["todo", "ready", "wait", "done"]
    evidence: str | None = None  # the evidence slug to log, if logging helps
    action: str = ""  # what to do about it, e.g. "Log the courses you taught"


@dataclass(frozen=True)
class EventButton:
    """An event of the current state as a button: enabled, or disabled with reasons."""

    option: EventOption
    label: str
    target_label: str | None


@dataclass(frozen=True)
class HistoryRow:
    """A fired event as a timeline line."""

    at: datetime
    label: str
    from_label: str
    to_label: str
    actor: str
    note: str | None


@dataclass(frozen=True)
class EnrollmentView:
    """Everything a dashboard card shows about one enrollment."""

    status: EnrollmentStatus
    title: str
    state_label: str
    steps: list[Step]
    bars: list[Bar]
    next_steps: list[NextStep]
    buttons: list[EventButton]
    withdraw: EventButton | None
    others: list[str]  # "by a mentor or an admin: TAC approval or TAC decline"
    history: list[HistoryRow]
    withdrawn: bool
    finished: bool

    @property
    def enrollment(self) -> Enrollment:
        """The enrollment shown."""
        return self.status.enrollment

    @property
    def met_count(self) -> int:
        """How many requirements of the next step are met."""
        return sum(1 for bar in self.bars if bar.met)


def stepper(status: EnrollmentStatus) -> list[Step]:
    """The pathway's states in order, each done, current or to do, with the date reached."""
    ruleset, enrollment = status.ruleset, status.enrollment
    withdrawn = ruleset.withdrawn_state
    path = [state for state in ruleset.states if state.value != withdrawn]
    current = enrollment.withdrawn_from if enrollment.state == withdrawn else enrollment.state
    reached: dict[str, datetime] = {ruleset.initial_state: aware(enrollment.created_at)}
    for record in status.history:
        reached[record.to_state] = aware(record.at)  # the latest arrival wins
    values = [str(state.value) for state in path]
    position = values.index(current) if current in values else 0
    steps = []
    for index, state in enumerate(path):
        value = str(state.value)
        step_status: Literal["done", "current", "todo"] = (
            "done" if index < position else "current" if index == position else "todo"
        )
        steps.append(
            Step(
                state=value,
                label=str(state.name),
                status=step_status,
                reached_at=reached.get(value) if step_status != "todo" else None,
                final=bool(state.final),
            )
        )
    return steps


def next_steps(status: EnrollmentStatus, bars: Sequence[Bar]) -> list[NextStep]:
    """Say in plain words what moves this enrollment forward, and who does it."""
    ruleset, enrollment = status.ruleset, status.enrollment
    state = ruleset.state(enrollment.state)
    if state.final:
        return [NextStep(f"Done: {state.name}. Congratulations!", "done")]
    if ruleset.is_withdrawn(enrollment.state):
        return [
            NextStep(
                "This pathway is paused because it was withdrawn. Resume it to carry on "
                f"from {state_label(ruleset, enrollment.withdrawn_from or ruleset.initial_state)}.",
                "todo",
            )
        ]
    lines: list[NextStep] = []
    for bar in bars:
        requirement = bar.requirement
        if requirement.met:
            continue
        lines.append(NextStep(f"{requirement.message}.", "todo", bar.evidence, bar.hint))
    waiting = [bar for bar in bars if not bar.met and bar.requirement.pending]
    if waiting:
        lines.append(
            NextStep(
                "Some of your evidence is waiting for review: your mentor verifies it.",
                "wait",
            )
        )
    progress_events = [name for name in ruleset.event_names(enrollment.state) if name != "withdraw"]
    candidate_events = [e for e in progress_events if Role.CANDIDATE in ruleset.who[e]]
    outcome_events = [e for e in progress_events if Role.CANDIDATE not in ruleset.who[e]]
    for name in candidate_events:
        guards = ruleset.guards(enrollment.state, name)
        if all(bar.met for bar in bars if bar.requirement.key in guards):
            lines.append(
                NextStep(f"Everything is in place: {event_phrase(ruleset, name)}.", "ready")
            )
    if outcome_events:
        who = who_phrase(ruleset, outcome_events[0])
        outcomes = " or ".join(sentence_case(ruleset.history_label(e)) for e in outcome_events)
        lines.append(
            NextStep(
                f"Waiting for the outcome of {state.name}: {who} records it ({outcomes}).", "wait"
            )
        )
    return lines


def history_rows(
    session: Session, ruleset: Ruleset, records: Iterable[TransitionRecord]
) -> list[HistoryRow]:
    """Transitions as timeline lines, in the order given."""
    records = list(records)
    names = user_names(session, (record.actor_id for record in records))
    return [
        HistoryRow(
            at=aware(record.at),
            label=ruleset.history_label(record.event),
            from_label=state_label(ruleset, record.from_state),
            to_label=state_label(ruleset, record.to_state),
            actor=names.get(record.actor_id, "someone"),
            note=record.note,
        )
        for record in records
    ]


def enrollment_view(
    session: Session, enrollment: Enrollment, viewer: User, today: date | None = None
) -> EnrollmentView:
    """Describe one enrollment for a dashboard card, as ``viewer`` may act on it."""
    status = enrollment_status(session=session, enrollment=enrollment, viewer=viewer, today=today)
    ruleset = status.ruleset
    bars = [bar_for(requirement, ruleset) for requirement in status.requirements]
    buttons = [
        EventButton(
            option=option,
            label=event_label(ruleset, option.name),
            target_label=state_label(ruleset, option.target) if option.target else None,
        )
        for option in status.events
    ]
    # Withdrawing is offered apart from the steps forward, and only to those who may.
    withdraw = next((b for b in buttons if b.option.name == "withdraw" and b.option.allowed), None)
    # Events of another role are named, not offered as buttons that can never work.
    mine = [
        b
        for b in buttons
        if b.option.name != "withdraw" and viewer.role in ruleset.who[b.option.name]
    ]
    theirs: dict[str, list[str]] = {}
    for b in buttons:
        if b.option.name != "withdraw" and viewer.role not in ruleset.who[b.option.name]:
            who = who_phrase(ruleset, b.option.name)
            theirs.setdefault(who, []).append(sentence_case(ruleset.history_label(b.option.name)))
    others = [
        f"{who.capitalize()} records: {' or '.join(labels)}." for who, labels in theirs.items()
    ]
    history = history_rows(session, ruleset, reversed(status.history))
    return EnrollmentView(
        status=status,
        title=ruleset.title,
        state_label=state_label(ruleset, enrollment.state),
        steps=stepper(status),
        bars=bars,
        next_steps=next_steps(status, bars),
        buttons=mine,
        withdraw=withdraw,
        others=others,
        history=history,
        withdrawn=ruleset.is_withdrawn(enrollment.state),
        finished=bool(ruleset.state(enrollment.state).final),
    )
