"""fire_event on the database: every row of the pathways.md §4 tables, and every refusal.

Expected rows come from the hand copy of the spec in test_pathway_machines.py, never
from the rulesets under test. A refusal must change nothing: each one is checked in
a fresh session after the rollback a view would do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import DEFAULT_FIELDS, TODAY, People, days_ago
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
READY: dict[tuple[str, str], dict[str, Items]] = {
    ("cst", "submit_application"): CST_READY,
    ("pst", "submit_application"): PST_READY,
    ("pst", "complete_ttt"): {"milestone": [("milestones", {"kind": "ttt_attended"})]},
    ("pst", "pass_pspo2"): {"assessment": [("assessments", {"assessment": "pspo_2", "score": 85})]},
    ("pst", "pass_pspo3"): {"assessment": [("assessments", {"assessment": "pspo_3", "score": 85})]},
}


def test_every_guarded_row_has_evidence_that_meets_it() -> None:
    guarded = {(s.pathway, row.event) for s in SPECS.values() for row in s.rows if row.guards}
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
    enrollment = make_enrollment(
        people.candidate, spec.pathway, state=row.source, withdrawn_from=row.withdrawn_from
    )
    add_evidence(session, people.candidate, READY.get((spec.pathway, row.event), {}))
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
        pytest.param(spec, event, id=f"{spec.pathway}-{event}")
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
    enrollment = make_enrollment(people.candidate, spec.pathway)
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
    enrollment = make_enrollment(people.candidate, spec.pathway)
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
    enrollment = make_enrollment(people.candidate, spec.pathway)
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
    enrollment = make_enrollment(people.candidate, spec.pathway, state=row.source)
    for note in (None, "", "   \n\t "):
        refusal = refused(
            session, engine, enrollment, event=row.event, actor=people.mentor, note=note
        )
        assert isinstance(refusal, ValidationFailed), repr(note)
        assert refusal.errors == {"note": "required"}, repr(note)


def test_note_is_stored_without_surrounding_blanks(
    session: Session, people: People, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", state="interview")
    record = fire_event(
        session=session,
        enrollment=enrollment,
        event="interview_fail",
        actor=people.admin,
        note="  Needs more depth on scaling.\n",
    )
    assert record.note == "Needs more depth on scaling."


@pytest.mark.parametrize(
    ("pathway", "event"),
    [
        ("cst", "launch"),
        ("cst", "accept_application"),  # a PST event
        ("pst", "tac_approve"),  # a CST event
        ("cst", "Submit_Application"),
        ("pst", ""),
    ],
)
def test_unknown_event_is_a_validation_error(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    pathway: str,
    event: str,
) -> None:
    enrollment = make_enrollment(people.candidate, pathway)
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
    enrollment = make_enrollment(people.candidate, "cst", state=state)
    actor = getattr(people, role)
    refusal = refused(session, engine, enrollment, event=event, actor=actor, note=note)
    assert type(refusal) is expected


# -- guards through fire_event --------------------------------------------------------


@dataclass(frozen=True)
class GuardCase:
    """Evidence that differs from the ready set in one slot, and the guards left unmet."""

    id: str
    pathway: str
    state: str
    event: str
    slots: dict[str, Items]
    unmet: list[str]


def _sm(students: int = 10, days: int = 2, course_type: str = "scrum_master") -> Items:
    fields = {"students": students, "days": days, "course_type": course_type}
    return [("teaching-sessions", fields)]


def _csp(**fields: Any) -> Items:
    return [("credentials", {"kind": "csp_sm", "issued_on": days_ago(100)} | fields)]


def _cst(id: str, unmet: list[str], **slots: Items) -> GuardCase:
    return GuardCase(id, "cst", "preparing", "submit_application", CST_READY | slots, unmet)


def _pst(id: str, unmet: list[str], **slots: Items) -> GuardCase:
    return GuardCase(id, "pst", "preparing", "submit_application", PST_READY | slots, unmet)


def _pst_step(id: str, state: str, event: str, unmet: list[str], items: Items) -> GuardCase:
    return GuardCase(id, "pst", state, event, {"slot": items}, unmet)


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
]


@pytest.mark.parametrize(
    "case", GUARD_CASES, ids=lambda case: f"{case.pathway}-{case.event}-{case.id}"
)
def test_guarded_event_moves_only_when_every_guard_is_met(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    case: GuardCase,
) -> None:
    enrollment = make_enrollment(people.candidate, case.pathway, state=case.state)
    add_evidence(session, people.candidate, case.slots)
    if not case.unmet:
        record = fire_event(
            session=session, enrollment=enrollment, event=case.event, actor=people.candidate
        )
        target = next(
            row.target
            for row in SPECS[case.pathway].rows
            if (row.source, row.event) == (case.state, case.event)
        )
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
    enrollment = make_enrollment(candidate, "cst")

    refusal = refused(session, engine, enrollment, event="submit_application", actor=candidate)

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
        pytest.param(spec, row.source, id=f"{spec.pathway}-{row.source}")
        for spec in SPECS.values()
        for row in spec.rows
        if row.event == "withdraw"
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
    enrollment = make_enrollment(people.candidate, spec.pathway, state=state)
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
    ("pathway", "state", "label"),
    [
        ("cst", "certified", "Certified"),
        ("cst", "withdrawn", "Withdrawn"),
        ("pst", "licensed", "Licensed"),
        ("pst", "withdrawn", "Withdrawn"),
    ],
)
def test_withdraw_is_refused_once_certified_licensed_or_withdrawn(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    pathway: str,
    state: str,
    label: str,
) -> None:
    enrollment = make_enrollment(people.candidate, pathway)
    put_in_state(session, enrollment, state)
    refusal = refused(session, engine, enrollment, event="withdraw", actor=people.candidate)
    assert isinstance(refusal, InvalidState)
    assert (
        refusal.message
        == f"Withdraw from this pathway is not possible while the enrollment is in {label}."
    )


@pytest.mark.parametrize(
    ("state", "fail", "succeed", "after"),
    [
        ("staff_interview", "staff_interview_fail", "staff_interview_pass", "peer_review"),
        ("peer_review", "peer_review_fail", "peer_review_pass", "licensed"),
    ],
)
def test_failed_interview_or_review_stays_put_is_recorded_and_can_be_retried(
    session: Session,
    people: People,
    make_enrollment: MakeEnrollment,
    state: str,
    fail: str,
    succeed: str,
    after: str,
) -> None:
    enrollment = make_enrollment(people.candidate, "pst", state=state)
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
