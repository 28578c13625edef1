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
    format_day,
    format_month,
    format_number,
    sentence_case,
)
from trainerpath.models import Enrollment, EnrollmentFacts, Role, User
from trainerpath.pathways import Requirement, Ruleset
from trainerpath.pathways.vocabulary import Need, Scored, Tally
from trainerpath.queries import HistoryEntry
from trainerpath.services import standings
from trainerpath.services.pathways import (
    EnrollmentStatus,
    EventOption,
    enrollment_status,
    event_label,
    event_phrase,
    history_label,
    history_state_label,
    is_setback,
    paused_at,
    state_label,
    statuses_with_history,
    who_phrase,
)
from trainerpath.wording import format_score, unit_for

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
    window: str | None = None  # "in the last 60 months, since 1 Dec 2021"
    warning: str | None = None  # a met requirement about to fall below its target
    forecast: str | None = None  # when an unmet requirement is met at the current pace

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
    target = format_number(requirement.target)
    return (
        f"{current} verified + {pending} pending of {target} {unit_for(requirement.target, unit)}"
    )


def score_sentence(requirement: Requirement, pass_mark: float) -> str:
    """Say how far a score requirement is: "Best verified score 91% — 95% needed", "No
    verified score yet — 95% needed", and whether a passing attempt awaits review."""
    best = requirement.best_score
    mark = f"{format_number(pass_mark)}% needed"
    sentence = (
        f"Best verified score {format_score(best)}% — {mark}"
        if best is not None
        else f"No verified score yet — {mark}"
    )
    if not requirement.met and requirement.pending:
        waiting = "attempt is" if requirement.pending == 1 else "attempts are"
        sentence += f" ({format_number(requirement.pending)} passing {waiting} waiting for review)"
    return sentence


def window_phrase(requirement: Requirement) -> str | None:
    """Say which window a requirement counts in: "in the last 60 months, since 1 Dec 2021"."""
    window = requirement.window
    if window is None:
        return None
    return f"in the last {window.months} months, since {format_day(window.start)}"


def ageing_warning(requirement: Requirement, need: Need, to_candidate: bool = True) -> str | None:
    """Warn that evidence leaves the window: "2 qualifying events leave ... by 1 Mar 2027",
    to the candidate, or about them to a mentor or admin."""
    drop = requirement.shortfall
    if drop is None or requirement.window is None:
        return None
    when, target = format_day(drop.on), format_number(requirement.target)
    if isinstance(need, Tally):
        leaving = requirement.current - drop.current
        noun, verb = (need.noun[0], "leaves") if leaving == 1 else (need.noun[1], "leave")
        more = format_number(requirement.target - drop.current)
        act = f"log {more} more" if to_candidate else f"the candidate needs {more} more"
        return (
            f"{format_number(leaving)} {noun} {verb} the {requirement.window.months}-month "
            f"window by {when}: {act} to stay at {target}."
        )
    whose, who = ("Your", "you log") if to_candidate else ("The candidate's", "they log")
    return (
        f"{whose} {requirement.label} falls below {target} "
        f"{unit_for(requirement.target, requirement.unit)} on {when} "
        f"unless {who} more."
    )


def forecast_phrase(requirement: Requirement, to_candidate: bool = True) -> str | None:
    """Say when an unmet requirement is met at the candidate's pace, or that it is not, to
    the candidate ("your pace") or about them ("the candidate's pace")."""
    forecast = requirement.forecast
    if forecast is None or requirement.met:
        return None
    your = "your" if to_candidate else "the candidate's"
    pace = forecast.pace_per_month
    if pace is None:  # a duration: its periods go on, nothing else is added
        if forecast.met_by is None:  # ended, or planned to end, short of it
            return f"Not on {your} experience so far: no period on record goes on long enough."
        return f"About {format_day(forecast.met_by)} if {your} current role goes on."
    if forecast.met_by is None and not pace:
        return "Not at this pace: no evidence verified in the last 12 months counts towards it."
    rate = f"{format_number(pace)} {unit_for(pace, requirement.unit)} a month"
    if forecast.met_by is None:
        return f"Not at this pace ({rate} over the last 12 months)."
    return f"At {your} pace of {rate}: about {format_month(forecast.met_by)}."


