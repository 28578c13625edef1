"""fire_event on the database: every row of every ruleset's table, and every refusal.

Expected rows come from the hand copy of pathways.md §4 and §6 in
test_pathway_machines.py, never from the rulesets under test; each test about "any
ruleset" runs for every registered one, on an enrollment that follows it. A refusal
must change nothing: each one is checked in a fresh session after the rollback a view
would do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import DEFAULT_FIELDS, TODAY, People, days_ago, first_of_month_after
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col
from test_pathway_machines import ROLES, SPECS, Row, Spec, row_id

from trainerpath.models import (
    EVIDENCE_MODELS,
    AuditEntry,
    Enrollment,
    EvidenceBase,
    TransitionRecord,
    User,
)
from trainerpath.services.errors import (
    Forbidden,
    GuardUnmet,
    InvalidState,
    NotFound,
    Refusal,
    ValidationFailed,
)
from trainerpath.services.evidence_kinds import add_years, evidence_kind
from trainerpath.services.pathways import fire_event, history_of

pytestmark = pytest.mark.without_app  # services need no Flask app

MakeEnrollment = Callable[..., Enrollment]
MakeEvidence = Callable[..., EvidenceBase]
Items = list[tuple[str, dict[str, Any]]]

NOTE = "The panel wants more co-training first."


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused event must leave as it was."""

    state: str
    withdrawn_from: str | None
    version: int
    updated_at: datetime
    history: int
    audit: int


def snapshot(engine: Engine, enrollment_id: int) -> Snapshot:
    """Read the enrollment and its trail in a session of its own."""
    with Session(engine) as fresh:
        enrollment = fresh.get(Enrollment, enrollment_id)
        assert enrollment is not None
        history = fresh.scalar(
            select(func.count())
            .select_from(TransitionRecord)
            .where(col(TransitionRecord.enrollment_id) == enrollment_id)
        )
        audit = fresh.scalar(select(func.count()).select_from(AuditEntry))
        return Snapshot(
            enrollment.state,
            enrollment.withdrawn_from,
            enrollment.version,
            enrollment.updated_at,
            history or 0,
            audit or 0,
        )


def refused(
    session: Session,
    engine: Engine,
    enrollment: Enrollment,
    *,
    event: str,
    actor: User,
    note: str | None = None,
) -> Refusal:
    """Fire an event that must be refused; check it changed nothing; return the refusal."""
    assert enrollment.id is not None
    enrollment_id, state = enrollment.id, enrollment.state
    # End the read that loading the enrollment may have begun: on SQLite every
    # transaction takes the write lock, and the snapshot's own session needs it.
    session.commit()
    before = snapshot(engine, enrollment_id)
    try:
        fire_event(session=session, enrollment=enrollment, event=event, actor=actor, note=note)
    except Refusal as refusal:
        session.rollback()  # what the view does with a refusal
        assert snapshot(engine, enrollment_id) == before, f"refused {event} changed something"
        return refusal
    pytest.fail(f"{event} by a {actor.role} from {state} was not refused")


def put_in_state(session: Session, enrollment: Enrollment, state: str) -> None:
    """Move the enrollment straight to ``state``, as if earlier events had been fired."""
    enrollment.state = state
    enrollment.withdrawn_from = "preparing" if state == "withdrawn" else None
    session.commit()


def add_evidence(session: Session, candidate: User, slots: dict[str, Items]) -> None:
    """Store every item of every slot as the candidate's evidence, in one commit.

    Like conftest's make_evidence (same defaults, same validation), but the ready sets
    hold a dozen items and a commit per item would dominate the run time.
    """
    assert candidate.id is not None
    owner = candidate.id
    for items in slots.values():
        for kind, given in items:
            fields = dict(given)
            status = fields.pop("status", "verified")
            values = evidence_kind(kind).validate(DEFAULT_FIELDS[kind]() | fields, TODAY)
            item = EVIDENCE_MODELS[kind](candidate_id=owner, review_status=status, **values)
            session.add(item)
    session.commit()


def pending(items: Items) -> Items:
    """The same items, waiting for review."""
    return [(kind, fields | {"status": "pending"}) for kind, fields in items]


