"""Who may see whose record: the candidate, their assigned mentors, and admins."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import Mentorship, Role, User, Viewer

from .errors import NotFound


def is_assigned_mentor(session: Session, mentor_id: int, candidate_id: int) -> bool:
    """Whether an active mentorship links this mentor to this candidate."""
    stmt = select(
        exists().where(
            col(Mentorship.mentor_id) == mentor_id,
            col(Mentorship.candidate_id) == candidate_id,
            col(Mentorship.ended_at).is_(None),
        )
    )
    return bool(session.execute(stmt).scalar())


def can_view(session: Session, viewer: Viewer, candidate_id: int) -> bool:
    """Whether ``viewer`` may see the candidate's record."""
    if viewer.role == Role.ADMIN:
        return True
    if viewer.role == Role.CANDIDATE:
        return viewer.id == candidate_id
    assert viewer.id is not None
    return is_assigned_mentor(session, viewer.id, candidate_id)


def can_review(session: Session, viewer: Viewer, candidate_id: int) -> bool:
    """Whether ``viewer`` may review the candidate's evidence and record outcomes."""
    return viewer.role != Role.CANDIDATE and can_view(session, viewer, candidate_id)


def visible_candidate(session: Session, viewer: Viewer, candidate_id: int) -> User:
    """Return the candidate if ``viewer`` may see them, else refuse with NotFound."""
    candidate = session.get(User, candidate_id)
    if (
        candidate is None
        or candidate.role != Role.CANDIDATE
        or not can_view(session, viewer, candidate_id)
    ):
        raise NotFound("No such candidate.")
    return candidate
