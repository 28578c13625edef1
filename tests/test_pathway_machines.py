"""The pathway machines against pathways.md §4 and §6, without a database.

The tables below are a hand copy of the spec, not read from the code under test, so
a rule changed in trainerpath/pathways without the spec changing makes these fail.
Every registered ruleset must have its copy here (one ``Spec`` per ruleset id), and
every test about "any ruleset" runs over all of them. test_fire_event.py reuses the
same copy to drive the service on the database.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass

import pytest
from statemachine.exceptions import TransitionNotAllowed

from trainerpath.pathways import (
    CURRENT,
    REGISTERED,
    RULESETS,
    Ruleset,
    is_current,
    ruleset_for,
    rulesets_of,
)

CANDIDATE = frozenset({"candidate"})
MENTOR_OR_ADMIN = frozenset({"mentor", "admin"})
CANDIDATE_OR_ADMIN = frozenset({"candidate", "admin"})
ROLES = ("candidate", "mentor", "admin")


@dataclass(frozen=True)
class Row:
    """One row of a pathways.md table; ``resume`` rows name the state withdrawn from."""

    source: str
    event: str
    target: str
    who: frozenset[str]
    guards: tuple[str, ...] = ()
    note_required: bool = False
    withdrawn_from: str | None = None


@dataclass(frozen=True)
class Spec:
    """One ruleset's table: its states in order, initial first, its rows and tracks."""

    ruleset_id: str
    states: tuple[str, ...]
    final: str
    rows: tuple[Row, ...]
    tracks: tuple[str, ...] = ()  # the first is the default

    @property
    def pathway(self) -> str:
        """The pathway the ruleset belongs to: ``cst`` for ``cst@2``."""
        return self.ruleset_id.split("@")[0]

    @property
    def ruleset(self) -> Ruleset:
        """The registered ruleset this table describes."""
        return ruleset_for(self.ruleset_id)

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

    def target(self, source: str, event: str) -> str:
        """The state ``event`` leads to from ``source`` (not for ``resume``)."""
        return next(row.target for row in self.rows if (row.source, row.event) == (source, event))

    @property
    def withdrawable(self) -> list[str]:
        """The states ``withdraw`` may be fired from."""
        return [row.source for row in self.rows if row.event == "withdraw"]


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


# pathways.md §4, "CST (cst)".
CST_1_STATES = ("preparing", "tac_review", "interview", "certified", "withdrawn")
CST_1 = Spec(
    ruleset_id="cst@1",
    states=CST_1_STATES,
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
        *withdrawal_rows(CST_1_STATES, "certified"),
    ),
)

# pathways.md §4, "PST (pst)".
PST_1_STATES = (
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
PST_1 = Spec(
    ruleset_id="pst@1",
    states=PST_1_STATES,
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
        *withdrawal_rows(PST_1_STATES, "licensed"),
    ),
)

# pathways.md §6, "CST, version 2 (cst@2)".
CST_2_STATES = ("preparing", "formal_review", "tsa", "certified", "withdrawn")
CST_2 = Spec(
    ruleset_id="cst@2",
    states=CST_2_STATES,
    final="certified",
    tracks=("scrum_master", "product_owner"),
    rows=(
        Row(
            "preparing",
            "submit_application",
            "formal_review",
            CANDIDATE,
            guards=(
                "csp_active",
                "qualifying_events",
                "current_materials_events",
                "recent_experience",
                "learning_objectives_mapped",
            ),
        ),
        Row("formal_review", "formal_review_pass", "tsa", MENTOR_OR_ADMIN),
        Row(
            "formal_review",
            "formal_review_decline",
            "preparing",
            MENTOR_OR_ADMIN,
            note_required=True,
        ),
        Row("tsa", "tsa_pass", "certified", MENTOR_OR_ADMIN),
        Row("tsa", "tsa_fail", "preparing", MENTOR_OR_ADMIN, note_required=True),
        *withdrawal_rows(CST_2_STATES, "certified"),
    ),
)