def enrol(
    make_enrollment: MakeEnrollment, candidate: User, spec: Spec, **fields: Any
) -> Enrollment:
    """Enrol the candidate under the spec's ruleset (in ``state=``, if given)."""
    return make_enrollment(candidate, spec.pathway, ruleset=spec.ruleset_id, **fields)


# Verified evidence that meets every guard of the guarded events, one slot per guard.
CST_READY: dict[str, Items] = {
    "credential": [("credentials", {"kind": "csp_sm", "issued_on": days_ago(100)})],
    "sessions": [("teaching-sessions", {"course_type": "scrum_master", "days": 2, "students": 10})]
    * 10,
    "milestone": [("milestones", {"kind": "course_materials_reviewed"})],
    "experience": [("experience", {"role": "scrum_master", "started_on": days_ago(400)})],
}
PST_READY: dict[str, Items] = {
    "experience": [("experience", {"role": "product_owner", "started_on": days_ago(1461)})],
    "sessions": [("teaching-sessions", {"course_type": "product_owner", "students": 12})],
    "assessment": [("assessments", {"assessment": "pspo_1", "score": 95})],
}
REFLECTION = "Students wanted more practice with refinement; next time, two more exercises."


def _qualifying(with_current_materials: bool = False, **fields: Any) -> Items:
    """A qualifying training event of the ScrumMaster track (pathways.md §6)."""
    event = {
        "course_type": "scrum_master",
        "days": 2,
        "students": 10,
        "share_delivered": 100,
        "reflection": REFLECTION,
        "with_current_materials": with_current_materials,
    }
    return [("teaching-sessions", event | fields)]


# 60 months of Scrum experience in the last 84: the union must cover at least 1826.25
# days, so 1827 whole days.
SIXTY_MONTHS = 1827
CST_2_READY: dict[str, Items] = {
    "credential": [("credentials", {"kind": "csp_sm", "issued_on": days_ago(100)})],
    "with_materials": _qualifying(with_current_materials=True) * 5,
    "without_materials": _qualifying() * 5,
    "experience": [("experience", {"role": "agile_coach", "started_on": days_ago(SIXTY_MONTHS)})],
    "milestone": [("milestones", {"kind": "learning_objectives_mapped"})],
}
PST_2_READY: dict[str, Items] = {
    "experience": [("experience", {"role": "scrum_master", "started_on": days_ago(1461)})],
    "sessions": [("teaching-sessions", {"course_type": "other", "students": 12})],
    "assessment": [("assessments", {"assessment": "pspo_1", "score": 95})],
    "advanced": [("assessments", {"assessment": "pspo_2", "score": 85})],
}
READY: dict[tuple[str, str], dict[str, Items]] = {
    ("cst@1", "submit_application"): CST_READY,
    ("cst@2", "submit_application"): CST_2_READY,
    ("pst@1", "submit_application"): PST_READY,
    ("pst@1", "complete_ttt"): {"milestone": [("milestones", {"kind": "ttt_attended"})]},
    ("pst@1", "pass_pspo2"): {
        "assessment": [("assessments", {"assessment": "pspo_2", "score": 85})]
    },
    ("pst@1", "pass_pspo3"): {
        "assessment": [("assessments", {"assessment": "pspo_3", "score": 85})]
    },
    ("pst@2", "submit_application"): PST_2_READY,
}


def ready_items(ruleset_id: str, event: str) -> Items:
    """Verified evidence that meets every guard of ``event`` in the ruleset (none if unguarded)."""
    return [item for items in READY.get((ruleset_id, event), {}).values() for item in items]


def test_every_guarded_row_has_evidence_that_meets_it() -> None:
    guarded = {(s.ruleset_id, row.event) for s in SPECS.values() for row in s.rows if row.guards}
    assert set(READY) == guarded


# -- every row, fired by every allowed role, succeeds ---------------------------------


def _allowed() -> list[Any]:
    return [
        pytest.param(spec, row, role, id=f"{row_id(spec, row)}-by-{role}")
        for spec in SPECS.values()
        for row in spec.rows
        for role in sorted(row.who)
    ]


