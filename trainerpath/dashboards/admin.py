"""The admin's pages: users, mentorships, the audit trail and full histories."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from trainerpath import queries
from trainerpath.dashboards.common import matches_name_or_email
from trainerpath.dashboards.enrollment import HistoryRow, history_rows
from trainerpath.models import AuditEntry, Mentorship, Role, User
from trainerpath.paging import (
    COUNT_LIMIT,
    Cursor,
    KeysetPage,
    KeysetRequest,
    Page,
    PageRequest,
    keyset_page,
    paginate,
)
from trainerpath.pathways import ruleset_for
from trainerpath.services.pathways import state_label, transition_histories


@dataclass(frozen=True)
class UserRow:
    """A user in the admin's list, with their mentoring links."""

    user: User
    mentors: list[str] = field(default_factory=list)
    mentees: int = 0


def user_rows(session: Session, wanted: PageRequest, role: str = "", q: str = "") -> Page[UserRow]:
    """A page of the users (optionally of one role or matching a search), by name."""
    stmt = select(User)
    if role in {r.value for r in Role}:
        stmt = stmt.where(col(User.role) == role)
    if q:
        stmt = stmt.where(matches_name_or_email(q))
    found = paginate(session, stmt.order_by(col(User.name), col(User.id)), wanted, COUNT_LIMIT)
    ids = [user.id for user in found.items]
    mentor = aliased(User)
    active = col(Mentorship.ended_at).is_(None)
    mentors: dict[int, list[str]] = {}
    for candidate_id, mentor_name in session.execute(
        select(col(Mentorship.candidate_id), col(mentor.name))
        .join(mentor, col(mentor.id) == col(Mentorship.mentor_id))
        .where(active, col(Mentorship.candidate_id).in_(ids))
    ):
        mentors.setdefault(candidate_id, []).append(mentor_name)
    mentees: dict[int, int] = {}
    for mentor_id, count in session.execute(
        select(col(Mentorship.mentor_id), func.count())
        .where(active, col(Mentorship.mentor_id).in_(ids))
        .group_by(col(Mentorship.mentor_id))
    ):
        mentees[mentor_id] = count
    return found.with_items(
        [
            UserRow(user, sorted(mentors.get(user.id or 0, [])), mentees.get(user.id or 0, 0))
            for user in found.items
        ]
    )


@dataclass(frozen=True)
class MentorshipRow:
    """An active mentor assignment."""

    mentorship: Mentorship
    mentor: str
    candidate: str


def active_mentorships(session: Session, wanted: PageRequest) -> Page[MentorshipRow]:
    """A page of the active mentor assignments, the newest first (by when they started,
    which is what each row shows)."""
    mentor, candidate = aliased(User), aliased(User)
    stmt = (
        select(Mentorship, col(mentor.name), col(candidate.name))
        .join(mentor, col(mentor.id) == col(Mentorship.mentor_id))
        .join(candidate, col(candidate.id) == col(Mentorship.candidate_id))
        .where(col(Mentorship.ended_at).is_(None))
        .order_by(col(Mentorship.started_at).desc(), col(Mentorship.id).desc())
    )
    found = paginate(session, stmt, wanted, COUNT_LIMIT)
    return found.with_items([MentorshipRow(*row) for row in found.items])


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail."""

    entry: AuditEntry
    actor: str
    candidate: str | None


def _audit_stmt(candidate_id: int | None) -> Select[AuditEntry, str, str]:
    """The audit entries (of one candidate, if given) with the names of both people."""
    actor, candidate = aliased(User), aliased(User)
    stmt = (
        select(AuditEntry, col(actor.name), col(candidate.name))
        .outerjoin(actor, col(actor.id) == col(AuditEntry.actor_id))
        .outerjoin(candidate, col(candidate.id) == col(AuditEntry.candidate_id))
    )
    if candidate_id is not None:
        stmt = stmt.where(col(AuditEntry.candidate_id) == candidate_id)
    return stmt


def audit_trail(
    session: Session, wanted: KeysetRequest, candidate_id: int | None = None
) -> KeysetPage[AuditRow]:
    """A page of the audit trail (of one candidate, if given), newest first.

    Keyset pages on (at, id): no OFFSET and no count of the whole log, so the last page
    of a long log costs what the first does (the index on (at, id) serves it).
    """
    found = keyset_page(
        session,
        _audit_stmt(candidate_id),
        (col(AuditEntry.at), col(AuditEntry.id)),
        lambda row: Cursor(row[0].at, row[0].id),
        wanted,
    )
    return found.with_items(
        [
            AuditRow(entry, actor_name or "the system", candidate_name)
            for entry, actor_name, candidate_name in found.items
        ]
    )


def audit_batches(
    session: Session, candidate_id: int | None = None, batch: int = 500
) -> Iterator[list[AuditRow]]:
    """The whole audit trail (of one candidate, if given), newest first, a keyset page
    at a time: what the audit page shows, for a download of any length."""
    wanted = KeysetRequest(per_page=batch)
    while True:
        page = audit_trail(session, wanted, candidate_id)
        if page.items:
            yield page.items
        if page.older is None:
            return
        wanted = KeysetRequest(after=page.older, per_page=batch)


@dataclass(frozen=True)
class HistoryBlock:
    """An enrollment's full transition history for the audit page."""

    title: str  # the rules' label: "Certified Scrum Trainer (April 2024)"
    rules: str  # the ruleset and track: "cst@2, ScrumMaster (CSM courses) track"
    state_label: str
    rows: list[HistoryRow]


def histories_of(session: Session, candidate_id: int) -> list[HistoryBlock]:
    """Every enrollment of the candidate with its transitions, newest first."""
    enrollments = queries.enrollments_of(session, candidate_id)
    history, names = transition_histories(session, [e.id for e in enrollments if e.id is not None])
    blocks = []
    for enrollment in enrollments:
        assert enrollment.id is not None
        ruleset = ruleset_for(enrollment.ruleset)
        track = ruleset.track_label(enrollment.track)
        blocks.append(
            HistoryBlock(
                title=ruleset.label,
                rules=ruleset.id + (f", {track} track" if track else ""),
                state_label=state_label(ruleset, enrollment.state),
                rows=history_rows(ruleset, reversed(history[enrollment.id]), names),
            )
        )
    return blocks
