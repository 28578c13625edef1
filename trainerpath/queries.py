"""Read-only selects shared by the web pages and the JSON API; nothing here writes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, TypeVarTuple, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from trainerpath.evidence_rows import (
    inline_text,
    item_from_json,
    json_of,
    json_rows,
    moment_from_json,
    row_json,
)
from trainerpath.models import (
    EVIDENCE_MODELS,
    Attachment,
    AuditEntry,
    Enrollment,
    EvidenceBase,
    Feedback,
    Mentorship,
    ReviewStatus,
    Role,
    TransitionRecord,
    User,
    Viewer,
    table_of,
)
from trainerpath.paging import Page as Page
from trainerpath.paging import PageRequest, paginate
from trainerpath.pathways.measure import DATED
from trainerpath.prepared import Prepared

_Ts = TypeVarTuple("_Ts")

REVIEW_STATUSES = tuple(status.value for status in ReviewStatus)


def visible_to(viewer: Viewer, candidate_id: Any) -> ColumnElement[bool]:
    """A condition on a candidate id column: a mentor's assigned, all for admins, else self."""
    return visible_to_user(viewer.role, viewer.id, candidate_id)


def visible_to_user(role: str, user_id: int | None, candidate_id: Any) -> ColumnElement[bool]:
    """``visible_to`` for the user of ``role`` and ``user_id`` (for statements built once)."""
    if role == Role.ADMIN:
        return true()
    if role == Role.MENTOR:
        assigned = select(col(Mentorship.candidate_id)).where(
            col(Mentorship.mentor_id) == user_id, col(Mentorship.ended_at).is_(None)
        )
        return cast(ColumnElement[bool], candidate_id.in_(assigned))
    return cast(ColumnElement[bool], candidate_id == user_id)


def visible_candidates_stmt(viewer: Viewer) -> Select[Any]:
    """Select the candidates ``viewer`` may see, newest first."""
    return (
        select(User)
        .where(col(User.role) == Role.CANDIDATE.value, visible_to(viewer, col(User.id)))
        .order_by(col(User.created_at).desc(), col(User.id).desc())
    )


def visible_candidates(
    session: Session, viewer: Viewer, *, page: int = 1, per_page: int = 50
) -> Page[User]:
    """One page of the candidates ``viewer`` may see: a mentor's assigned, or all for admins."""
    return paginate(session, visible_candidates_stmt(viewer), PageRequest(page, per_page))


def enrollments_by_candidate(
    session: Session, candidate_ids: Iterable[int]
) -> dict[int, list[Enrollment]]:
    """Each candidate's enrollments in the order they enrolled."""
    ids = list(candidate_ids)
    result: dict[int, list[Enrollment]] = {candidate_id: [] for candidate_id in ids}
    if not ids:
        return result
    stmt = (
        select(Enrollment)
        .where(col(Enrollment.candidate_id).in_(ids))
        .order_by(col(Enrollment.created_at), col(Enrollment.id))
    )
    for enrollment in session.execute(stmt).scalars():
        result[enrollment.candidate_id].append(enrollment)
    return result


def enrollments_of(session: Session, candidate_id: int) -> list[Enrollment]:
    """The candidate's enrollments in the order they enrolled."""
    return enrollments_by_candidate(session, [candidate_id])[candidate_id]


CandidateScope = Callable[[Any], ColumnElement[bool]]


def pending_counts(scope: CandidateScope) -> Subquery:
    """Per candidate in ``scope`` (a condition on a candidate id column): items waiting.

    Columns ``candidate_id`` and ``n``; candidates with nothing waiting have no row.
    """
    pending = union_all(
        *(
            select(col(model.candidate_id).label("candidate_id")).where(
                col(model.review_status) == ReviewStatus.PENDING.value,
                scope(col(model.candidate_id)),
            )
            for model in EVIDENCE_MODELS.values()
        )
    ).subquery()
    return (
        select(pending.c.candidate_id, func.count().label("n"))
        .group_by(pending.c.candidate_id)
        .subquery()
    )


