"""The pathway machines against pathways.md §4, without a database.

The tables below are a hand copy of the spec, not read from the code under test, so
a rule changed in trainerpath/pathways without the spec changing makes these fail.
test_fire_event.py reuses the same copy to drive the service on the database.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import pytest
from statemachine.exceptions import TransitionNotAllowed

from trainerpath.pathways import CURRENT, RULESETS, Ruleset, ruleset_for

CANDIDATE = frozenset({"candidate"})
MENTOR_OR_ADMIN = frozenset({"mentor", "admin"})
CANDIDATE_OR_ADMIN = frozenset({"candidate", "admin"})
ROLES = ("candidate", "mentor", "admin")


@dataclass(frozen=True)
class Row:
    """One row of a pathways.md §4 table; ``resume`` rows name the state withdrawn from."""

    source: str
    event: str
    target: str
    who: frozenset[str]
    guards: tuple[str, ...] = ()
    note_required: bool = False
    withdrawn_from: str | None = None


@dataclass(frozen=True)
class Spec:
    """One pathway's table: its states in order, initial first, and its rows."""

    pathway: str
    ruleset_id: str
    states: tuple[str, ...]
    final: str
    rows: tuple[Row, ...]

    @property
    def events(self) -> tuple[str, ...]:
        """Every event of the table, once each."""
        return tuple(dict.fromkeys(row.event for row in self.rows))

    def sources(self, event: str) -> set[str]:
        """The states ``event`` may be fired from."""
        return {row.source for row in self.rows if row.event == event}

    def who(self, event: str) -> frozenset[str]:
        """The roles that may fire ``event``."""
        return next(row.who for row in self.rows if row.event == event)


def withdrawal_rows(states: tuple[str, ...], final: str) -> tuple[Row, ...]:
    """The spec's last two rows: withdraw from any state but the final one and withdrawn;
    resume to the state it was withdrawn from."""
    active = [state for state in states if state not in (final, "withdrawn")]
    withdraw = [Row(state, "withdraw", "withdrawn", CANDIDATE_OR_ADMIN) for state in active]
    resume = [
        Row("withdrawn", "resume", state, CANDIDATE_OR_ADMIN, withdrawn_from=state)
        for state in active
    ]
    return (*withdraw, *resume)


CST_STATES = ("preparing", "tac_review", "interview", "certified", "withdrawn")
CST = Spec(
    pathway="cst",
    ruleset_id="cst@1",
    states=CST_STATES,
    final="certified",
    rows=(
        Row(
            "preparing",
            "submit_application",
            "tac_review",
            CANDIDATE,
            guards=(
                "csp_active",
                "students_taught",
                "multi_day_sm_sessions",
                "course_materials_reviewed",
                "scrum_experience",
            ),
        ),
        Row("tac_review", "tac_approve", "interview", MENTOR_OR_ADMIN),
        Row("tac_review", "tac_decline", "preparing", MENTOR_OR_ADMIN, note_required=True),
        Row("interview", "interview_pass", "certified", MENTOR_OR_ADMIN),
        Row("interview", "interview_fail", "preparing", MENTOR_OR_ADMIN, note_required=True),
        *withdrawal_rows(CST_STATES, "certified"),
    ),
)