@pytest.mark.parametrize(("spec", "row", "role"), _allowed())
def test_allowed_role_fires_event_from_its_state(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    row: Row,
    role: str,
) -> None:
    enrollment = enrol(
        make_enrollment,
        people.candidate,
        spec,
        state=row.source,
        withdrawn_from=row.withdrawn_from,
    )
    add_evidence(session, people.candidate, READY.get((spec.ruleset_id, row.event), {}))
    actor = people.acting_as(role)
    note = NOTE if row.note_required else None
    assert enrollment.id is not None
    before = snapshot(engine, enrollment.id)

    fire_event(session=session, enrollment=enrollment, event=row.event, actor=actor, note=note)
    session.commit()

    after = snapshot(engine, enrollment.id)
    assert after.state == row.target
    assert after.withdrawn_from == (row.source if row.event == "withdraw" else None)
    assert after.version == before.version + 1
    assert after.history == 1
    assert after.audit == before.audit + 1
    with Session(engine) as fresh:
        stored = fresh.get(Enrollment, enrollment.id)
        assert stored is not None
        history = [
            (record.event, record.from_state, record.to_state, record.actor_id, record.note)
            for record in history_of(fresh, stored)
        ]
    assert history == [(row.event, row.source, row.target, actor.id, note)]


# -- refusals -----------------------------------------------------------------------


def _events() -> list[Any]:
    return [
        pytest.param(spec, event, id=f"{spec.ruleset_id}-{event}")
        for spec in SPECS.values()
        for event in spec.events
    ]


@pytest.mark.parametrize(("spec", "event"), _events())
def test_event_is_refused_from_every_state_the_spec_does_not_list(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    event: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, spec)
    actor = people.acting_as(sorted(spec.who(event))[0])
    wrong_states = [state for state in spec.states if state not in spec.sources(event)]
    assert wrong_states, "every event has a state it cannot be fired from"
    for state in wrong_states:
        put_in_state(session, enrollment, state)
        refusal = refused(session, engine, enrollment, event=event, actor=actor, note=NOTE)
        assert isinstance(refusal, InvalidState), f"{event} from {state}: {refusal!r}"
        assert refusal.code == "invalid_state"


@pytest.mark.parametrize(("spec", "event"), _events())
def test_event_is_refused_to_every_role_the_spec_does_not_list(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    event: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, spec)
    wrong_roles = [role for role in ROLES if role not in spec.who(event)]
    assert wrong_roles, "no event of the spec is open to everyone"
    for state in sorted(spec.sources(event)):
        put_in_state(session, enrollment, state)
        for role in wrong_roles:
            refusal = refused(
                session, engine, enrollment, event=event, actor=people.acting_as(role), note=NOTE
            )
            assert isinstance(refusal, Forbidden), f"{event} by {role}: {refusal!r}"
            assert refusal.code == "forbidden"


@pytest.mark.parametrize(("spec", "event"), _events())
def test_people_who_cannot_see_the_candidate_get_not_found(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    event: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, spec)
    put_in_state(session, enrollment, sorted(spec.sources(event))[0])
    for stranger in (people.unassigned_mentor, people.other_candidate):
        refusal = refused(session, engine, enrollment, event=event, actor=stranger, note=NOTE)
        assert isinstance(refusal, NotFound), f"{event} by {stranger.email}: {refusal!r}"
        assert refusal.message == "No such enrollment."


def _note_required() -> list[Any]:
    return [
        pytest.param(spec, row, id=row_id(spec, row))
        for spec in SPECS.values()
        for row in spec.rows
        if row.note_required
    ]


@pytest.mark.parametrize(("spec", "row"), _note_required())
def test_event_that_needs_a_note_is_refused_without_one(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    row: Row,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, spec, state=row.source)
    for note in (None, "", "   \n\t "):
        refusal = refused(
            session, engine, enrollment, event=row.event, actor=people.mentor, note=note
        )
        assert isinstance(refusal, ValidationFailed), repr(note)
        assert refusal.errors == {"note": "required"}, repr(note)