def bar_for(requirement: Requirement, ruleset: Ruleset, to_candidate: bool = True) -> Bar:
    """Turn a requirement into a bar whose parts are whole percentages of the target,
    its sentences said to the candidate or (``to_candidate`` false) about them."""
    target = requirement.target or 1
    verified = min(100, math.floor(requirement.current / target * 100))
    pending = min(100 - verified, math.ceil(requirement.pending / target * 100))
    need = ruleset.requirements[requirement.key]
    return Bar(
        requirement,
        verified,
        pending,
        score_sentence(requirement, need.at_least)
        if isinstance(need, Scored)
        else progress_sentence(requirement),
        need.hint.evidence,
        need.hint.action,
        window_phrase(requirement),
        ageing_warning(requirement, need, to_candidate),
        forecast_phrase(requirement, to_candidate),
    )


# -- One enrollment ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A state of the pathway as a point on the stepper."""

    state: str
    label: str
    status: Literal["done", "current", "paused", "todo"]  # paused: withdrawn from here
    reached_at: datetime | None
    final: bool


@dataclass(frozen=True)
class NextStep:
    """One plain-language line of "what's next"."""

    text: str
    kind: Literal["todo", "warn", "ready", "wait", "done"]
    evidence: str | None = None  # the evidence slug to log, if logging helps
    action: str = ""  # what to do about it, e.g. "Log the courses you taught"
    detail: str = ""  # when it is forecast to be done, e.g. "At your pace ...: about June 2028."


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
    setback: HistoryRow | None  # the failed outcome that left the enrollment where it is
    withdraw: EventButton | None
    others: list[str]  # "by a mentor or an admin: TAC approval or TAC decline"
    history: list[HistoryRow]
    withdrawn: bool
    finished: bool

    @property
    def enrollment(self) -> EnrollmentFacts:
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
        # The latest arrival wins. Not an arrival: a step that stays put (a failed
        # interview to retry, a switch of rules) or a resume from a withdrawal.
        if record.from_state not in (record.to_state, withdrawn):
            reached[record.to_state] = aware(record.at)
    values = [str(state.value) for state in path]
    position = values.index(current) if current in values else 0
    steps = []
    for index, state in enumerate(path):
        value = str(state.value)
        step_status: Literal["done", "current", "paused", "todo"] = (
            "done" if index < position else "current" if index == position else "todo"
        )
        if step_status == "current" and enrollment.state == withdrawn:
            step_status = "paused"
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


def longest_first(bars: Iterable[Bar]) -> list[Bar]:
    """Unmet requirements, the one forecast to take longest first.

    The order: those not met at the current pace (a forecast without a date), then
    those with a forecast date, latest first, then those with no forecast at all
    (yes/no requirements and scores), each group in the ruleset's order.
    """

    def rank(bar: Bar) -> tuple[int, int]:
        forecast = bar.requirement.forecast
        if forecast is None:
            return (2, 0)
        if forecast.met_by is None:
            return (0, 0)
        return (1, -forecast.met_by.toordinal())

    return sorted(bars, key=rank)


def next_steps(
    status: EnrollmentStatus, bars: Sequence[Bar], to_candidate: bool = True
) -> list[NextStep]:
    """Say in plain words what moves this enrollment forward, and who does it, to the
    candidate ("your evidence") or to a mentor or admin ("the candidate's evidence").

    The missing requirements come first, the one forecast to take longest leading
    (``longest_first``), each with its forecast; then evidence about to age out.
    """
    ruleset, enrollment = status.ruleset, status.enrollment
    state = ruleset.state(enrollment.state)
    if state.final:
        return [NextStep(f"Done: {state.name}. Congratulations!", "done")]
    if ruleset.is_withdrawn(enrollment.state):
        paused = paused_at(ruleset, enrollment)
        resume = "Resume it to" if to_candidate else "Resuming it lets the candidate"
        return [
            NextStep(
                f"This pathway is paused because it was withdrawn. {resume} carry on "
                f"from {paused}.",
                "todo",
            )
        ]
    lines = [
        NextStep(f"{bar.requirement.message}.", "todo", bar.evidence, bar.hint, bar.forecast or "")
        for bar in longest_first(bar for bar in bars if not bar.met)
    ]
    lines.extend(
        NextStep(bar.warning, "warn", bar.evidence, bar.hint) for bar in bars if bar.warning
    )
    waiting = [bar for bar in bars if not bar.met and bar.requirement.pending]
    if waiting:
        lines.append(
            NextStep(
                "Some of your evidence is waiting for review: your mentor verifies it."
                if to_candidate
                else "Some of the candidate's evidence is waiting for review: verify or "
                "reject it in the review queue.",
                "wait",
            )
        )
    progress_events = [name for name in ruleset.event_names(enrollment.state) if name != "withdraw"]
    candidate_events = [e for e in progress_events if Role.CANDIDATE in ruleset.who[e]]
    outcome_events = [e for e in progress_events if Role.CANDIDATE not in ruleset.who[e]]
    for name in candidate_events:
        guards = ruleset.guards(enrollment.state, name)
        if all(bar.met for bar in bars if bar.requirement.key in guards):
            step = event_phrase(ruleset, name)
            lines.append(
                NextStep(
                    f"Everything is in place: {step}."
                    if to_candidate
                    else f"Everything is in place: the candidate can {step}.",
                    "ready",
                )
            )
    if outcome_events:
        who = who_phrase(ruleset, outcome_events[0])
        outcomes = " or ".join(sentence_case(ruleset.history_label(e)) for e in outcome_events)
        lines.append(
            NextStep(
                # A sentence of its own: state names may hold a colon ("Phase 2: ...").
                f"Waiting for the outcome of {state.name}. "
                f"{who[:1].upper()}{who[1:]} records it ({outcomes}).",
                "wait",
            )
        )
    return lines