PST_STATES = (
    "preparing",
    "application_review",
    "ttt",
    "pspo2",
    "pspo3",
    "staff_interview",
    "peer_review",
    "licensed",
    "withdrawn",
)
PST = Spec(
    pathway="pst",
    ruleset_id="pst@1",
    states=PST_STATES,
    final="licensed",
    rows=(
        Row(
            "preparing",
            "submit_application",
            "application_review",
            CANDIDATE,
            guards=("po_experience", "training_provided", "pspo1_95"),
        ),
        Row("application_review", "accept_application", "ttt", MENTOR_OR_ADMIN),
        Row(
            "application_review",
            "reject_application",
            "preparing",
            MENTOR_OR_ADMIN,
            note_required=True,
        ),
        Row("ttt", "complete_ttt", "pspo2", CANDIDATE, guards=("ttt_attended",)),
        Row("pspo2", "pass_pspo2", "pspo3", CANDIDATE, guards=("pspo2_85",)),
        Row("pspo3", "pass_pspo3", "staff_interview", CANDIDATE, guards=("pspo3_85",)),
        Row("staff_interview", "staff_interview_pass", "peer_review", MENTOR_OR_ADMIN),
        Row(
            "staff_interview",
            "staff_interview_fail",
            "staff_interview",
            MENTOR_OR_ADMIN,
            note_required=True,
        ),
        Row("peer_review", "peer_review_pass", "licensed", MENTOR_OR_ADMIN),
        Row("peer_review", "peer_review_fail", "peer_review", MENTOR_OR_ADMIN, note_required=True),
        *withdrawal_rows(PST_STATES, "licensed"),
    ),
)

SPECS = {"cst": CST, "pst": PST}


def row_id(spec: Spec, row: Row) -> str:
    """A readable test id: ``cst-tac_review-tac_decline``."""
    return f"{spec.pathway}-{row.source}-{row.event}" + (
        f"-to-{row.target}" if row.event == "resume" else ""
    )


def enrollment_like(state: str, withdrawn_from: str | None = None) -> types.SimpleNamespace:
    """A stand-in for an enrollment row: all a machine reads and sets."""
    return types.SimpleNamespace(state=state, withdrawn_from=withdrawn_from)


# -- the ruleset declares exactly the spec's table -------------------------------------


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_ruleset_has_exactly_the_spec_states_in_order(spec: Spec) -> None:
    ruleset = CURRENT[spec.pathway]
    assert [state.value for state in ruleset.states] == list(spec.states)
    assert ruleset.initial_state == "preparing"
    assert [state.value for state in ruleset.states if state.final] == [spec.final]


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_ruleset_transitions_are_exactly_the_spec_table(spec: Spec) -> None:
    ruleset = CURRENT[spec.pathway]
    declared = sorted(
        (source, event, target, tuple(guards))
        for source, event, target, guards in ruleset.transitions()
    )
    expected = sorted((row.source, row.event, row.target, row.guards) for row in spec.rows)
    assert declared == expected


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_ruleset_lets_exactly_the_spec_roles_fire_each_event(spec: Spec) -> None:
    ruleset = CURRENT[spec.pathway]
    declared = {event: {str(role) for role in roles} for event, roles in ruleset.who.items()}
    assert declared == {event: set(spec.who(event)) for event in spec.events}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_ruleset_requires_a_note_for_exactly_the_spec_events(spec: Spec) -> None:
    expected = {row.event for row in spec.rows if row.note_required}
    assert set(CURRENT[spec.pathway].notes_required) == expected


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_each_pathway_records_its_ruleset_version(spec: Spec) -> None:
    ruleset = CURRENT[spec.pathway]
    assert ruleset.id == spec.ruleset_id
    assert ruleset_for(spec.ruleset_id) is ruleset
    assert RULESETS[spec.ruleset_id] is ruleset


@pytest.mark.parametrize(
    ("spec", "state"),
    [(spec, state) for spec in SPECS.values() for state in spec.states],
    ids=lambda value: value.pathway if isinstance(value, Spec) else value,
)
def test_events_leaving_each_state_are_those_of_the_spec(spec: Spec, state: str) -> None:
    ruleset = CURRENT[spec.pathway]
    assert set(ruleset.event_names(state)) == {
        row.event for row in spec.rows if row.source == state
    }
    guards = {guard for row in spec.rows if row.source == state for guard in row.guards}
    assert set(ruleset.guards_leaving(state)) == guards


def test_ruleset_refuses_roles_declared_for_an_event_the_machine_lacks() -> None:
    cst = CURRENT["cst"]
    with pytest.raises(ValueError, match="roles are declared"):
        Ruleset(
            pathway="cst",
            version=99,
            title=cst.title,
            awarding_body=cst.awarding_body,
            machine=cst.machine,
            who={**cst.who, "fly": cst.who["withdraw"]},
        )