# pathways.md §6, "PST, version 2 (pst@2)".
PST_2_STATES = (
    "preparing",
    "application_review",
    "knowledge_and_experience",
    "training_skills",
    "licensed",
    "withdrawn",
)
PST_2 = Spec(
    ruleset_id="pst@2",
    states=PST_2_STATES,
    final="licensed",
    rows=(
        Row(
            "preparing",
            "submit_application",
            "application_review",
            CANDIDATE,
            guards=(
                "scrum_experience",
                "training_provided",
                "assessment_95",
                "advanced_assessment_85",
            ),
        ),
        Row(
            "application_review", "accept_application", "knowledge_and_experience", MENTOR_OR_ADMIN
        ),
        Row(
            "application_review",
            "reject_application",
            "preparing",
            MENTOR_OR_ADMIN,
            note_required=True,
        ),
        Row("knowledge_and_experience", "phase_2_pass", "training_skills", MENTOR_OR_ADMIN),
        Row(
            "knowledge_and_experience",
            "phase_2_fail",
            "knowledge_and_experience",
            MENTOR_OR_ADMIN,
            note_required=True,
        ),
        Row("training_skills", "phase_3_pass", "licensed", MENTOR_OR_ADMIN),
        Row(
            "training_skills",
            "phase_3_fail",
            "training_skills",
            MENTOR_OR_ADMIN,
            note_required=True,
        ),
        *withdrawal_rows(PST_2_STATES, "licensed"),
    ),
)

SPECS: dict[str, Spec] = {spec.ruleset_id: spec for spec in (CST_1, CST_2, PST_1, PST_2)}

# The ruleset a new enrollment follows (pathways.md §6: the current ones).
SPEC_CURRENT = {"cst": "cst@2", "pst": "pst@2"}


def row_id(spec: Spec, row: Row) -> str:
    """A readable test id: ``cst@1-tac_review-tac_decline``."""
    return f"{spec.ruleset_id}-{row.source}-{row.event}" + (
        f"-to-{row.target}" if row.event == "resume" else ""
    )


def enrollment_like(state: str, withdrawn_from: str | None = None) -> types.SimpleNamespace:
    """A stand-in for an enrollment row: all a machine reads and sets."""
    return types.SimpleNamespace(state=state, withdrawn_from=withdrawn_from)


def each_spec() -> pytest.MarkDecorator:
    """Parametrize a test over every hand-copied table (so over every ruleset)."""
    return pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)


# -- the registry holds exactly the spec's rulesets ------------------------------------


def test_every_registered_ruleset_has_a_hand_copied_spec() -> None:
    # A new ruleset registered without its table copied here fails this test.
    assert sorted(ruleset.id for ruleset in REGISTERED) == sorted(SPECS)
    assert sorted(RULESETS) == sorted(SPECS)


def test_new_enrollments_follow_cst_2_and_pst_2() -> None:
    assert {pathway: ruleset.id for pathway, ruleset in CURRENT.items()} == SPEC_CURRENT
    assert [r.id for r in REGISTERED if is_current(r)] == ["cst@2", "pst@2"]


@pytest.mark.parametrize("pathway", SPEC_CURRENT)
def test_a_pathways_rulesets_are_listed_current_first(pathway: str) -> None:
    listed = [ruleset.id for ruleset in rulesets_of(pathway)]
    assert listed[0] == SPEC_CURRENT[pathway]
    assert sorted(listed) == sorted(
        spec.ruleset_id for spec in SPECS.values() if spec.pathway == pathway
    )


# -- each ruleset declares exactly the spec's table ------------------------------------


@each_spec()
def test_ruleset_has_exactly_the_spec_states_in_order(spec: Spec) -> None:
    ruleset = spec.ruleset
    assert [state.value for state in ruleset.states] == list(spec.states)
    assert ruleset.initial_state == "preparing"
    assert [state.value for state in ruleset.states if state.final] == [spec.final]
    assert ruleset.withdrawn_state == "withdrawn"


@each_spec()
def test_ruleset_transitions_are_exactly_the_spec_table(spec: Spec) -> None:
    declared = sorted(
        (source, event, target, tuple(guards))
        for source, event, target, guards in spec.ruleset.transitions()
    )
    expected = sorted((row.source, row.event, row.target, row.guards) for row in spec.rows)
    assert declared == expected


@each_spec()
def test_ruleset_lets_exactly_the_spec_roles_fire_each_event(spec: Spec) -> None:
    declared = {event: {str(role) for role in roles} for event, roles in spec.ruleset.who.items()}
    assert declared == {event: set(spec.who(event)) for event in spec.events}


@each_spec()
def test_ruleset_requires_a_note_for_exactly_the_spec_events(spec: Spec) -> None:
    expected = {row.event for row in spec.rows if row.note_required}
    assert set(spec.ruleset.notes_required) == expected


