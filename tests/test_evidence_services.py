"""Logging, reviewing, correcting and deleting evidence (pathways.md §3).

Input is given as the JSON API decodes it (dates as ISO strings), since that is the
loosest entrance. A refused call must change nothing; each is checked in a fresh
session after the rollback a view would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from conftest import TODAY, People, days_ago, pk
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock
from trainerpath.models import (
    EVIDENCE_MODELS,
    AssessmentAttempt,
    AuditEntry,
    Credential,
    EvidenceBase,
    Mentorship,
    TeachingSession,
    utcnow,
)
from trainerpath.services.errors import (
    Forbidden,
    InvalidState,
    NotFound,
    Refusal,
    ValidationFailed,
)
from trainerpath.services.evidence import (
    correct_evidence,
    delete_evidence,
    log_evidence,
    review_evidence,
)
from trainerpath.services.evidence_kinds import KINDS

pytestmark = pytest.mark.without_app  # services need no Flask app

MakeEvidence = Callable[..., EvidenceBase]
TOMORROW = TODAY + timedelta(days=1)
REMOVE = object()  # in a case's changes: leave the field out of the payload


def iso(day: date) -> str:
    """A date as JSON carries it."""
    return day.isoformat()


VALID: dict[str, dict[str, Any]] = {
    "teaching-sessions": {
        "title": "Certified ScrumMaster, Leeds",
        "course_type": "scrum_master",
        "first_day": iso(days_ago(30)),
        "days": 2,
        "students": 12,
        "context": "independent",
    },
    "assessments": {"assessment": "pspo_1", "score": 96.5, "taken_on": iso(days_ago(3))},
    "credentials": {"kind": "csp_sm", "issued_on": iso(days_ago(100))},
    "experience": {
        "role": "product_owner",
        "organisation": "Acme",
        "started_on": iso(days_ago(400)),
    },
    "milestones": {"kind": "ttt_attended", "achieved_on": iso(days_ago(5))},
}


def payload(kind: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The valid payload of ``kind`` with ``changes`` applied (REMOVE drops a field)."""
    data = VALID[kind] | changes
    return {name: value for name, value in data.items() if value is not REMOVE}


@dataclass(frozen=True)
class Trail:
    """How many evidence items and audit rows exist."""

    items: int
    audit: int


def trail(engine: Engine) -> Trail:
    """Count evidence items of every kind, and audit rows, in a session of its own."""
    with Session(engine) as fresh:
        items = sum(
            fresh.scalar(select(func.count()).select_from(model)) or 0
            for model in EVIDENCE_MODELS.values()
        )
        audit = fresh.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return Trail(items, audit)


@pytest.fixture
def refuses(session: Session, engine: Engine) -> Callable[..., Refusal]:
    """Call a service that must refuse; check nothing changed; return the refusal."""

    def call(service: Callable[..., Any], **kwargs: Any) -> Refusal:
        session.commit()  # end any read, so the fresh session can take SQLite's lock
        before = trail(engine)
        with Session(engine) as fresh:
            rows_before = _every_item(fresh)
        try:
            service(session=session, **kwargs)
        except Refusal as refusal:
            session.rollback()
            assert trail(engine) == before
            with Session(engine) as fresh:
                assert _every_item(fresh) == rows_before
            return refusal
        pytest.fail(f"{service.__name__} did not refuse {kwargs}")

    return call


def _every_item(session: Session) -> list[dict[str, Any]]:
    return [
        item.model_dump()
        for model in EVIDENCE_MODELS.values()
        for item in session.scalars(select(model))
    ]


def audit_rows(session: Session) -> list[tuple[str, str, int | None, int | None]]:
    """(action, subject, actor, candidate) of every evidence audit row, oldest first."""
    rows = session.scalars(
        select(AuditEntry)
        .where(col(AuditEntry.action).startswith("evidence."))
        .order_by(col(AuditEntry.id))
    )
    return [(row.action, row.subject, row.actor_id, row.candidate_id) for row in rows]


