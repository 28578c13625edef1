"""Leave feedback for a candidate: their assigned mentor or an admin writes, they read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from trainerpath.bounds import typed_text
from trainerpath.models import Enrollment, Feedback, User

from . import audit, notifications
from .access import can_review, visible_candidate
from .errors import Forbidden, ValidationFailed
from .evidence_kinds import REQUIRED

MAX_FEEDBACK = 5000


def leave_feedback(
    *,
    session: Session,
    actor: User,
    candidate_id: int,
    body: str | None,
    enrollment_id: int | None = None,
) -> Feedback:
    """Add a note from the candidate's mentor (or an admin) to the candidate's record."""
    visible_candidate(session, actor, candidate_id)
    text = typed_text(body) if isinstance(body, str) else ""
    errors: dict[str, str] = {}
    if not text:
        errors["body"] = REQUIRED
    elif len(text) > MAX_FEEDBACK:
        errors["body"] = f"must be at most {MAX_FEEDBACK} characters"
    if enrollment_id is not None:
        enrollment = session.get(Enrollment, enrollment_id)
        if enrollment is None or enrollment.candidate_id != candidate_id:
            errors["enrollment_id"] = "must be one of the candidate's enrollments"
    if errors:
        raise ValidationFailed(errors)
    if not can_review(session, actor, candidate_id):
        raise Forbidden("Only the candidate's mentor or an admin can leave feedback.")
    assert actor.id is not None
    feedback = Feedback(
        candidate_id=candidate_id, author_id=actor.id, enrollment_id=enrollment_id, body=text
    )
    session.add(feedback)
    session.flush()
    audit.record(
        session,
        actor=actor,
        candidate_id=candidate_id,
        action="feedback.left",
        subject=f"feedback/{feedback.id}",
        detail=text if len(text) <= 200 else text[:199] + "…",
    )
    notifications.feedback_received(session, actor=actor, feedback=feedback)
    return feedback
