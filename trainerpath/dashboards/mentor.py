"""The mentor's (and admin's) candidates table and review queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock, queries
from trainerpath.dashboards.candidate import EvidenceRow, as_evidence_rows
from trainerpath.dashboards.common import (
    PENDING,
    aware,
    days_since,
    matches_name_or_email,
)
from trainerpath.models import EvidenceBase, User
from trainerpath.services.evidence_kinds import KINDS


def visible_candidates(session: Session, viewer: User, q: str | None = None) -> list[User]:
    """The candidates ``viewer`` may see (a mentor: assigned ones; an admin: all), by name."""
    stmt = queries.visible_candidates_stmt(viewer).order_by(None)
    if q:
        stmt = stmt.where(matches_name_or_email(q))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())


@dataclass(frozen=True)
class QueueItem:
    """An evidence item waiting for review."""

    row: EvidenceRow
    candidate: User
    waiting_since: datetime
    days_waiting: int
    updated: bool  # changed by the candidate after it was first submitted

    @property
    def dom_id(self) -> str:
        """The id of the item's element on the page."""
        return f"review-{self.row.kind.slug}-{self.row.item.id}"


def _changed_after_logging(item: EvidenceBase) -> bool:
    # Both stamps are set a moment apart when an item is logged; a correction comes later.
    return aware(item.updated_at) - aware(item.created_at) > timedelta(seconds=1)


def reviews_waiting(session: Session, viewer: User) -> int:
    """How many evidence items wait for ``viewer``'s review (the queue's length, counted)."""
    visible = session.execute(
        select(col(User.id)).where(queries.visible_to(viewer, col(User.id)))
    ).scalars()
    counts = queries.pending_review_counts(session, (user_id for user_id in visible if user_id))
    return sum(counts.values(), 0)


def review_queue(
    session: Session,
    viewer: User,
    candidate_id: int | None = None,
    today: date | None = None,
) -> list[QueueItem]:
    """Pending evidence of the candidates ``viewer`` may review, the longest waiting first."""
    today = today or clock.today()
    items: list[QueueItem] = []
    for kind in KINDS.values():
        model = kind.model
        stmt = (
            select(model, User)
            .join(User, col(User.id) == col(model.candidate_id))
            .where(
                col(model.review_status) == PENDING,
                queries.visible_to(viewer, col(model.candidate_id)),
            )
        )
        if candidate_id is not None:
            stmt = stmt.where(col(model.candidate_id) == candidate_id)
        found = list(session.execute(stmt))
        rows = as_evidence_rows(session, kind, [item for item, _user in found])
        for row, (item, candidate) in zip(rows, found, strict=True):
            since = aware(item.updated_at)
            items.append(
                QueueItem(
                    row=row,
                    candidate=candidate,
                    waiting_since=since,
                    days_waiting=days_since(since, today) or 0,
                    updated=_changed_after_logging(item),
                )
            )
    items.sort(key=lambda q: (q.waiting_since, q.row.kind.slug, q.row.item.id or 0))
    return items


def queue_item(
    session: Session, slug: str, item: EvidenceBase, today: date | None = None
) -> QueueItem:
    """One evidence item in the shape of a review-queue entry (after it was reviewed)."""
    today = today or clock.today()
    candidate = session.get(User, item.candidate_id)
    assert candidate is not None
    since = aware(item.updated_at)
    return QueueItem(
        row=as_evidence_rows(session, KINDS[slug], [item])[0],
        candidate=candidate,
        waiting_since=since,
        days_waiting=days_since(since, today) or 0,
        updated=_changed_after_logging(item),
    )
