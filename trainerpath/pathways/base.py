"""What a pathway ruleset is: a state machine plus who may fire each event.

The machine (python-statemachine) holds states, events, transitions and the named
guards (``cond=``). What the library does not model, the ruleset adds beside it: the
roles that may fire each event and the events that need a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from statemachine import Event, State, StateMachine
from statemachine.transition_list import TransitionList

from trainerpath.models import Role

from .requirements import CHECKS

CANDIDATE = frozenset({Role.CANDIDATE})
MENTOR_OR_ADMIN = frozenset({Role.MENTOR, Role.ADMIN})
CANDIDATE_OR_ADMIN = frozenset({Role.CANDIDATE, Role.ADMIN})


def withdrawal(withdrawn: State, *active: State) -> tuple[Event, Event]:
    """Build ``withdraw`` from each active state and ``resume`` back to where it was."""
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

    def __init__(self, values: Mapping[str, bool]) -> None:
        for key in CHECKS:
            setattr(self, key, bool(values.get(key, False)))


@dataclass(frozen=True)
class Ruleset:
    """One version of one pathway's rules."""

    pathway: str
    version: int
    title: str
    awarding_body: str
    machine: type[StateMachine]
    who: Mapping[str, frozenset[Role]]
    notes_required: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        events = {event.id for event in self.machine.events}  # type: ignore[attr-defined]
        if events != set(self.who):
            raise ValueError(
                f"{self.id}: roles are declared for {sorted(self.who)}, events are {sorted(events)}"
            )
        if extra := self.notes_required - events:
            raise ValueError(f"{self.id}: notes required for unknown events {sorted(extra)}")
        for state in self.states:
            for event in self.event_names(state.id):
                if unknown := set(self.guards(state.id, event)) - set(CHECKS):
                    raise ValueError(f"{self.id}: guards without a check: {sorted(unknown)}")

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

    def event_names(self, state: str) -> list[str]:
        """The events that leave ``state``, in declaration order, without repeats."""
        names: list[str] = []
        for transition in self.state(state).transitions:
            for name in _event_ids(transition):
                if name not in names:
                    names.append(name)
        return names

    def has_event(self, event: str) -> bool:
        """Whether the event exists in this ruleset at all."""
        return event in self.who

    def guards(self, state: str, event: str) -> list[str]:
        """The named requirement checks that guard ``event`` from ``state``."""
        keys: list[str] = []
        for transition in self.state(state).transitions:
            if event in _event_ids(transition):
                keys.extend(spec.func for spec in transition.cond if isinstance(spec.func, str))
        return keys

    def guards_leaving(self, state: str) -> list[str]:
        """Every guard of every event that leaves ``state``, without repeats."""
        keys: list[str] = []
        for event in self.event_names(state):
            keys.extend(key for key in self.guards(state, event) if key not in keys)
        return keys

    def target(self, state: str, event: str) -> str | None:
        """The state ``event`` leads to from ``state`` (the first, for ``resume``)."""
        for transition in self.state(state).transitions:
            if event in _event_ids(transition):
                return str(transition.target.value)
        return None

    def bind(self, model: Any, guards: Mapping[str, bool] | None = None) -> StateMachine:
        """Bind the machine to an enrollment-like object whose ``state`` it reads and sets."""
        listeners: list[object] = [Guards(guards or {})]  # guards not given count as unmet
        return self.machine(model=model, state_field="state", listeners=listeners)

    def transitions(self) -> Iterable[tuple[str, str, str, list[str]]]:
        """Every (from, event, to, guards) row of the ruleset's table."""
        for state in self.states:
            for transition in state.transitions:
                guards = [spec.func for spec in transition.cond if isinstance(spec.func, str)]
                for event in _event_ids(transition):
                    yield str(state.value), event, str(transition.target.value), guards