def log(session: Session, people: People, kind: str, /, **changes: Any) -> EvidenceBase:
    """Log a valid item of ``kind`` as the candidate, with ``changes``, and commit."""
    assert people.candidate.id is not None
    item = log_evidence(
        session=session,
        actor=people.candidate,
        candidate_id=people.candidate.id,
        kind=kind,
        data=payload(kind, changes),
    )
    session.commit()
    return item


# -- logging ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", VALID)
def test_candidate_logs_evidence_that_waits_for_review(
    session: Session, people: People, kind: str
) -> None:
    item = log(session, people, kind)
    assert item.review_status == "pending"
    assert (item.reviewed_by, item.reviewed_at, item.review_note) == (None, None, None)
    assert audit_rows(session) == [
        ("evidence.logged", f"{kind}/{item.id}", people.candidate.id, people.candidate.id)
    ]


def test_logged_values_are_stored_typed(session: Session, people: People) -> None:
    item = log(
        session,
        people,
        "teaching-sessions",
        title="\u200b CSM, York  ",
        reflection="\u2060\r\n",  # blank: the course has no reflection (cst@2)
        students=500,
        days=30,
    )
    assert isinstance(item, TeachingSession)
    stored = session.get(TeachingSession, item.id)
    assert stored is not None
    assert (stored.title, stored.reflection, stored.first_day, stored.students, stored.days) == (
        "CSM, York",
        "",
        days_ago(30),
        500,
        30,
    )