def last_own_activity(scope: CandidateScope) -> Subquery:
    """Per candidate in ``scope``: when they last did something themselves (column ``at``)."""
    return (
        select(
            col(AuditEntry.candidate_id).label("candidate_id"),
            func.max(col(AuditEntry.at)).label("at"),
        )
        .where(
            scope(col(AuditEntry.candidate_id)),
            col(AuditEntry.actor_id) == col(AuditEntry.candidate_id),
        )
        .group_by(col(AuditEntry.candidate_id))
        .subquery()
    )


def among(candidate_ids: Sequence[int]) -> CandidateScope:
    """A scope of the given candidates (one page of them: never every candidate's id)."""
    return lambda candidate_id: cast(ColumnElement[bool], candidate_id.in_(candidate_ids))


def pending_review_counts(session: Session, candidate_ids: Iterable[int]) -> dict[int, int]:
    """How many evidence items of each candidate wait for review, across every kind."""
    ids = list(candidate_ids)
    result = dict.fromkeys(ids, 0)
    if not ids:
        return result
    counts = pending_counts(among(ids))
    for candidate_id, count in session.execute(select(counts.c.candidate_id, counts.c.n)):
        result[candidate_id] = int(count)
    return result


REVIEWED_KINDS = ("rejected", "noted")  # what ``reviewed_evidence`` returns, in two lists


@cache
def _reviewed_stmt() -> Prepared:
    """Built once: a candidate's rejected and noted items of every kind, ranked per part.

    The items are ranked by their keys alone; only the few kept (``limit`` a part) are
    then read whole, as JSON, with their reviewer's name: a candidate with hundreds of
    reviewed items costs what one with ten does.
    """
    candidate_id = bindparam("candidate_id", type_=Integer)
    parts = []
    for slug, model in EVIDENCE_MODELS.items():
        rejected = col(model.review_status) == inline_text(ReviewStatus.REJECTED.value)
        noted = and_(col(model.review_note).is_not(None), col(model.reviewed_at).is_not(None))
        parts.append(
            select(
                inline_text(slug).label("kind"),
                col(model.id).label("id"),
                col(model.reviewed_at).label("at"),
                case((rejected, literal_column("0")), else_=literal_column("1")).label("part"),
                col(model.reviewed_by).label("reviewed_by"),
            ).where(col(model.candidate_id) == candidate_id, or_(rejected, noted))
        )
    found = union_all(*parts).subquery()
    ranked = select(
        found,
        func.row_number()
        .over(
            partition_by=found.c.part,
            order_by=(found.c.at.desc(), found.c.kind, found.c.id.desc()),
        )
        .label("rank"),
    ).subquery()
    row = case(
        *(
            (
                ranked.c.kind == inline_text(slug),
                select(json_of(model)).where(col(model.id) == ranked.c.id).scalar_subquery(),
            )
            for slug, model in EVIDENCE_MODELS.items()
        )
    )
    reviewer = select(col(User.name)).where(col(User.id) == ranked.c.reviewed_by)
    return Prepared(
        select(
            ranked.c.kind,
            ranked.c.part,
            reviewer.scalar_subquery().label("reviewer"),
            row.label("row"),
        )
        .where(ranked.c.rank <= bindparam("limit", type_=Integer))
        .order_by(ranked.c.part, ranked.c.rank)
    )


def reviewed_evidence(
    session: Session, candidate_id: int, limit: int
) -> dict[str, list[tuple[str, EvidenceBase, str | None]]]:
    """The candidate's rejected items, and other items reviewed with a note, newest first.

    Up to ``limit`` of each, as (kind, item, reviewer's name), in one statement.
    """
    result: dict[str, list[tuple[str, EvidenceBase, str | None]]] = {
        part: [] for part in REVIEWED_KINDS
    }
    found = _reviewed_stmt().rows(session, {"candidate_id": candidate_id, "limit": limit})
    for kind, part, reviewer, row in found:
        data = row if isinstance(row, dict) else json.loads(row)
        item = item_from_json(EVIDENCE_MODELS[kind], data)
        result[REVIEWED_KINDS[part]].append((kind, item, reviewer))
    return result


