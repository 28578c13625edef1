"""The candidate's dashboard: evidence rows, reviews, feedback and enrollment cards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from trainerpath import queries
from trainerpath.dashboards.common import (
    STATUS_LABELS,
    VERIFIED,
    format_day,
    format_number,
)
from trainerpath.dashboards.enrollment import EnrollmentView, enrollment_views
from trainerpath.dashboards.standing import (
    CardExtras,
    QualifyingMark,
    card_extras,
    qualifying_marks,
)
from trainerpath.models import (
    Attachment,
    Enrollment,
    EvidenceBase,
    Feedback,
    Mentorship,
    TeachingSession,
    User,
    table_of,
)
from trainerpath.paging import Page, PageRequest, paginate
from trainerpath.pathways import CURRENT, Ruleset, ruleset_for
from trainerpath.prepared import Prepared
from trainerpath.services.attachments import attachments_by_item
from trainerpath.services.evidence_kinds import KINDS, TEACHING_SESSIONS, EvidenceKind, FieldSpec


@dataclass(frozen=True)
class EvidenceRow:
    """An evidence item as a list row."""

    kind: EvidenceKind
    item: EvidenceBase
    summary: str
    status_label: str
    reviewer: str | None
    details: list[tuple[str, str]]
    marks: Sequence[QualifyingMark] = ()  # a teaching session as a cst@2 qualifying event
    attachments: Sequence[Attachment] = ()  # its proof: files and links, oldest first

    @property
    def changeable(self) -> bool:
        """Whether the candidate may still edit or delete it (verified items are final)."""
        return self.item.review_status != VERIFIED

    @property
    def status(self) -> str:
        """The review status value."""
        return self.item.review_status


def display_value(spec: FieldSpec, value: Any) -> str:
    """A stored field value as people read it."""
    if value is None or value == "":
        return "—"
    if spec.type == "bool":
        return "Yes" if value else "No"
    if spec.type == "choice":
        return spec.choice_label(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def evidence_row(
    kind: EvidenceKind, item: EvidenceBase, reviewer: str | None, details: bool = True
) -> EvidenceRow:
    """An item as a list row; ``reviewer`` is the name of who reviewed it, if anyone.
    Without ``details`` its fields are not formatted (for a card showing the summary)."""
    return EvidenceRow(
        kind=kind,
        item=item,
        summary=kind.summary(item),
        status_label=STATUS_LABELS.get(item.review_status, item.review_status),
        reviewer=reviewer,
        details=[
            (spec.label, display_value(spec, getattr(item, spec.name)))
            for spec in kind.fields
            if details and getattr(item, spec.name) not in (None, "")
        ],
    )


def evidence_rows(
    session: Session,
    candidate_id: int,
    slug: str,
    wanted: PageRequest,
    status: str | None = None,
    today: date | None = None,
) -> Page[EvidenceRow]:
    """A page of the candidate's items of one kind (in one review status, if given), newest
    first, with their reviewers' names; teaching sessions say whether they qualify."""
    kind = KINDS[slug]
    stmt = queries.with_reviewer_name(queries.evidence_stmt(slug, candidate_id, status), kind.model)
    found = paginate(session, stmt, wanted)
    rows = [evidence_row(kind, item, reviewer) for item, reviewer in found.items]
    proof = attachments_by_item(session, slug, [row.item.id or 0 for row in rows])
    rows = [replace(row, attachments=proof.get(row.item.id or 0, ())) for row in rows]
    if slug == TEACHING_SESSIONS.slug:
        courses = [row.item for row in rows if isinstance(row.item, TeachingSession)]
        marks = qualifying_marks(session, candidate_id, courses, today)
        rows = [replace(row, marks=marks.get(row.item.id or 0, ())) for row in rows]
    return found.with_items(rows)


SHOWN_REVIEWS = 8  # rejected items, and review notes, the dashboard shows of each


def _review_rows(found: list[tuple[str, EvidenceBase, str | None]]) -> list[EvidenceRow]:
    """The dashboard's rejected items and review notes: summaries, not every field."""
    return [
        evidence_row(KINDS[slug], item, reviewer, details=False) for slug, item, reviewer in found
    ]