@each_spec()
def test_an_outcome_reads_the_same_on_its_button_and_in_the_history(spec: Spec) -> None:
    # "Record staff interview not passed" records "Staff interview not passed".
    ruleset = spec.ruleset
    for event, history in ruleset.history.items():
        button = str(getattr(ruleset.machine, event).name)
        if button.startswith("Record ") and history.endswith(" passed"):
            assert button.lower().endswith(history.lower()), (button, history)


@each_spec()
def test_ruleset_offers_exactly_the_spec_tracks_the_first_by_default(spec: Spec) -> None:
    ruleset = spec.ruleset
    assert [value for value, _ in ruleset.tracks] == list(spec.tracks)
    assert ruleset.default_track == (spec.tracks[0] if spec.tracks else None)


@each_spec()
def test_each_ruleset_records_its_pathway_and_version(spec: Spec) -> None:
    ruleset = RULESETS[spec.ruleset_id]
    assert ruleset.id == spec.ruleset_id
    assert f"{ruleset.pathway}@{ruleset.version}" == spec.ruleset_id
    assert ruleset_for(spec.ruleset_id) is ruleset


@each_spec()
def test_every_guard_of_the_table_is_a_declared_requirement(spec: Spec) -> None:
    guards = {guard for row in spec.rows for guard in row.guards}
    assert guards <= set(spec.ruleset.requirements)


@pytest.mark.parametrize(
    ("spec", "state"),
    [(spec, state) for spec in SPECS.values() for state in spec.states],
    ids=lambda value: value.ruleset_id if isinstance(value, Spec) else value,
)
def test_events_leaving_each_state_are_those_of_the_spec(spec: Spec, state: str) -> None:
    ruleset = spec.ruleset
    assert set(ruleset.event_names(state)) == {
        row.event for row in spec.rows if row.source == state
    }
    guards = {guard for row in spec.rows if row.source == state for guard in row.guards}
    assert set(ruleset.guards_leaving(state)) == guards


def test_ruleset_refuses_roles_declared_for_an_event_the_machine_lacks() -> None:
    cst = CURRENT["cst"]
    with pytest.raises(ValueError, match="roles are declared"):
        dataclasses.replace(cst, version=99, who={**cst.who, "fly": cst.who["withdraw"]})


# -- pure transitions: (ruleset, state, event, guards) -> new state or refusal --------


@dataclass(frozen=True)
class Case:
    """One pure transition case and what must come of it."""

    id: str
    ruleset_id: str
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
                    spec.ruleset_id,
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
                        spec.ruleset_id,
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
                        spec.ruleset_id,
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
                        f"{spec.ruleset_id}-{state}-{event}-wrong-state",
                        spec.ruleset_id,
                        state,
                        event,
                        every_guard,
                        "preparing" if state == "withdrawn" else None,
                        TransitionNotAllowed,
                    )
                )
        cases.append(
            Case(
                f"{spec.ruleset_id}-withdrawn-resume-without-withdrawn-from",
                spec.ruleset_id,
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
    machine = ruleset_for(case.ruleset_id).bind(enrollment, case.guards)
    if isinstance(case.expected, str):
        machine.send(case.event)
        assert enrollment.state == case.expected
    else:
        with pytest.raises(case.expected):
            machine.send(case.event)
        assert enrollment.state == case.state


@pytest.mark.parametrize(
    ("spec", "state"),
    [(spec, state) for spec in SPECS.values() for state in spec.withdrawable],
    ids=lambda value: value.ruleset_id if isinstance(value, Spec) else value,
)
def test_resume_returns_to_exactly_the_state_withdrawn_from(spec: Spec, state: str) -> None:
    ruleset = spec.ruleset
    enrollment = enrollment_like(state)
    ruleset.bind(enrollment).send("withdraw")
    assert enrollment.state == "withdrawn"
    enrollment.withdrawn_from = state  # the service records it; the machine reads it
    ruleset.bind(enrollment).send("resume")
    assert enrollment.state == state


def _retries() -> list[object]:
    return [
        pytest.param(spec, row, id=row_id(spec, row))
        for spec in SPECS.values()
        for row in spec.rows
        if row.source == row.target and row.event != "resume"
    ]


@pytest.mark.parametrize(("spec", "row"), _retries())
def test_failed_interview_or_review_can_be_retried_in_the_same_state(spec: Spec, row: Row) -> None:
    enrollment = enrollment_like(row.source)
    machine = spec.ruleset.bind(enrollment)
    machine.send(row.event)
    machine.send(row.event)
    assert enrollment.state == row.source