@cache
def _counts_stmt() -> Prepared:
    """Built once: a candidate's items per kind and review status."""
    candidate_id = bindparam("candidate_id", type_=Integer)
    parts: list[Any] = [
        select(
            inline_text(slug).label("kind"),
            col(model.review_status).label("status"),
            func.count().label("n"),
        )
        .where(col(model.candidate_id) == candidate_id)
        .group_by(col(model.review_status))
        for slug, model in EVIDENCE_MODELS.items()
    ]
    return Prepared(union_all(*parts))


def evidence_counts(session: Session, candidate_id: int) -> dict[str, dict[str, int]]:
    """For each evidence kind, how many of the candidate's items are in each review status."""
    counts = {slug: dict.fromkeys(REVIEW_STATUSES, 0) for slug in EVIDENCE_MODELS}
    for slug, status, n in _counts_stmt().rows(session, {"candidate_id": candidate_id}):
        counts[slug][status] = int(n)
    return counts


def evidence_stmt(kind: str, candidate_id: int, status: str | None = None) -> Select[Any]:
    """Select the candidate's items of one kind (in one review status, if given), newest first."""
    model = EVIDENCE_MODELS[kind]
    stmt = select(model).where(col(model.candidate_id) == candidate_id)
    if status is not None:
        stmt = stmt.where(col(model.review_status) == status)
    return stmt.order_by(col(model.created_at).desc(), col(model.id).desc())


def with_reviewer_name(stmt: Select[*_Ts], model: type[EvidenceBase]) -> Select[Any]:
    """Add the name of the item's reviewer (None while nobody reviewed it) as a column.

    A correlated subquery rather than an outer join: PostgreSQL looks the name up for the
    rows of the page only (after ORDER BY and LIMIT), never hashing the whole users table.
    """
    reviewer = aliased(User)
    name = select(col(reviewer.name)).where(col(reviewer.id) == col(model.reviewed_by))
    return stmt.add_columns(name.scalar_subquery())


def evidence_page(
    session: Session, kind: str, candidate_id: int, page: int = 1, per_page: int = 50
) -> Page[EvidenceBase]:
    """One page of the candidate's items of one kind, newest first."""
    return paginate(session, evidence_stmt(kind, candidate_id), PageRequest(page, per_page))


@dataclass(frozen=True)
class MentorshipRow:
    """A mentorship of the candidate with the mentor's name."""

    mentorship: Mentorship
    mentor_name: str


@dataclass(frozen=True)
class CandidateRecord:
    """Everything stored about one candidate, for an export."""

    candidate: User
    evidence: dict[str, list[EvidenceBase]]
    enrollments: list[tuple[Enrollment, list[HistoryEntry]]]
    mentorships: list[MentorshipRow]
    feedback: list[Feedback]
    attachments: list[Attachment]  # metadata of every file and link, oldest first


class HistoryEntry(NamedTuple):
    """One transition as views read it: plain values, no ORM entity to build."""

    id: int
    enrollment_id: int
    event: str
    from_state: str
    to_state: str
    actor_id: int
    note: str | None
    at: datetime


def history_json(enrollment_id: ColumnElement[int]) -> Any:
    """A column of an enrollment's transitions, with who fired each, as one JSON array:
    read beside the enrollment's own columns, its history costs no statement or row more.
    ``history_from_json`` reads it back."""
    history, users = table_of(TransitionRecord), table_of(User)
    pairs: list[Any] = []
    for name in HistoryEntry._fields:
        pairs += [inline_text(name), history.c[name]]
    pairs += [inline_text("actor_name"), users.c.name]
    return (
        select(json_rows(row_json(*pairs)))
        .select_from(history.outerjoin(users, users.c.id == history.c.actor_id))
        .where(history.c.enrollment_id == enrollment_id)
        .scalar_subquery()
    )


def history_from_json(value: Any) -> tuple[list[HistoryEntry], dict[int, str]]:
    """The transitions of a ``history_json`` column, oldest first, and who fired them."""
    found = json.loads(value) if isinstance(value, str) else value or []
    entries: list[HistoryEntry] = []
    names: dict[int, str] = {}
    for data in found:
        entries.append(
            HistoryEntry._make(
                moment_from_json(data[name]) if name == "at" else data[name]
                for name in HistoryEntry._fields
            )
        )
        if data["actor_name"] is not None:
            names[data["actor_id"]] = data["actor_name"]
    entries.sort(key=lambda entry: (entry.at, entry.id))
    return entries, names