def test_a_credential_reads_as_expiring_on_its_first_day_no_longer_active(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pathways.md §3: active while issued_on ≤ today < expires_on, so the end of
    validity is the day it expires; it said "valid until" that day."""
    credential = Credential(
        candidate_id=1, kind="csp_sm", issued_on=date(2024, 2, 29), valid_until=date(2026, 2, 28)
    )
    summary = KINDS["credentials"].summary
    monkeypatch.setattr(clock, "today", lambda: date(2026, 2, 27))
    assert summary(credential) == "CSP-SM issued 29 Feb 2024, expires 28 Feb 2026"
    monkeypatch.setattr(clock, "today", lambda: date(2026, 2, 28))
    assert summary(credential) == "CSP-SM issued 29 Feb 2024, expired 28 Feb 2026"
    credential.valid_until = None
    assert summary(credential) == "CSP-SM issued 29 Feb 2024, no expiry"


# Spec §3 choice lists, copied by hand.
ASSESSMENTS = "psm_1, psm_2, psm_3, pspo_1, pspo_2, pspo_3, psd_1, pal_1, psk_1, pspo_a"
CREDENTIAL_KINDS = f"csm, cspo, csd, a_csm, a_cspo, csp_sm, csp_po, {ASSESSMENTS}, other"
FUTURE = "cannot be in the future"
NOT_A_DATE = "must be a date (YYYY-MM-DD)"
WHOLE = "must be a whole number"
NUMBER = "must be a number"

INVALID: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    # teaching sessions
    ("title-missing", "teaching-sessions", {"title": REMOVE}, {"title": "required"}),
    ("title-blank", "teaching-sessions", {"title": "   "}, {"title": "required"}),
    # Characters that print as nothing are blank too.
    ("title-invisible", "teaching-sessions", {"title": "\u200b \ufeff"}, {"title": "required"}),
    ("title-not-text", "teaching-sessions", {"title": 5}, {"title": "must be text"}),
    (
        "title-too-long",
        "teaching-sessions",
        {"title": "x" * 201},
        {"title": "must be at most 200 characters"},
    ),
    (
        "course-type-missing",
        "teaching-sessions",
        {"course_type": None},
        {"course_type": "required"},
    ),
    (
        "course-type-unknown",
        "teaching-sessions",
        {"course_type": "scrum"},
        {"course_type": "must be one of: scrum_master, product_owner, other"},
    ),
    ("first-day-missing", "teaching-sessions", {"first_day": REMOVE}, {"first_day": "required"}),
    (
        "first-day-tomorrow",
        "teaching-sessions",
        {"first_day": iso(TOMORROW)},
        {"first_day": FUTURE},
    ),
    (
        "first-day-30-feb",
        "teaching-sessions",
        {"first_day": "2024-02-30"},
        {"first_day": NOT_A_DATE},
    ),
    ("first-day-words", "teaching-sessions", {"first_day": "last week"}, {"first_day": NOT_A_DATE}),
    # date.fromisoformat would take this ISO week date; the contract says YYYY-MM-DD.
    ("first-day-week", "teaching-sessions", {"first_day": "2024-W01-1"}, {"first_day": NOT_A_DATE}),
    ("first-day-number", "teaching-sessions", {"first_day": 20240101}, {"first_day": NOT_A_DATE}),
    (
        "first-day-datetime",
        "teaching-sessions",
        {"first_day": datetime(2024, 1, 1, 9, 30)},
        {"first_day": NOT_A_DATE},
    ),
    (
        "first-day-iso-datetime",
        "teaching-sessions",
        {"first_day": "2024-01-01T09:30"},
        {"first_day": NOT_A_DATE},
    ),
    ("days-missing", "teaching-sessions", {"days": REMOVE}, {"days": "required"}),
    ("days-0", "teaching-sessions", {"days": 0}, {"days": "must be between 1 and 30"}),
    ("days-31", "teaching-sessions", {"days": 31}, {"days": "must be between 1 and 30"}),
    ("days-string", "teaching-sessions", {"days": "2"}, {"days": WHOLE}),
    ("days-bool", "teaching-sessions", {"days": True}, {"days": WHOLE}),
    ("days-float", "teaching-sessions", {"days": 2.0}, {"days": WHOLE}),
    ("students-missing", "teaching-sessions", {"students": REMOVE}, {"students": "required"}),
    ("students-0", "teaching-sessions", {"students": 0}, {"students": "must be between 1 and 500"}),
    (
        "students-501",
        "teaching-sessions",
        {"students": 501},
        {"students": "must be between 1 and 500"},
    ),
    ("students-string", "teaching-sessions", {"students": "20"}, {"students": WHOLE}),
    ("students-bool", "teaching-sessions", {"students": True}, {"students": WHOLE}),
    (
        "students-negative",
        "teaching-sessions",
        {"students": -3},
        {"students": "must be between 1 and 500"},
    ),
    ("context-missing", "teaching-sessions", {"context": REMOVE}, {"context": "required"}),
    (
        "context-unknown",
        "teaching-sessions",
        {"context": "solo"},
        {"context": "must be one of: co_trained, independent"},
    ),
    (
        "co-trained-without-co-trainer",
        "teaching-sessions",
        {"context": "co_trained"},
        {"co_trainer": "required when the session was co-trained with a CST"},
    ),
    (
        "co-trained-with-blank-co-trainer",
        "teaching-sessions",
        {"context": "co_trained", "co_trainer": "  "},
        {"co_trainer": "required when the session was co-trained with a CST"},
    ),
    ("unknown-field", "teaching-sessions", {"colour": "blue"}, {"colour": "unknown field"}),
    (
        "review-status-cannot-be-sent",
        "teaching-sessions",
        {"review_status": "verified"},
        {"review_status": "unknown field"},
    ),
    (
        "several-fields-at-once",
        "teaching-sessions",
        {"title": "", "students": 0, "days": "two"},
        {"title": "required", "students": "must be between 1 and 500", "days": WHOLE},
    ),
    # assessments
    ("assessment-missing", "assessments", {"assessment": REMOVE}, {"assessment": "required"}),
    (
        "assessment-unknown",
        "assessments",
        {"assessment": "pspo_4"},
        {"assessment": f"must be one of: {ASSESSMENTS}"},
    ),
    ("score-missing", "assessments", {"score": REMOVE}, {"score": "required"}),
    ("score-negative", "assessments", {"score": -0.5}, {"score": "must be between 0 and 100"}),
    ("score-over-100", "assessments", {"score": 100.1}, {"score": "must be between 0 and 100"}),
    ("score-string", "assessments", {"score": "95"}, {"score": NUMBER}),
    ("score-bool", "assessments", {"score": True}, {"score": NUMBER}),
    ("score-nan", "assessments", {"score": float("nan")}, {"score": NUMBER}),
    ("score-infinite", "assessments", {"score": float("inf")}, {"score": NUMBER}),
    ("taken-on-tomorrow", "assessments", {"taken_on": iso(TOMORROW)}, {"taken_on": FUTURE}),
    (
        "passport-tomorrow",
        "assessments",
        {"passport_received_on": iso(TOMORROW)},
        {"passport_received_on": FUTURE},
    ),
    (
        "passport-after-attempt",
        "assessments",
        {"passport_received_on": iso(days_ago(2)), "taken_on": iso(days_ago(3))},
        {"taken_on": "cannot be before the passport was received"},
    ),
    # credentials
    ("credential-kind-missing", "credentials", {"kind": REMOVE}, {"kind": "required"}),
    (
        "credential-kind-unknown",
        "credentials",
        {"kind": "cst"},
        {"kind": f"must be one of: {CREDENTIAL_KINDS}"},
    ),
    ("issued-on-missing", "credentials", {"issued_on": REMOVE}, {"issued_on": "required"}),
    ("issued-on-tomorrow", "credentials", {"issued_on": iso(TOMORROW)}, {"issued_on": FUTURE}),
    (
        "expires-on-the-issue-day",
        "credentials",
        {"expires_on": iso(days_ago(100))},
        {"expires_on": "must be after the issue date"},
    ),
    (
        "expires-before-issue",
        "credentials",
        {"expires_on": iso(days_ago(101))},
        {"expires_on": "must be after the issue date"},
    ),
    (
        "valid-until-cannot-be-sent",
        "credentials",
        {"valid_until": iso(days_ago(-3000))},
        {"valid_until": "unknown field"},
    ),
    # experience
    ("role-missing", "experience", {"role": REMOVE}, {"role": "required"}),
    (
        "role-unknown",
        "experience",
        {"role": "ceo"},
        {"role": "must be one of: product_owner, scrum_master, team_member, agile_coach, other"},
    ),
    ("organisation-missing", "experience", {"organisation": REMOVE}, {"organisation": "required"}),
    ("organisation-blank", "experience", {"organisation": "\t"}, {"organisation": "required"}),
    ("started-on-tomorrow", "experience", {"started_on": iso(TOMORROW)}, {"started_on": FUTURE}),
    (
        "ended-before-started",
        "experience",
        {"ended_on": iso(days_ago(401))},
        {"ended_on": "cannot be before the start"},
    ),
    # milestones
    ("milestone-kind-missing", "milestones", {"kind": REMOVE}, {"kind": "required"}),
    (
        "milestone-kind-unknown",
        "milestones",
        {"kind": "graduated"},
        {
            "kind": "must be one of: course_materials_reviewed, learning_objectives_mapped, "
            "ttt_attended, application_drafted, pspo1_passport_received, other"
        },
    ),
    ("achieved-on-missing", "milestones", {"achieved_on": REMOVE}, {"achieved_on": "required"}),
    ("achieved-on-tomorrow", "milestones", {"achieved_on": iso(TOMORROW)}, {"achieved_on": FUTURE}),
]


@pytest.mark.parametrize(
    ("kind", "changes", "errors"),
    [
        pytest.param(kind, changes, errors, id=f"{kind}-{id}")
        for id, kind, changes, errors in INVALID
    ],
)
def test_invalid_evidence_is_refused_field_by_field(
    kind: str, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    # The kind's own declaration, without a database: one case per rule stays fast.
    # The test below sends every case through log_evidence on the database.
    with pytest.raises(ValidationFailed) as caught:
        KINDS[kind].validate(payload(kind, changes), TODAY)
    assert caught.value.code == "validation_error"
    assert caught.value.errors == errors


@pytest.mark.parametrize(
    ("kind", "changes", "errors"),
    [
        (
            "teaching-sessions",
            {"title": " ", "context": "co_trained", "co_trainer": None},
            {
                "title": "required",
                "co_trainer": "required when the session was co-trained with a CST",
            },
        ),
        (
            "experience",
            {"organisation": "", "started_on": date(2024, 5, 1), "ended_on": date(2024, 4, 1)},
            {"organisation": "required", "ended_on": "cannot be before the start"},
        ),
    ],
    ids=["co-trainer", "ended-before-start"],
)
def test_a_rule_across_fields_is_reported_with_the_fields_own_errors(
    kind: str, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    """Every problem at once: nobody should fix the form to be told of another."""
    with pytest.raises(ValidationFailed) as caught:
        KINDS[kind].validate(payload(kind, changes), TODAY)
    assert caught.value.errors == errors


@pytest.mark.parametrize("kind", VALID)
def test_logging_invalid_evidence_changes_nothing_and_says_why(
    refuses: Callable[..., Refusal], people: People, kind: str
) -> None:
    cases = [
        (id, changes, errors) for id, case_kind, changes, errors in INVALID if case_kind == kind
    ]
    assert cases
    for id, changes, errors in cases:
        refusal = refuses(
            log_evidence,
            actor=people.candidate,
            candidate_id=people.candidate.id,
            kind=kind,
            data=payload(kind, changes),
        )
        assert isinstance(refusal, ValidationFailed), id
        assert refusal.errors == errors, id


VALID_EDGES: list[tuple[str, str, dict[str, Any]]] = [
    ("1-student-1-day", "teaching-sessions", {"students": 1, "days": 1}),
    ("500-students-30-days", "teaching-sessions", {"students": 500, "days": 30}),
    ("first-day-today", "teaching-sessions", {"first_day": iso(TODAY)}),
    (
        "co-trained-with-co-trainer",
        "teaching-sessions",
        {"context": "co_trained", "co_trainer": "Ann"},
    ),
    ("optional-fields-given", "teaching-sessions", {"location": "Leeds", "notes": "Went well"}),
    ("score-0", "assessments", {"score": 0}),
    ("score-100", "assessments", {"score": 100}),
    ("score-fraction", "assessments", {"score": 94.9}),
    ("passport-same-day", "assessments", {"passport_received_on": iso(days_ago(3))}),
    ("passport-earlier", "assessments", {"passport_received_on": iso(days_ago(20))}),
    ("taken-today", "assessments", {"taken_on": iso(TODAY)}),
    ("expires-the-day-after-issue", "credentials", {"expires_on": iso(days_ago(99))}),
    ("expires-in-the-future", "credentials", {"expires_on": iso(days_ago(-400))}),
    ("issued-today", "credentials", {"issued_on": iso(TODAY)}),
    ("ended-the-day-it-started", "experience", {"ended_on": iso(days_ago(400))}),
    ("ends-in-the-future", "experience", {"ended_on": iso(days_ago(-30))}),
    ("ongoing", "experience", {"ended_on": None}),
    ("achieved-today", "milestones", {"achieved_on": iso(TODAY), "note": "At last"}),
]


@pytest.mark.parametrize(
    ("kind", "changes"),
    [pytest.param(kind, changes, id=f"{kind}-{id}") for id, kind, changes in VALID_EDGES],
)
def test_values_at_the_edge_of_each_rule_are_accepted(kind: str, changes: dict[str, Any]) -> None:
    values = KINDS[kind].validate(payload(kind, changes), TODAY)
    for name, value in changes.items():
        stored = values[name]
        assert (stored.isoformat() if isinstance(stored, date) else stored) == value


@pytest.mark.parametrize("kind", VALID)
def test_candidate_logs_evidence_at_the_edge_of_each_rule(
    session: Session, people: People, kind: str
) -> None:
    cases = [(id, changes) for id, case_kind, changes in VALID_EDGES if case_kind == kind]
    assert cases
    for id, changes in cases:
        item = log(session, people, kind, **changes)
        stored = session.get(type(item), item.id)
        for name, value in changes.items():
            got = getattr(stored, name)
            assert (got.isoformat() if isinstance(got, date) else got) == value, id


@pytest.mark.parametrize(
    ("kind", "issued_on", "expires_on", "valid_until"),
    [
        ("csp_sm", "2024-02-29", None, date(2026, 2, 28)),
        ("a_cspo", "2024-05-01", None, date(2026, 5, 1)),
        ("csp_po", "2024-05-01", "2025-01-01", date(2025, 1, 1)),
        ("pspo_1", "2024-05-01", None, None),
        ("other", "2024-05-01", "2030-01-01", date(2030, 1, 1)),
    ],
)
def test_credential_validity_is_derived_from_its_kind(
    session: Session,
    people: People,
    kind: str,
    issued_on: str,
    expires_on: str | None,
    valid_until: date | None,
) -> None:
    item = log(
        session, people, "credentials", kind=kind, issued_on=issued_on, expires_on=expires_on
    )
    assert isinstance(item, Credential)
    assert item.valid_until == valid_until
    assert item.expires_on == (date.fromisoformat(expires_on) if expires_on else None)


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("mentor", Forbidden),
        ("admin", Forbidden),
        ("unassigned_mentor", NotFound),
        ("other_candidate", NotFound),
    ],
)
def test_only_the_candidate_logs_evidence_on_their_record(
    refuses: Callable[..., Refusal], people: People, who: str, refusal: type[Refusal]
) -> None:
    refused = refuses(
        log_evidence,
        actor=getattr(people, who),
        candidate_id=people.candidate.id,
        kind="milestones",
        data=payload("milestones", {}),
    )
    assert type(refused) is refusal


def test_unknown_evidence_kind_is_not_found(
    refuses: Callable[..., Refusal], people: People
) -> None:
    refused = refuses(
        log_evidence,
        actor=people.candidate,
        candidate_id=people.candidate.id,
        kind="diplomas",
        data={},
    )
    assert isinstance(refused, NotFound)


# -- review -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reviewer", "decision", "note"),
    [
        ("mentor", "verified", None),
        ("mentor", "verified", "Checked the certificate"),
        ("mentor", "rejected", "No attendee list"),
        ("admin", "verified", None),
        ("admin", "rejected", "Dates do not match the invoice"),
    ],
)
def test_mentor_or_admin_reviews_pending_evidence(
    session: Session, people: People, reviewer: str, decision: str, note: str | None
) -> None:
    item = log(session, people, "teaching-sessions")
    actor = getattr(people, reviewer)
    before = utcnow()
    review_evidence(
        session=session,
        actor=actor,
        kind="teaching-sessions",
        item_id=pk(item),
        decision=decision,
        note=f"  {note} " if note else note,
    )
    session.commit()
    assert (item.review_status, item.review_note, item.reviewed_by) == (decision, note, actor.id)
    assert item.reviewed_at is not None and item.reviewed_at >= before
    assert audit_rows(session)[-1] == (
        f"evidence.{decision}",
        f"teaching-sessions/{item.id}",
        actor.id,
        people.candidate.id,
    )


@pytest.mark.parametrize("note", [None, "", "  \n "])
def test_rejecting_evidence_needs_a_note(
    session: Session, refuses: Callable[..., Refusal], people: People, note: str | None
) -> None:
    item = log(session, people, "assessments")
    refused = refuses(
        review_evidence,
        actor=people.mentor,
        kind="assessments",
        item_id=pk(item),
        decision="rejected",
        note=note,
    )
    assert isinstance(refused, ValidationFailed)
    assert refused.errors == {"note": "required"}


@pytest.mark.parametrize("status", ["verified", "rejected"])
@pytest.mark.parametrize("decision", ["verified", "rejected"])
def test_only_pending_evidence_can_be_reviewed(
    refuses: Callable[..., Refusal],
    people: People,
    make_evidence: MakeEvidence,
    status: str,
    decision: str,
) -> None:
    item = make_evidence(people.candidate, "milestones", status=status)
    refused = refuses(
        review_evidence,
        actor=people.admin,
        kind="milestones",
        item_id=pk(item),
        decision=decision,
        note="Second look",
    )
    assert isinstance(refused, InvalidState)
    assert refused.code == "invalid_state"


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("candidate", Forbidden),
        ("unassigned_mentor", NotFound),
        ("other_candidate", NotFound),
    ],
)
def test_only_the_candidates_mentor_or_an_admin_reviews(
    session: Session,
    refuses: Callable[..., Refusal],
    people: People,
    who: str,
    refusal: type[Refusal],
) -> None:
    item = log(session, people, "credentials")
    refused = refuses(
        review_evidence,
        actor=getattr(people, who),
        kind="credentials",
        item_id=pk(item),
        decision="verified",
    )
    assert type(refused) is refusal


def test_mentor_whose_mentorship_ended_can_no_longer_review(
    session: Session, refuses: Callable[..., Refusal], people: People
) -> None:
    item = log(session, people, "experience")
    assert people.mentor.id is not None  # assigned now, ended below
    mentorship = session.scalars(select(Mentorship)).one()
    mentorship.ended_at = utcnow()
    session.commit()
    refused = refuses(
        review_evidence,
        actor=people.mentor,
        kind="experience",
        item_id=pk(item),
        decision="verified",
    )
    assert isinstance(refused, NotFound)


def test_review_decision_must_be_verified_or_rejected(
    session: Session, refuses: Callable[..., Refusal], people: People
) -> None:
    item = log(session, people, "milestones")
    refused = refuses(
        review_evidence,
        actor=people.mentor,
        kind="milestones",
        item_id=pk(item),
        decision="approved",
    )
    assert isinstance(refused, ValidationFailed)
    assert refused.errors == {"decision": "must be verified or rejected"}


# -- correct and delete -------------------------------------------------------------


@pytest.fixture
def rejected_session(session: Session, people: People) -> Iterator[TeachingSession]:
    """A co-trained teaching session the mentor rejected with a note."""
    item = log(
        session, people, "teaching-sessions", context="co_trained", co_trainer="Ann", students=30
    )
    review_evidence(
        session=session,
        actor=people.mentor,
        kind="teaching-sessions",
        item_id=pk(item),
        decision="rejected",
        note="The attendee list shows 25 students",
    )
    session.commit()
    assert isinstance(item, TeachingSession)
    yield item


def test_correcting_rejected_evidence_sends_it_back_for_review(
    session: Session, people: People, rejected_session: TeachingSession
) -> None:
    item = correct_evidence(
        session=session,
        actor=people.candidate,
        kind="teaching-sessions",
        item_id=pk(rejected_session),
        changes={"students": 25},
    )
    session.commit()
    assert item.review_status == "pending"
    assert (item.review_note, item.reviewed_by, item.reviewed_at) == (None, None, None)
    assert isinstance(item, TeachingSession)
    # A partial change merges into the stored item: the other fields are kept.
    assert (item.students, item.title, item.co_trainer) == (
        25,
        VALID["teaching-sessions"]["title"],
        "Ann",
    )
    assert audit_rows(session)[-1] == (
        "evidence.resubmitted",
        f"teaching-sessions/{item.id}",
        people.candidate.id,
        people.candidate.id,
    )


def test_correcting_pending_evidence_keeps_it_pending(session: Session, people: People) -> None:
    item = log(session, people, "assessments", score=80)
    correct_evidence(
        session=session,
        actor=people.candidate,
        kind="assessments",
        item_id=pk(item),
        changes={"score": 88.5},
    )
    session.commit()
    assert isinstance(item, AssessmentAttempt)
    assert (item.review_status, item.score) == ("pending", 88.5)
    assert audit_rows(session)[-1][0] == "evidence.corrected"


def test_correcting_a_credential_derives_its_validity_again(
    session: Session, people: People
) -> None:
    item = log(session, people, "credentials", issued_on="2024-02-29")
    correct_evidence(
        session=session,
        actor=people.candidate,
        kind="credentials",
        item_id=pk(item),
        changes={"issued_on": "2024-06-30"},
    )
    assert isinstance(item, Credential)
    assert item.valid_until == date(2026, 6, 30)


@pytest.mark.parametrize(
    ("kind", "stored", "changes", "errors"),
    [
        (
            "teaching-sessions",
            {},
            {"context": "co_trained"},
            {"co_trainer": "required when the session was co-trained with a CST"},
        ),
        (
            "teaching-sessions",
            {"context": "co_trained", "co_trainer": "Ann"},
            {"co_trainer": ""},
            {"co_trainer": "required when the session was co-trained with a CST"},
        ),
        (
            "assessments",
            {"passport_received_on": iso(days_ago(10)), "taken_on": iso(days_ago(3))},
            {"taken_on": iso(days_ago(11))},
            {"taken_on": "cannot be before the passport was received"},
        ),
        (
            "experience",
            {"ended_on": iso(days_ago(100))},
            {"started_on": iso(days_ago(50))},
            {"ended_on": "cannot be before the start"},
        ),
        (
            "credentials",
            {"expires_on": iso(days_ago(10))},
            {"issued_on": iso(days_ago(5))},
            {"expires_on": "must be after the issue date"},
        ),
        ("milestones", {}, {"kind": None}, {"kind": "required"}),
        ("milestones", {}, {"achieved_on": iso(TOMORROW)}, {"achieved_on": FUTURE}),
        ("milestones", {}, {"review_status": "verified"}, {"review_status": "unknown field"}),
        ("credentials", {}, {"valid_until": "2099-01-01"}, {"valid_until": "unknown field"}),
    ],
    ids=[
        "co-trained-needs-co-trainer",
        "co-trainer-cannot-be-cleared",
        "attempt-before-passport",
        "start-after-end",
        "issue-after-expiry",
        "required-field-cleared",
        "future-date",
        "review-status-is-not-a-field",
        "valid-until-is-not-a-field",
    ],
)
def test_a_partial_correction_is_checked_against_the_whole_item(
    session: Session,
    refuses: Callable[..., Refusal],
    people: People,
    kind: str,
    stored: dict[str, Any],
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    item = log(session, people, kind, **stored)
    refused = refuses(
        correct_evidence, actor=people.candidate, kind=kind, item_id=pk(item), changes=changes
    )
    assert isinstance(refused, ValidationFailed)
    assert refused.errors == errors


def test_verified_evidence_can_no_longer_be_corrected_or_deleted(
    refuses: Callable[..., Refusal], people: People, make_evidence: MakeEvidence
) -> None:
    item = make_evidence(people.candidate, "teaching-sessions")
    corrected = refuses(
        correct_evidence,
        actor=people.candidate,
        kind="teaching-sessions",
        item_id=pk(item),
        changes={"students": 11},
    )
    deleted = refuses(
        delete_evidence, actor=people.candidate, kind="teaching-sessions", item_id=pk(item)
    )
    assert isinstance(corrected, InvalidState)
    assert isinstance(deleted, InvalidState)
    assert corrected.message == "A verified item can no longer be changed or deleted."


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("mentor", Forbidden),
        ("admin", Forbidden),
        ("unassigned_mentor", NotFound),
        ("other_candidate", NotFound),
    ],
)
def test_only_the_candidate_corrects_or_deletes_their_evidence(
    session: Session,
    refuses: Callable[..., Refusal],
    people: People,
    who: str,
    refusal: type[Refusal],
) -> None:
    item = log(session, people, "milestones")
    actor = getattr(people, who)
    corrected = refuses(
        correct_evidence,
        actor=actor,
        kind="milestones",
        item_id=pk(item),
        changes={"note": "Mine now"},
    )
    deleted = refuses(delete_evidence, actor=actor, kind="milestones", item_id=pk(item))
    assert (type(corrected), type(deleted)) == (refusal, refusal)


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_candidate_deletes_pending_or_rejected_evidence(
    session: Session, engine: Engine, people: People, make_evidence: MakeEvidence, status: str
) -> None:
    item = make_evidence(people.candidate, "experience", status=status)
    delete_evidence(session=session, actor=people.candidate, kind="experience", item_id=pk(item))
    session.commit()
    assert trail(engine).items == 0
    assert audit_rows(session) == [
        ("evidence.deleted", f"experience/{item.id}", people.candidate.id, people.candidate.id)
    ]