class FeedbackNote(NamedTuple):
    """What a feedback note shows: its text and when it was left."""

    body: str
    created_at: datetime


@dataclass(frozen=True)
class FeedbackRow:
    """A mentor's note to the candidate."""

    feedback: FeedbackNote
    author: str
    pathway_title: str | None


@cache
def _feedback_stmt() -> Prepared:
    """Built once: feedback left for a candidate, newest first, with author and ruleset
    (plain columns: no entity is built per note)."""
    notes, users, enrollments = table_of(Feedback), table_of(User), table_of(Enrollment)
    return Prepared(
        select(notes.c.body, notes.c.created_at, users.c.name, enrollments.c.ruleset)
        .join(users, users.c.id == notes.c.author_id)
        .outerjoin(enrollments, enrollments.c.id == notes.c.enrollment_id)
        .where(notes.c.candidate_id == bindparam("candidate_id", type_=Integer))
        .order_by(notes.c.created_at.desc(), notes.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def feedback_for(session: Session, candidate_id: int, limit: int = 20) -> list[FeedbackRow]:
    """Feedback left for the candidate, newest first."""
    found = _feedback_stmt().rows(session, {"candidate_id": candidate_id, "limit": limit})
    return [
        FeedbackRow(
            FeedbackNote(body, created_at),
            author,
            ruleset_for(ruleset).title if ruleset else None,
        )
        for body, created_at, author, ruleset in found
    ]


class MentorContact(NamedTuple):
    """A mentor as the candidate's page names them."""

    name: str
    email: str


@dataclass(frozen=True)
class CandidateDashboard:
    """The whole candidate dashboard."""

    candidate: User
    enrollments: list[EnrollmentView]
    extras: dict[int, CardExtras]  # per enrollment id: switching rules, hints
    open_pathways: list[Ruleset]
    counts: dict[str, dict[str, int]]
    reviews: list[EvidenceRow]
    rejected: list[EvidenceRow]
    feedback: list[FeedbackRow]
    mentors: list[MentorContact]


@cache
def _mentors_stmt() -> Prepared:
    """Built once: a candidate's active mentors by name."""
    users, mentorships = table_of(User), table_of(Mentorship)
    return Prepared(
        select(users.c.name, users.c.email)
        .join(mentorships, mentorships.c.mentor_id == users.c.id)
        .where(
            mentorships.c.candidate_id == bindparam("candidate_id", type_=Integer),
            mentorships.c.ended_at.is_(None),
        )
        .order_by(users.c.name)
    )


def mentors_of(session: Session, candidate_id: int) -> list[MentorContact]:
    """The candidate's active mentors."""
    return [
        MentorContact._make(row)
        for row in _mentors_stmt().rows(session, {"candidate_id": candidate_id})
    ]


def candidate_dashboard(
    session: Session, candidate: User, viewer: User, today: date | None = None
) -> CandidateDashboard:
    """Gather everything the candidate dashboard shows (the viewer may be their mentor)."""
    assert candidate.id is not None
    views = enrollment_views(session, candidate.id, viewer, today)
    reviewed = queries.reviewed_evidence(session, candidate.id, SHOWN_REVIEWS)
    followed = {view.enrollment.pathway for view in views}
    return CandidateDashboard(
        candidate=candidate,
        enrollments=views,
        extras=card_extras(views, viewer),
        open_pathways=[r for pathway, r in CURRENT.items() if pathway not in followed],
        counts=queries.evidence_counts(session, candidate.id),
        reviews=_review_rows(reviewed["noted"]),
        rejected=_review_rows(reviewed["rejected"]),
        feedback=feedback_for(session, candidate.id),
        mentors=mentors_of(session, candidate.id),
    )


def progress_overview(
    session: Session, candidate: User, viewer: User, today: date | None = None
) -> list[EnrollmentView]:
    """The candidate's enrollments with their requirement bars (the progress aside)."""
    assert candidate.id is not None
    return enrollment_views(session, candidate.id, viewer, today)
