"""The application dossier of one enrollment (issue 11 §4), for its HTML page and its PDF.

What a candidate hands in when they apply: who they are, the rules, the day; every
requirement of the ruleset, met or not, with the verified evidence that meets it today;
for CST rulesets the co-training log; their assessments, credentials and experience
timeline, each with who verified it and when; and what is still unmet. Only verified
evidence is listed: pending items are counted, not shown.

The co-training log is the application's table built from the teaching sessions:
date = ``first_day``, course = ``title`` with its ``course_type``, days, students,
co-trainer = ``co_trainer`` (``Independent`` for a session taught without a CST),
share delivered = ``share_delivered`` (%), reflection = ``reflection``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from trainerpath import clock, queries
from trainerpath.dashboards.common import aware
from trainerpath.dashboards.enrollment import HistoryRow, history_rows
from trainerpath.models import (
    AssessmentAttempt,
    Credential,
    Enrollment,
    EvidenceBase,
    ExperiencePeriod,
    TeachingSession,
    User,
    utcnow,
)
from trainerpath.pathways import Population, Requirement, Ruleset, ruleset_for
from trainerpath.services.evidence_kinds import KINDS, TEACHING_SESSIONS
from trainerpath.services.pathways import (
    measure_requirements,
    state_label,
    transition_histories,
    visible_enrollment,
)

SLUG_OF = {kind.model: slug for slug, kind in KINDS.items()}


@dataclass(frozen=True)
class VerifiedItem:
    """A verified evidence item: what it is, and who verified it when."""

    kind: str  # the kind's slug
    item: EvidenceBase
    verifier: str
    verified_at: datetime | None

    @property
    def summary(self) -> str:
        """The item in one line, as the evidence lists word it."""
        return KINDS[self.kind].summary(self.item)


@dataclass(frozen=True)
class DossierRequirement:
    """One requirement of the ruleset as measured today, with the evidence that meets it."""

    requirement: Requirement
    rule: str  # "≥ 10 qualifying training events in the last 60 months"
    evidence: list[VerifiedItem]


@dataclass(frozen=True)
class CoTrainingRow:
    """One line of the co-training log, in the application's columns."""

    date: date
    course: str
    days: int
    students: int
    co_trainer: str
    share_delivered: int
    reflection: str
    verifier: str
    verified_at: datetime | None


@dataclass(frozen=True)
class Dossier:
    """Everything the application dossier of one enrollment shows."""

    candidate: User
    enrollment: Enrollment
    ruleset: Ruleset
    state_label: str
    today: date
    generated_at: datetime
    requirements: list[DossierRequirement]
    co_training: list[CoTrainingRow] | None  # None: not a CST ruleset
    assessments: list[VerifiedItem]
    credentials: list[VerifiedItem]
    experience: list[VerifiedItem]  # the timeline, oldest first
    history: list[HistoryRow]
    pending: int  # the candidate's items still waiting for review

    @property
    def title(self) -> str:
        """The dossier's title: "Certified Scrum Trainer (April 2024), ScrumMaster track"."""
        track = self.ruleset.track_label(self.enrollment.track)
        return self.ruleset.label + (f", {track} track" if track else "")

    @property
    def unmet(self) -> list[DossierRequirement]:
        """The requirements still unmet."""
        return [r for r in self.requirements if not r.requirement.met]

    @property
    def students_total(self) -> int:
        """Students across the co-training log."""
        return sum(row.students for row in self.co_training or [])

    @property
    def days_total(self) -> int:
        """Teaching days across the co-training log."""
        return sum(row.days for row in self.co_training or [])


def _verified(
    session: Session, candidate_id: int, model: type[EvidenceBase], where: Any = ()
) -> list[VerifiedItem]:
    slug = SLUG_OF[model]
    return [
        VerifiedItem(
            slug, item, verifier or "someone", aware(item.reviewed_at) if item.reviewed_at else None
        )
        for item, verifier in queries.verified_evidence(session, candidate_id, model, where)
    ]


def _co_training_row(verified: VerifiedItem) -> CoTrainingRow:
    item = verified.item
    assert isinstance(item, TeachingSession)
    course = TEACHING_SESSIONS.spec("course_type").choice_label(item.course_type)
    return CoTrainingRow(
        date=item.first_day,
        course=f"{item.title} ({course})",
        days=item.days,
        students=item.students,
        co_trainer=item.co_trainer
        if item.context == "co_trained" and item.co_trainer
        else "Independent",
        share_delivered=item.share_delivered,
        reflection=item.reflection,
        verifier=verified.verifier,
        verified_at=verified.verified_at,
    )


def dossier_for(
    session: Session, viewer: User, enrollment_id: int, today: date | None = None
) -> Dossier:
    """The dossier of an enrollment ``viewer`` may see (else NotFound), in any state."""
    enrollment = visible_enrollment(session, viewer, enrollment_id)
    day = today or clock.today()
    ruleset = ruleset_for(enrollment.ruleset)
    candidate = session.get(User, enrollment.candidate_id)
    assert candidate is not None and enrollment.id is not None
    cid = enrollment.candidate_id
    keys = list(ruleset.requirements)
    measured = measure_requirements(session, enrollment, keys, day)
    people = Population(session, (cid,), day, enrollment.track)
    requirements = []
    for key, requirement in zip(keys, measured, strict=True):
        need = ruleset.requirements[key]
        model, where = need.evidence(people)
        requirements.append(
            DossierRequirement(requirement, need.rule(), _verified(session, cid, model, where))
        )
    co_training = None
    if ruleset.pathway == "cst":
        co_training = [_co_training_row(v) for v in _verified(session, cid, TeachingSession)]
    history, names = transition_histories(session, [enrollment.id])
    counts = queries.evidence_counts(session, cid)
    return Dossier(
        candidate=candidate,
        enrollment=enrollment,
        ruleset=ruleset,
        state_label=state_label(ruleset, enrollment.state),
        today=day,
        generated_at=utcnow(),
        requirements=requirements,
        co_training=co_training,
        assessments=_verified(session, cid, AssessmentAttempt),
        credentials=_verified(session, cid, Credential),
        experience=_verified(session, cid, ExperiencePeriod),
        history=history_rows(ruleset, history[enrollment.id], names),
        pending=sum(statuses["pending"] for statuses in counts.values()),
    )