# -- pure transitions: (ruleset, state, event, guards) -> new state or refusal --------


@dataclass(frozen=True)
class Case:
    """One pure transition case and what must come of it."""

    id: str
    pathway: str
    state: str
    event: str
    guards: dict[str, bool]
    withdrawn_from: str | None
    expected: str | type[TransitionNotAllowed]


def _all_met(row: Row) -> dict[str, bool]:
    return dict.fromkeys(row.guards, True)


def _cases() -> list[Case]:
    cases: list[Case] = []
    for spec in SPECS.values():
        for row in spec.rows:
            base = row_id(spec, row)
            cases.append(
                Case(
                    f"{base}-guards-met",
                    spec.pathway,
                    row.source,
                    row.event,
                    _all_met(row),
                    row.withdrawn_from,
                    row.target,
                )
            )
            for unmet in row.guards:
                cases.append(
                    Case(
                        f"{base}-{unmet}-unmet",
                        spec.pathway,
                        row.source,
                        row.event,
                        _all_met(row) | {unmet: False},
                        row.withdrawn_from,
                        TransitionNotAllowed,
                    )
                )
            if row.guards:
                cases.append(
                    Case(
                        f"{base}-no-guards-given",
                        spec.pathway,
                        row.source,
                        row.event,
                        {},
                        row.withdrawn_from,
                        TransitionNotAllowed,
                    )
                )
        for event in spec.events:
            every_guard = {g: True for row in spec.rows for g in row.guards}
            for state in spec.states:
                if state in spec.sources(event):
                    continue
                cases.append(
                    Case(
                        f"{spec.pathway}-{state}-{event}-wrong-state",
                        spec.pathway,
                        state,
                        event,
                        every_guard,
                        "preparing" if state == "withdrawn" else None,
                        TransitionNotAllowed,
                    )
                )
        cases.append(
            Case(
                f"{spec.pathway}-withdrawn-resume-without-withdrawn-from",
                spec.pathway,
                "withdrawn",
                "resume",
                {},
                None,
                TransitionNotAllowed,
            )
        )
    return cases


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.id)
def test_machine_moves_only_as_the_spec_table_says(case: Case) -> None:
    enrollment = enrollment_like(case.state, case.withdrawn_from)
    machine = CURRENT[case.pathway].bind(enrollment, case.guards)
    if isinstance(case.expected, str):
        machine.send(case.event)
        assert enrollment.state == case.expected
    else:
        with pytest.raises(case.expected):
            machine.send(case.event)
        assert enrollment.state == case.state


@pytest.mark.parametrize(
    ("spec", "state"),
    [
        (spec, state)
        for spec in SPECS.values()
        for state in spec.states
        if state not in (spec.final, "withdrawn")
    ],
    ids=lambda value: value.pathway if isinstance(value, Spec) else value,
)
def test_resume_returns_to_exactly_the_state_withdrawn_from(spec: Spec, state: str) -> None:
    ruleset = CURRENT[spec.pathway]
    enrollment = enrollment_like(state)
    ruleset.bind(enrollment).send("withdraw")
    assert enrollment.state == "withdrawn"
    enrollment.withdrawn_from = state  # the service records it; the machine reads it
    ruleset.bind(enrollment).send("resume")
    assert enrollment.state == state


@pytest.mark.parametrize(
    ("pathway", "state", "event"),
    [
        ("pst", "staff_interview", "staff_interview_fail"),
        ("pst", "peer_review", "peer_review_fail"),
    ],
)
def test_failed_interview_or_review_can_be_retried_in_the_same_state(
    pathway: str, state: str, event: str
) -> None:
    enrollment = enrollment_like(state)
    machine = CURRENT[pathway].bind(enrollment)
    machine.send(event)
    machine.send(event)
    assert enrollment.state == state
