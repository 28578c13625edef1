"""The admin's pages: users, mentorships, the audit trail and full histories."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from trainerpath import queries
from trainerpath.dashboards.common import matches_name_or_email
from trainerpath.dashboards.enrollment import HistoryRow, history_rows
from trainerpath.models import AuditEntry, Mentorship, Role, User
from trainerpath.pathways import ruleset_for
from trainerpath.services.pathways import state_label, transition_histories


@dataclass(frozen=True)
class UserRow:
    """A user in the admin's list, with their mentoring links."""

    user: User
    mentors: list[str] = field(default_factory=list)
    mentees: int = 0


def user_rows(session: Session, role: str = "", q: str = "") -> list[UserRow]:
    """Every user (optionally of one role or matching a search), by name."""
    stmt = select(User)
    if role in {r.value for r in Role}:
        stmt = stmt.where(col(User.role) == role)
    if q:
        stmt = stmt.where(matches_name_or_email(q))
    users = list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())
    mentor = aliased(User)
    links = session.execute(
        select(col(Mentorship.mentor_id), col(Mentorship.candidate_id), col(mentor.name))
        .join(mentor, col(mentor.id) == col(Mentorship.mentor_id))
        .where(col(Mentorship.ended_at).is_(None))
    ).all()
    mentors: dict[int, list[str]] = {}
    mentees: dict[int, int] = {}
    for mentor_id, candidate_id, mentor_name in links:
        mentors.setdefault(candidate_id, []).append(mentor_name)
        mentees[mentor_id] = mentees.get(mentor_id, 0) + 1
    return [
        UserRow(user, sorted(mentors.get(user.id or 0, [])), mentees.get(user.id or 0, 0))
        for user in users
    ]


def users_with_role(session: Session, role: str, active_only: bool = True) -> list[User]:
    """Users of one role, by name (for pickers)."""
    stmt = select(User).where(col(User.role) == role)
    if active_only:
        stmt = stmt.where(col(User.is_active).is_(True))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())


@dataclass(frozen=True)
class MentorshipRow:
    """An active mentor assignment."""

    mentorship: Mentorship
    mentor: str
    candidate: str


def active_mentorships(session: Session) -> list[MentorshipRow]:
    """Every active mentor assignment, by mentor then candidate."""
    mentor, candidate = aliased(User), aliased(User)
    stmt = (
        select(Mentorship, col(mentor.name), col(candidate.name))
        .join(mentor, col(mentor.id) == col(Mentorship.mentor_id))
        .join(candidate, col(candidate.id) == col(Mentorship.candidate_id))
        .where(col(Mentorship.ended_at).is_(None))
        .order_by(col(mentor.name), col(candidate.name))
    )
    return [
        MentorshipRow(mentorship, mentor_name, candidate_name)
        for mentorship, mentor_name, candidate_name in session.execute(stmt)
    ]


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail."""

    entry: AuditEntry
    actor: str
    candidate: str | None


AUDIT_PAGE = 50


def audit_trail(
    session: Session, candidate_id: int | None = None, page: int = 1
) -> tuple[list[AuditRow], int]:
    """A page of the audit trail, newest first, and the number of entries in all."""
    actor, candidate = aliased(User), aliased(User)
    where = [] if candidate_id is None else [col(AuditEntry.candidate_id) == candidate_id]
    total = session.execute(select(func.count()).select_from(AuditEntry).where(*where)).scalar_one()
    stmt = (
        select(AuditEntry, col(actor.name), col(candidate.name))
        .outerjoin(actor, col(actor.id) == col(AuditEntry.actor_id))
        .outerjoin(candidate, col(candidate.id) == col(AuditEntry.candidate_id))
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(AUDIT_PAGE)
        .offset((max(page, 1) - 1) * AUDIT_PAGE)
    )
    rows = [
        AuditRow(entry, actor_name or "the system", candidate_name)
        for entry, actor_name, candidate_name in session.execute(stmt)
    ]
    return rows, int(total)


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
