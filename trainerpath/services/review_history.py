"""Review history: every decision on an evidence item, kept append-only.

``record_review`` writes one row in the transaction of the decision, with the item's
field values as the reviewer saw them (trainerpath.dashboards.reviews reads them back
and shows what changed since).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from trainerpath.models import EvidenceBase, ReviewRecord, User, aware

from .evidence_kinds import EvidenceKind


def _stored(value: Any) -> Any:
    """A field value as JSON holds it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def snapshot_of(kind: EvidenceKind, item: EvidenceBase) -> dict[str, Any]:
    """The kind's own fields of the item, as the history stores them."""
    return {name: _stored(value) for name, value in kind.values_of(item).items()}


def record_review(
    session: Session, *, kind: EvidenceKind, item: EvidenceBase, actor: User, at: datetime
) -> ReviewRecord:
    """Append the item's (just written) review decision to its history."""
    assert item.id is not None and actor.id is not None
    submitted = aware(item.updated_at)
    row = ReviewRecord(
        evidence_kind=kind.slug,
        evidence_id=item.id,
        candidate_id=item.candidate_id,
        decision=item.review_status,
        note=item.review_note,
        reviewer_id=actor.id,
        at=at,
        submitted_at=submitted,
        waited_seconds=max(0, int((aware(at) - submitted).total_seconds())),
        snapshot=snapshot_of(kind, item),
    )
    session.add(row)
    return row