def latest_setback(status: EnrollmentStatus) -> HistoryEntry | None:
    """The latest setback (a failed outcome, with its note) while the enrollment is still
    in the state it left it in: only steps that stayed there (a switch of rules) came
    after it. None once anything moved the enrollment on, or back."""
    ruleset, state = status.ruleset, status.enrollment.state
    for record in reversed(status.history):
        if record.to_state != state:
            return None
        if is_setback(ruleset, record.event):  # perhaps under the rules before a switch
            return record
        if record.from_state != state:  # arrived here otherwise: no setback left it here
            return None
    return None


def history_rows(
    ruleset: Ruleset, records: Iterable[HistoryEntry], actor_names: dict[int, str]
) -> list[HistoryRow]:
    """Transitions as timeline lines, in the order given."""
    return [
        HistoryRow(
            at=aware(record.at),
            label=history_label(ruleset, record.event, record.note),
            from_label=history_state_label(ruleset, record.from_state),
            to_label=history_state_label(ruleset, record.to_state),
            actor=actor_names.get(record.actor_id, "someone"),
            note=record.note,
        )
        for record in records
    ]


def enrollment_views(
    session: Session, candidate_id: int, viewer: User, today: date | None = None
) -> list[EnrollmentView]:
    """Every enrollment card of the candidate, in one query (stored standings read)."""
    found = standings.enrollments_with_history(session, candidate_id)
    described = statuses_with_history(session, found, viewer, today)
    return [view_of(described[each.paired[0].id or 0], viewer) for each in found]


def enrollment_view(
    session: Session, enrollment: Enrollment, viewer: User, today: date | None = None
) -> EnrollmentView:
    """Describe one enrollment for a dashboard card, as ``viewer`` may act on it."""
    status = enrollment_status(session=session, enrollment=enrollment, viewer=viewer, today=today)
    return view_of(status, viewer)


def view_of(status: EnrollmentStatus, viewer: User) -> EnrollmentView:
    """The card of a described enrollment, as ``viewer`` may act on it."""
    enrollment = status.enrollment
    ruleset = status.ruleset
    to_candidate = viewer.id == enrollment.candidate_id
    bars = [bar_for(requirement, ruleset, to_candidate) for requirement in status.requirements]
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
            theirs.setdefault(who, []).append(event_phrase(ruleset, b.option.name))
    others = [f"Up to {who}: {' or '.join(labels)}." for who, labels in theirs.items()]
    history = history_rows(ruleset, reversed(status.history), status.actor_names)
    setback = latest_setback(status)
    return EnrollmentView(
        status=status,
        title=ruleset.title,
        state_label=state_label(ruleset, enrollment.state),
        steps=stepper(status),
        bars=bars,
        next_steps=next_steps(status, bars, to_candidate),
        buttons=mine,
        setback=history_rows(ruleset, [setback], status.actor_names)[0] if setback else None,
        withdraw=withdraw,
        others=others,
        history=history,
        withdrawn=ruleset.is_withdrawn(enrollment.state),
        finished=bool(ruleset.state(enrollment.state).final),
    )
