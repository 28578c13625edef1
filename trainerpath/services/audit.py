"""The audit trail: one row per change to someone's record, in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from trainerpath.models import AuditEntry, User


def record(
    session: Session,
    *,
    actor: User | None,
    candidate_id: int | None,
    action: str,
    subject: str,
    detail: str | None = None,
) -> None:
    """Append an audit row; it commits or rolls back with the change it describes."""
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            candidate_id=candidate_id,
            action=action,
            subject=subject,
            detail=detail,
        )
    )