@cache
def _histories_stmt() -> Any:
    """Built once: transitions of the enrollments ``ids``, with who fired them."""
    history, users = table_of(TransitionRecord).c, table_of(User).c
    return (
        select(*(history[name] for name in HistoryEntry._fields), users.name)
        .outerjoin(table_of(User), users.id == history.actor_id)
        .where(history.enrollment_id.in_(bindparam("ids", expanding=True)))
        .order_by(history.at, history.id)
    )


def transition_histories(
    session: Session, enrollment_ids: Sequence[int]
) -> tuple[dict[int, list[HistoryEntry]], dict[int, str]]:
    """Each enrollment's transitions, oldest first, and the names of who fired them."""
    history: dict[int, list[HistoryEntry]] = {i: [] for i in enrollment_ids}
    names: dict[int, str] = {}
    if not enrollment_ids:
        return history, names
    for row in session.execute(_histories_stmt(), {"ids": list(enrollment_ids)}):
        entry = HistoryEntry._make(row[:-1])
        history[entry.enrollment_id].append(entry)
        if row[-1] is not None:
            names[entry.actor_id] = row[-1]
    return history, names


def candidate_export(session: Session, candidate: User) -> CandidateRecord:
    """Gather the candidate's whole record: evidence, enrollments, mentorships, feedback."""
    assert candidate.id is not None
    evidence = {
        kind: list(
            session.execute(
                evidence_stmt(kind, candidate.id).order_by(None).order_by(col(model.id))
            ).scalars()
        )
        for kind, model in EVIDENCE_MODELS.items()
    }
    enrollments = enrollments_of(session, candidate.id)
    history, _names = transition_histories(session, [e.id for e in enrollments if e.id])
    mentorships = [
        MentorshipRow(mentorship, name)
        for mentorship, name in session.execute(
            select(Mentorship, col(User.name))
            .join(User, col(User.id) == col(Mentorship.mentor_id))
            .where(col(Mentorship.candidate_id) == candidate.id)
            .order_by(col(Mentorship.started_at), col(Mentorship.id))
        ).all()
    ]
    feedback = list(
        session.execute(
            select(Feedback)
            .where(col(Feedback.candidate_id) == candidate.id)
            .order_by(col(Feedback.created_at), col(Feedback.id))
        ).scalars()
    )
    return CandidateRecord(
        candidate=candidate,
        evidence=evidence,
        enrollments=[(e, history[e.id]) for e in enrollments if e.id is not None],
        mentorships=mentorships,
        feedback=feedback,
        attachments=list(
            session.execute(
                select(Attachment)
                .where(col(Attachment.candidate_id) == candidate.id)
                .order_by(col(Attachment.id))
            ).scalars()
        ),
    )


def verified_evidence(
    session: Session,
    candidate_id: int,
    model: type[EvidenceBase],
    where: Sequence[ColumnElement[bool]] = (),
) -> list[tuple[EvidenceBase, str | None]]:
    """The candidate's verified items of ``model`` meeting ``where``, with who verified
    each; oldest first by the item's own date."""
    verified = select(model).where(
        col(model.candidate_id) == candidate_id,
        col(model.review_status) == ReviewStatus.VERIFIED.value,
        *where,
    )
    stmt = with_reviewer_name(verified, model).order_by(DATED[model], col(model.id))
    return [(item, name) for item, name in session.execute(stmt)]


def evidence_batches(
    session: Session, kind: str, candidate_id: int, batch: int = 500
) -> Iterator[list[tuple[EvidenceBase, str | None]]]:
    """The candidate's items of one kind with their reviewer's name, oldest first, a
    keyset batch at a time (by id): a download of any size holds one batch in memory."""
    model = EVIDENCE_MODELS[kind]
    after = 0
    while True:
        after_last = select(model).where(
            col(model.candidate_id) == candidate_id, col(model.id) > after
        )
        stmt = with_reviewer_name(after_last, model).order_by(col(model.id)).limit(batch)
        rows = [(item, name) for item, name in session.execute(stmt)]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = rows[-1][0].id
