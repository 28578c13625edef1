"""What a pathway ruleset is: a state machine, its requirements, and who may fire what.

The machine (python-statemachine) holds states, events, transitions and the named
guards (``cond=``). What the library does not model, the ruleset adds beside it: the
requirement behind each guard (declared with ``vocabulary``), the roles that may fire
each event, the events that need a note, how each fired event reads in a timeline, and
the tracks an enrollment may choose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, reduce
from operator import or_
from typing import Any

from statemachine import Event, State, StateMachine
from statemachine.transition_list import TransitionList

from trainerpath.models import Role

from .measure import Population
from .vocabulary import Need, Requirement

CANDIDATE = frozenset({Role.CANDIDATE})
MENTOR_OR_ADMIN = frozenset({Role.MENTOR, Role.ADMIN})
CANDIDATE_OR_ADMIN = frozenset({Role.CANDIDATE, Role.ADMIN})


# Timeline wording of the events every ruleset has, and of a switch between rulesets.
COMMON_WORDING = {
    "withdraw": "Withdrawn",
    "resume": "Resumed",
    "switch_ruleset": "Switched to other rules",
}


def withdrawal(withdrawn: State, *active: State) -> tuple[Event, Event]:
    """Build ``withdraw`` from each active state and ``resume`` back to where it was.

    ``Ruleset.after_event`` keeps the state withdrawn from on the enrollment, which the
    ``resume`` guards read.
    """
    withdraw: TransitionList = reduce(or_, (state.to(withdrawn) for state in active))
    resume: TransitionList = reduce(
        or_, (withdrawn.to(state, cond=_withdrawn_from(state)) for state in active)
    )
    return (
        Event(withdraw, name="Withdraw from this pathway"),
        Event(resume, name="Resume this pathway"),
    )


def _withdrawn_from(state: State) -> Any:
    def withdrawn_from(model: Any) -> bool:
        return bool(model.withdrawn_from == state.value)

    return withdrawn_from


def _event_ids(transition: Any) -> list[str]:
    return [str(event.id) for event in transition.events]


class Guards:
    """The guard values a machine reads, as attributes named after the guards."""

    def __init__(self, keys: Iterable[str], values: Mapping[str, bool]) -> None:
        for key in keys:
            setattr(self, key, bool(values.get(key, False)))


@dataclass(frozen=True)
class Ruleset:
    """One version of one pathway's rules."""

    pathway: str
    version: int
    title: str
    awarding_body: str
    edition: str  # which rules these are, to tell versions apart: "April 2024"
    machine: type[StateMachine]
    requirements: Mapping[str, Need]
    who: Mapping[str, frozenset[Role]]
    history: Mapping[str, str]  # how each fired event reads in a timeline
    notes_required: frozenset[str] = field(default_factory=frozenset)
    tracks: tuple[tuple[str, str], ...] = ()  # (value, label); the first is the default

    def __post_init__(self) -> None:
        events = {event.id for event in self.machine.events}  # type: ignore[attr-defined]
        if events != set(self.who):
            raise ValueError(
                f"{self.id}: roles are declared for {sorted(self.who)}, events are {sorted(events)}"
            )
        if extra := self.notes_required - events:
            raise ValueError(f"{self.id}: notes required for unknown events {sorted(extra)}")
        if missing := events - set(self.history) - set(COMMON_WORDING):
            raise ValueError(f"{self.id}: no timeline wording for {sorted(missing)}")
        for state in self.states:
            for event in self.event_names(state.id):
                if unknown := set(self.guards(state.id, event)) - set(self.requirements):
                    raise ValueError(f"{self.id}: guards without a requirement: {sorted(unknown)}")

    @property
    def label(self) -> str:
        """The ruleset as people tell versions apart: "Certified Scrum Trainer (April 2024)"."""
        if self.title.endswith(")"):  # "Trainer (Product Owner track, first published rules)"
            return f"{self.title[:-1]}, {self.edition})"
        return f"{self.title} ({self.edition})"

    @property
    def default_track(self) -> str | None:
        """The track a new enrollment follows unless another is chosen."""
        return self.tracks[0][0] if self.tracks else None

    def track_label(self, track: str | None) -> str | None:
        """The track's name for people."""
        return dict(self.tracks).get(track or "")

    @property
    def withdrawn_state(self) -> str | None:
        """The state withdrawing leads to, if the pathway can be withdrawn from."""
        return self.target(self.initial_state, "withdraw")

    def is_withdrawn(self, state: str) -> bool:
        """Whether an enrollment in ``state`` is withdrawn (paused)."""
        return state == self.withdrawn_state

    def is_setback(self, event: str) -> bool:
        """Whether ``event`` records a failed outcome (declined, not passed, rejected): the
        events that need a note (pathways.md §4), which say why."""
        return event in self.notes_required

    def history_label(self, event: str) -> str:
        """The words for a fired ``event`` in a timeline ("Approved by the TAC")."""
        if event in self.history:
            return self.history[event]
        return COMMON_WORDING.get(event, event)

    def after_event(self, model: Any, event: str, source: str) -> None:
        """Remember where a withdrawn enrollment was, so ``resume`` returns there."""
        if event == "withdraw":
            model.withdrawn_from = source
        elif event == "resume":
            model.withdrawn_from = None

    def measure(self, key: str, people: Population) -> dict[int, Requirement]:
        """Measure the requirement ``key`` for every candidate of ``people``."""
        return self.requirements[key].measure(key, people) if people.candidate_ids else {}

    @property
    def id(self) -> str:
        """The identifier stored with every enrollment, e.g. ``cst@1``."""
        return f"{self.pathway}@{self.version}"

    @property
    def states(self) -> list[State]:
        """The states in declaration order."""
        return list(self.machine.states)

    @property
    def initial_state(self) -> str:
        """The state a new enrollment starts in."""
        initial = self.machine.initial_state
        assert initial is not None
        return str(initial.value)

    def state(self, value: str) -> State:
        """Return the state with this value."""
        return self.machine.states_map[value]

    @cached_property
    def _leaving(self) -> dict[str, dict[str, tuple[tuple[str, ...], str]]]:
        """For each state, the events leaving it in declaration order, each with its
        guards and (the first) target: the machine's transitions, read once."""
        table: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {}
        for state in self.states:
            events = table.setdefault(str(state.value), {})
            for transition in state.transitions:
                guards = tuple(spec.func for spec in transition.cond if isinstance(spec.func, str))
                for name in _event_ids(transition):
                    earlier, target = events.get(name, ((), str(transition.target.value)))
                    events[name] = (earlier + guards, target)
        return table

    def event_names(self, state: str) -> list[str]:
        """The events that leave ``state``, in declaration order, without repeats."""
        return list(self._leaving[state])

    def has_event(self, event: str) -> bool:
        """Whether the event exists in this ruleset at all."""
        return event in self.who

    def guards(self, state: str, event: str) -> list[str]:
        """The named requirement checks that guard ``event`` from ``state``."""
        found = self._leaving[state].get(event)
        return list(found[0]) if found else []

    def guards_leaving(self, state: str) -> list[str]:
        """Every guard of every event that leaves ``state``, without repeats."""
        keys: list[str] = []
        for event in self.event_names(state):
            keys.extend(key for key in self.guards(state, event) if key not in keys)
        return keys

    def target(self, state: str, event: str) -> str | None:
        """The state ``event`` leads to from ``state`` (the first, for ``resume``)."""
        found = self._leaving[state].get(event)
        return found[1] if found else None

    def bind(self, model: Any, guards: Mapping[str, bool] | None = None) -> StateMachine:
        """Bind the machine to an enrollment-like object whose ``state`` it reads and sets."""
        listeners: list[object] = [
            Guards(self.requirements, guards or {})
        ]  # guards not given count as unmet
        return self.machine(model=model, state_field="state", listeners=listeners)

    def transitions(self) -> Iterable[tuple[str, str, str, list[str]]]:
        """Every (from, event, to, guards) row of the ruleset's table."""
        for state in self.states:
            for transition in state.transitions:
                guards = [spec.func for spec in transition.cond if isinstance(spec.func, str)]
                for event in _event_ids(transition):
                    yield str(state.value), event, str(transition.target.value), guards