def test_note_is_stored_without_surrounding_blanks(
    session: Session, people: People, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@1", state="interview")
    record = fire_event(
        session=session,
        enrollment=enrollment,
        event="interview_fail",
        actor=people.admin,
        note="  Needs more depth on scaling.\n",
    )
    assert record.note == "Needs more depth on scaling."


@pytest.mark.parametrize(
    ("ruleset", "event"),
    [
        ("cst@1", "launch"),
        ("cst@1", "accept_application"),  # a PST event
        ("pst@1", "tac_approve"),  # a CST event
        ("cst@1", "Submit_Application"),
        ("pst@1", ""),
        ("cst@2", "tac_approve"),  # an event of cst@1 only
        ("cst@1", "formal_review_pass"),  # an event of cst@2 only
        ("pst@2", "complete_ttt"),  # an event of pst@1 only
        ("pst@1", "phase_2_pass"),  # an event of pst@2 only
        ("pst@2", "switch_ruleset"),  # a history row, not an event
    ],
)
def test_unknown_event_is_a_validation_error(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    ruleset: str,
    event: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, SPECS[ruleset])
    refusal = refused(session, engine, enrollment, event=event, actor=people.admin)
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == {"event": "unknown"}


@pytest.mark.parametrize(
    ("state", "event", "role", "note", "expected"),
    [
        ("preparing", "launch", "unassigned_mentor", None, NotFound),
        ("preparing", "launch", "candidate", None, ValidationFailed),
        ("preparing", "tac_approve", "candidate", None, Forbidden),
        ("preparing", "tac_decline", "mentor", None, InvalidState),
        ("tac_review", "tac_decline", "mentor", None, ValidationFailed),
        ("preparing", "submit_application", "candidate", None, GuardUnmet),
    ],
    ids=["visibility", "event-name", "role", "state", "note", "guards"],
)
def test_the_first_failing_check_answers_in_the_api_order(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    state: str,
    event: str,
    role: str,
    note: str | None,
    expected: type[Refusal],
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@1", state=state)
    actor = getattr(people, role)
    refusal = refused(session, engine, enrollment, event=event, actor=actor, note=note)
    assert type(refusal) is expected


# -- guards through fire_event --------------------------------------------------------


@dataclass(frozen=True)
class GuardCase:
    """Evidence that differs from the ready set in one slot, and the guards left unmet."""

    id: str
    ruleset_id: str
    state: str
    event: str
    slots: dict[str, Items]
    unmet: list[str]
    track: str | None = None  # None: the ruleset's default


def _sm(students: int = 10, days: int = 2, course_type: str = "scrum_master") -> Items:
    fields = {"students": students, "days": days, "course_type": course_type}
    return [("teaching-sessions", fields)]


def _csp(**fields: Any) -> Items:
    return [("credentials", {"kind": "csp_sm", "issued_on": days_ago(100)} | fields)]


def _cst(id: str, unmet: list[str], **slots: Items) -> GuardCase:
    return GuardCase(id, "cst@1", "preparing", "submit_application", CST_READY | slots, unmet)


def _pst(id: str, unmet: list[str], **slots: Items) -> GuardCase:
    return GuardCase(id, "pst@1", "preparing", "submit_application", PST_READY | slots, unmet)


def _pst_step(id: str, state: str, event: str, unmet: list[str], items: Items) -> GuardCase:
    return GuardCase(id, "pst@1", state, event, {"slot": items}, unmet)


def _cst2(id: str, unmet: list[str], track: str | None = None, **slots: Items) -> GuardCase:
    ready = CST_2_READY | slots
    return GuardCase(id, "cst@2", "preparing", "submit_application", ready, unmet, track)


def _pst2(id: str, unmet: list[str], **slots: Items) -> GuardCase:
    return GuardCase(id, "pst@2", "preparing", "submit_application", PST_2_READY | slots, unmet)


def _experience(role: str, days: int) -> Items:
    return [("experience", {"role": role, "started_on": days_ago(days)})]


def _score(assessment: str, score: float) -> Items:
    return [("assessments", {"assessment": assessment, "score": score})]


TWO_YEARS_AGO = add_years(days_ago(0), -2)

GUARD_CASES = [
    _cst("everything-met", []),
    _cst("99-students", ["students_taught"], sessions=_sm() * 9 + _sm(students=9)),
    _cst("9-multi-day", ["multi_day_sm_sessions"], sessions=_sm() * 9 + _sm(days=1)),
    _cst(
        "po-course-is-not-sm",
        ["multi_day_sm_sessions"],
        sessions=_sm() * 9 + _sm(course_type="product_owner"),
    ),
    _cst("csp-po-counts", [], credential=_csp(kind="csp_po")),
    _cst("csm-is-not-a-csp", ["csp_active"], credential=_csp(kind="csm")),
    _cst(
        "csp-expired-2-years-and-a-day",
        ["csp_active"],
        credential=_csp(issued_on=TWO_YEARS_AGO - timedelta(days=1)),
    ),
    _cst(
        "csp-issued-exactly-2-years-ago", ["csp_active"], credential=_csp(issued_on=TWO_YEARS_AGO)
    ),
    _cst(
        "csp-expires-on-today",
        ["csp_active"],
        credential=_csp(issued_on=days_ago(300), expires_on=days_ago(0)),
    ),
    _cst("csp-pending", ["csp_active"], credential=pending(_csp())),
    _cst(
        "objectives-mapped-is-not-materials-reviewed",
        ["course_materials_reviewed"],
        milestone=[("milestones", {"kind": "learning_objectives_mapped"})],
    ),
    _cst(
        "other-role-is-not-scrum-experience",
        ["scrum_experience"],
        experience=[("experience", {"role": "other"})],
    ),
    _cst(
        "team-member-is-scrum-experience", [], experience=[("experience", {"role": "team_member"})]
    ),
    _cst(
        "all-pending",
        [
            "csp_active",
            "students_taught",
            "multi_day_sm_sessions",
            "course_materials_reviewed",
            "scrum_experience",
        ],
        **{slot: pending(items) for slot, items in CST_READY.items()},
    ),
    _pst("everything-met", []),
    _pst(
        "a-day-short-of-4-years",
        ["po_experience"],
        experience=[("experience", {"role": "product_owner", "started_on": days_ago(1460)})],
    ),
    _pst(
        "4-years-in-two-overlapping-jobs",
        [],
        experience=[
            (
                "experience",
                {"role": "product_owner", "started_on": days_ago(1461), "ended_on": days_ago(300)},
            ),
            ("experience", {"role": "product_owner", "started_on": days_ago(800)}),
        ],
    ),
    _pst(
        "scrum-master-years-are-not-po-years",
        ["po_experience"],
        experience=[("experience", {"role": "scrum_master", "started_on": days_ago(3000)})],
    ),
    _pst("no-training", ["training_provided"], sessions=[]),
    _pst(
        "training-rejected",
        ["training_provided"],
        sessions=[("teaching-sessions", {"status": "rejected"})],
    ),
    _pst(
        "pspo1-94.9",
        ["pspo1_95"],
        assessment=[("assessments", {"assessment": "pspo_1", "score": 94.9})],
    ),
    _pst(
        "pspo1-94",
        ["pspo1_95"],
        assessment=[("assessments", {"assessment": "pspo_1", "score": 94})],
    ),
    _pst(
        "pspo1-pending",
        ["po_experience", "pspo1_95"],
        assessment=pending([("assessments", {"assessment": "pspo_1", "score": 99})]),
        experience=[],
    ),
    _pst_step(
        "ttt-attended", "ttt", "complete_ttt", [], [("milestones", {"kind": "ttt_attended"})]
    ),
    _pst_step(
        "ttt-pending",
        "ttt",
        "complete_ttt",
        ["ttt_attended"],
        pending([("milestones", {"kind": "ttt_attended"})]),
    ),
    _pst_step(
        "ttt-other-milestone",
        "ttt",
        "complete_ttt",
        ["ttt_attended"],
        [("milestones", {"kind": "application_drafted"})],
    ),
    _pst_step(
        "pspo2-85",
        "pspo2",
        "pass_pspo2",
        [],
        [("assessments", {"assessment": "pspo_2", "score": 85})],
    ),
    _pst_step(
        "pspo2-84",
        "pspo2",
        "pass_pspo2",
        ["pspo2_85"],
        [("assessments", {"assessment": "pspo_2", "score": 84})],
    ),
    _pst_step(
        "pspo2-84.9",
        "pspo2",
        "pass_pspo2",
        ["pspo2_85"],
        [("assessments", {"assessment": "pspo_2", "score": 84.9})],
    ),
    _pst_step(
        "pspo1-does-not-pass-pspo2",
        "pspo2",
        "pass_pspo2",
        ["pspo2_85"],
        [("assessments", {"assessment": "pspo_1", "score": 100})],
    ),
    _pst_step(
        "pspo3-85",
        "pspo3",
        "pass_pspo3",
        [],
        [("assessments", {"assessment": "pspo_3", "score": 85})],
    ),
    _pst_step(
        "pspo3-84",
        "pspo3",
        "pass_pspo3",
        ["pspo3_85"],
        [("assessments", {"assessment": "pspo_3", "score": 84})],
    ),
    # cst@2: pathways.md §6, on the ScrumMaster track unless the case says otherwise.
    _cst2("everything-met", []),
    _cst2("9-qualifying-events", ["qualifying_events"], without_materials=_qualifying() * 4),
    _cst2(
        "blank-reflection",
        ["qualifying_events"],
        without_materials=_qualifying() * 4 + _qualifying(reflection="   "),
    ),
    _cst2(
        "one-day-session",
        ["qualifying_events"],
        without_materials=_qualifying() * 4 + _qualifying(days=1),
    ),
    _cst2(
        "49-percent-delivered",
        ["qualifying_events"],
        without_materials=_qualifying() * 4 + _qualifying(share_delivered=49),
    ),
    _cst2(
        "50-percent-delivered",
        [],
        without_materials=_qualifying() * 4 + _qualifying(share_delivered=50),
    ),
    _cst2(
        "product-owner-course-on-the-scrum-master-track",
        ["qualifying_events"],
        without_materials=_qualifying() * 4 + _qualifying(course_type="product_owner"),
    ),
    _cst2(
        "outside-the-60-month-window",
        ["qualifying_events"],
        without_materials=_qualifying() * 4 + _qualifying(first_day=days_ago(1900)),
    ),
    _cst2(
        "4-with-current-materials",
        ["current_materials_events"],
        with_materials=_qualifying(with_current_materials=True) * 4,
        without_materials=_qualifying() * 6,
    ),
    _cst2(
        "materials-on-a-non-qualifying-event-do-not-count",
        ["qualifying_events", "current_materials_events"],
        with_materials=_qualifying(with_current_materials=True) * 4
        + _qualifying(with_current_materials=True, reflection=""),
    ),
    _cst2(
        "1826-days-of-experience",
        ["recent_experience"],
        experience=_experience("scrum_master", SIXTY_MONTHS - 1),
    ),
    _cst2(
        "other-role-is-not-scrum-experience",
        ["recent_experience"],
        experience=_experience("other", 3000),
    ),
    _cst2("csp-po-on-the-scrum-master-track", ["csp_active"], credential=_csp(kind="csp_po")),
    _cst2("csm-is-not-a-csp", ["csp_active"], credential=_csp(kind="csm")),
    _cst2(
        "materials-reviewed-is-not-objectives-mapped",
        ["learning_objectives_mapped"],
        milestone=[("milestones", {"kind": "course_materials_reviewed"})],
    ),
    _cst2(
        "product-owner-track-met",
        [],
        track="product_owner",
        credential=_csp(kind="csp_po"),
        with_materials=_qualifying(True, course_type="product_owner") * 5,
        without_materials=_qualifying(course_type="product_owner") * 5,
    ),
    _cst2(
        "product-owner-track-needs-csp-po-and-product-owner-courses",
        ["csp_active", "qualifying_events", "current_materials_events"],
        track="product_owner",
    ),
    _cst2(
        "all-pending",
        [
            "csp_active",
            "qualifying_events",
            "current_materials_events",
            "recent_experience",
            "learning_objectives_mapped",
        ],
        **{slot: pending(items) for slot, items in CST_2_READY.items()},
    ),
    # pst@2: pathways.md §6.
    _pst2("everything-met", []),
    _pst2(
        "a-day-short-of-4-years",
        ["scrum_experience"],
        experience=_experience("scrum_master", 1460),
    ),
    _pst2("agile-coach-years-count", [], experience=_experience("agile_coach", 1461)),
    _pst2(
        "4-years-across-roles-overlapping",
        [],
        experience=[
            (
                "experience",
                {"role": "team_member", "started_on": days_ago(1461), "ended_on": days_ago(300)},
            ),
            ("experience", {"role": "product_owner", "started_on": days_ago(800)}),
        ],
    ),
    _pst2(
        "other-role-is-not-scrum-experience",
        ["scrum_experience"],
        experience=_experience("other", 3000),
    ),
    _pst2("no-training", ["training_provided"], sessions=[]),
    _pst2("psm1-95", [], assessment=_score("psm_1", 95)),
    _pst2("pspo1-94.9", ["assessment_95"], assessment=_score("pspo_1", 94.9)),
    _pst2("psm1-94", ["assessment_95"], assessment=_score("psm_1", 94)),
    _pst2("pspo2-is-not-an-entry-assessment", ["assessment_95"], assessment=_score("pspo_2", 100)),
    _pst2("psm2-85", [], advanced=_score("psm_2", 85)),
    _pst2("pspo2-84", ["advanced_assessment_85"], advanced=_score("pspo_2", 84)),
    _pst2("psm2-84.9", ["advanced_assessment_85"], advanced=_score("psm_2", 84.9)),
    _pst2("pspo3-is-not-pspo2", ["advanced_assessment_85"], advanced=_score("pspo_3", 100)),
    _pst2(
        "all-pending",
        ["scrum_experience", "training_provided", "assessment_95", "advanced_assessment_85"],
        **{slot: pending(items) for slot, items in PST_2_READY.items()},
    ),
]


def test_every_guard_of_every_ruleset_is_refused_when_unmet() -> None:
    guards = {(s.ruleset_id, g) for s in SPECS.values() for row in s.rows for g in row.guards}
    tested = {(case.ruleset_id, key) for case in GUARD_CASES for key in case.unmet}
    assert guards <= tested


@pytest.mark.parametrize(
    "case", GUARD_CASES, ids=lambda case: f"{case.ruleset_id}-{case.event}-{case.id}"
)
def test_guarded_event_moves_only_when_every_guard_is_met(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    case: GuardCase,
) -> None:
    spec = SPECS[case.ruleset_id]
    track = {"track": case.track} if case.track else {}
    enrollment = enrol(make_enrollment, people.candidate, spec, state=case.state, **track)
    add_evidence(session, people.candidate, case.slots)
    if not case.unmet:
        record = fire_event(
            session=session, enrollment=enrollment, event=case.event, actor=people.candidate
        )
        target = spec.target(case.state, case.event)
        assert (record.from_state, record.to_state, enrollment.state) == (
            case.state,
            target,
            target,
        )
        return
    refusal = refused(session, engine, enrollment, event=case.event, actor=people.candidate)
    assert isinstance(refusal, GuardUnmet)
    assert refusal.code == "guard_unmet"
    assert refusal.details["unmet"] == case.unmet
    assert [requirement["key"] for requirement in refusal.details["requirements"]] == case.unmet
    assert not any(requirement["met"] for requirement in refusal.details["requirements"])


def test_guard_refusal_lists_only_the_unmet_requirements_and_by_how_much(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    candidate = people.candidate
    # cst@1, pathways.md §4; the sessions (30 days ago) set the pace of the forecasts.
    make_evidence(candidate, "credentials", kind="csp_sm", issued_on=days_ago(100))
    make_evidence(candidate, "milestones", kind="course_materials_reviewed")
    make_evidence(candidate, "teaching-sessions", course_type="scrum_master", days=2, students=73)
    make_evidence(
        candidate,
        "teaching-sessions",
        status="pending",
        course_type="scrum_master",
        days=3,
        students=20,
    )
    enrollment = make_enrollment(candidate, "cst", ruleset="cst@1")

    refusal = refused(session, engine, enrollment, event="submit_application", actor=candidate)

    # 73 students in the last 12 months: 73/12 a month, and 73 + k * 73/12 >= 100 first at
    # the 5th checkpoint. One multi-day session a year reaches 10 only in 108 months.

    assert isinstance(refusal, GuardUnmet)
    assert refusal.details == {
        "unmet": ["students_taught", "multi_day_sm_sessions", "scrum_experience"],
        "requirements": [
            {
                "key": "students_taught",
                "label": "Students taught",
                "met": False,
                "current": 73,
                "pending": 20,
                "target": 100,
                "unit": "students",
                "message": "27 more students needed (20 waiting for review)",
                "window": None,
                "ageing": [],
                "forecast": {"met_by": first_of_month_after(TODAY, 5), "pace_per_month": 6.08},
            },
            {
                "key": "multi_day_sm_sessions",
                "label": "Multi-day ScrumMaster sessions",
                "met": False,
                "current": 1,
                "pending": 1,
                "target": 10,
                "unit": "multi-day ScrumMaster sessions",
                "message": "9 more multi-day ScrumMaster sessions needed (1 waiting for review)",
                "window": None,
                "ageing": [],
                "forecast": {"met_by": None, "pace_per_month": 0.08},
            },
            {
                "key": "scrum_experience",
                "label": "Hands-on Scrum experience",
                "met": False,
                "current": 0,
                "pending": 0,
                "target": 1,
                "unit": "item",
                "message": "Experience as ScrumMaster, Product Owner or team member is needed",
                "window": None,
                "ageing": [],
                "forecast": None,
            },
        ],
    }
    assert refusal.message == (
        "Not yet: 27 more students needed (20 waiting for review); "
        "9 more multi-day ScrumMaster sessions needed (1 waiting for review); "
        "Experience as ScrumMaster, Product Owner or team member is needed."
    )


# -- withdraw, resume and retries -----------------------------------------------------


def _withdrawable() -> list[Any]:
    return [
        pytest.param(spec, state, id=f"{spec.ruleset_id}-{state}")
        for spec in SPECS.values()
        for state in spec.withdrawable
    ]


@pytest.mark.parametrize(("spec", "state"), _withdrawable())
def test_withdraw_then_resume_returns_to_exactly_where_the_candidate_was(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    state: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, spec, state=state)
    fire_event(session=session, enrollment=enrollment, event="withdraw", actor=people.candidate)
    session.commit()
    assert enrollment.id is not None
    withdrawn = snapshot(engine, enrollment.id)
    assert (withdrawn.state, withdrawn.withdrawn_from) == ("withdrawn", state)

    fire_event(session=session, enrollment=enrollment, event="resume", actor=people.admin)
    session.commit()
    resumed = snapshot(engine, enrollment.id)
    assert (resumed.state, resumed.withdrawn_from) == (state, None)
    assert [(r.event, r.from_state, r.to_state) for r in history_of(session, enrollment)] == [
        ("withdraw", state, "withdrawn"),
        ("resume", "withdrawn", state),
    ]


@pytest.mark.parametrize(
    ("ruleset", "state", "label"),
    [
        ("cst@1", "certified", "Certified"),
        ("cst@1", "withdrawn", "Withdrawn"),
        ("cst@2", "certified", "Certified"),
        ("cst@2", "withdrawn", "Withdrawn"),
        ("pst@1", "licensed", "Licensed"),
        ("pst@1", "withdrawn", "Withdrawn"),
        ("pst@2", "licensed", "Licensed"),
        ("pst@2", "withdrawn", "Withdrawn"),
    ],
)
def test_withdraw_is_refused_once_certified_licensed_or_withdrawn(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    ruleset: str,
    state: str,
    label: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, SPECS[ruleset])
    put_in_state(session, enrollment, state)
    refusal = refused(session, engine, enrollment, event="withdraw", actor=people.candidate)
    assert isinstance(refusal, InvalidState)
    assert (
        refusal.message
        == f"Withdraw from this pathway is not possible while the enrollment is in {label}."
    )


@pytest.mark.parametrize(
    ("ruleset", "state", "fail", "succeed", "after"),
    [
        ("pst@1", "staff_interview", "staff_interview_fail", "staff_interview_pass", "peer_review"),
        ("pst@1", "peer_review", "peer_review_fail", "peer_review_pass", "licensed"),
        (
            "pst@2",
            "knowledge_and_experience",
            "phase_2_fail",
            "phase_2_pass",
            "training_skills",
        ),
        ("pst@2", "training_skills", "phase_3_fail", "phase_3_pass", "licensed"),
    ],
)
def test_failed_interview_or_review_stays_put_is_recorded_and_can_be_retried(
    session: Session,
    people: People,
    make_enrollment: MakeEnrollment,
    ruleset: str,
    state: str,
    fail: str,
    succeed: str,
    after: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, SPECS[ruleset], state=state)
    fire_event(session=session, enrollment=enrollment, event=fail, actor=people.mentor, note="1st")
    fire_event(session=session, enrollment=enrollment, event=fail, actor=people.admin, note="2nd")
    assert enrollment.state == state
    fire_event(session=session, enrollment=enrollment, event=succeed, actor=people.mentor)
    session.commit()
    assert enrollment.state == after
    history = [(r.event, r.from_state, r.to_state, r.note) for r in history_of(session, enrollment)]
    assert history == [
        (fail, state, state, "1st"),
        (fail, state, state, "2nd"),
        (succeed, state, after, None),
    ]
