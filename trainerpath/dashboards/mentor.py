"""The mentor's (and admin's) candidates table and review queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, or_, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock, queries
from trainerpath.dashboards.candidate import EvidenceRow, evidence_row, evidence_rows
from trainerpath.dashboards.common import (
    PENDING,
    aware,
    days_since,
)
from trainerpath.dashboards.reviews import ItemHistory, histories_of_items, item_histories
from trainerpath.evidence_rows import inline_text
from trainerpath.models import EvidenceBase, Role, User
from trainerpath.paging import COUNT_LIMIT, Page, PageRequest, paginate
from trainerpath.services.attachments import attachments_by_key
from trainerpath.services.evidence import SeenItem
from trainerpath.services.evidence_kinds import KINDS, EvidenceKind

FILTER_CHOICES = 200  # candidates the queue's filter lists


@dataclass(frozen=True)
class QueueItem:
    """An evidence item waiting for review."""

    row: EvidenceRow
    candidate: User
    waiting_since: datetime
    days_waiting: int
    updated: bool  # changed by the candidate after it was first submitted
    history: ItemHistory  # earlier reviews, and what changed since

    @property
    def seen(self) -> str:
        """The item as this page shows it, for "Verify selected" to check it is unchanged."""
        return SeenItem.of(self.row.kind.slug, self.row.item).token

    @property
    def dom_id(self) -> str:
        """The id of the item's element on the page."""
        return f"review-{self.row.kind.slug}-{self.row.item.id}"


def _changed_after_logging(item: EvidenceBase) -> bool:
    # Both stamps are set a moment apart when an item is logged; a correction comes later.
    return aware(item.updated_at) - aware(item.created_at) > timedelta(seconds=1)


def _waiting(
    viewer: User,
    candidate_id: int | None = None,
    first: int | None = None,
    kind: str | None = None,
) -> Select[Any]:
    """The pending items ``viewer`` may review (of one candidate, if given) as rows of
    (kind, id), the longest waiting first, in one statement over every evidence table.

    An admin's queue holds every candidate's items: with ``first``, each table then gives
    only its ``first`` longest waiting (enough for the first ``first`` of all), read in
    the order of its (review_status, updated_at, id) index, so a queue of 169,000 items
    costs what a small one does. A mentor's items are found through their mentorships
    and the (candidate_id, review_status) index, then sorted: bounded by their own
    candidates (an index-ordered read could walk everyone's items to find none of theirs).
    """
    limited = first if viewer.role == Role.ADMIN else None
    return _waiting_stmt(viewer.role, viewer.id, candidate_id, limited, kind)


@lru_cache(maxsize=128)  # the latest viewers, filters and pages; a few KiB each
def _waiting_stmt(
    role: str, viewer_id: int | None, candidate_id: int | None, first: int | None, kind: str | None
) -> Select[Any]:
    """``_waiting``, built once per viewer and filter (a page builds it up to three times)."""
    parts: list[Any] = []
    for slug, spec in KINDS.items():
        if kind is not None and slug != kind:
            continue
        model = spec.model
        conditions = [
            # Written into the SQL: PostgreSQL then plans the prepared statement once
            # (a generic plan) instead of anew on every execution, as it does with the
            # status bound, whose selectivity a generic plan cannot know.
            col(model.review_status) == inline_text(PENDING),
            queries.visible_to_user(role, viewer_id, col(model.candidate_id)),
        ]
        if candidate_id is not None:
            conditions.append(col(model.candidate_id) == candidate_id)
        part: Any = select(
            inline_text(slug).label("kind"),
            col(model.id).label("id"),
            col(model.updated_at).label("since"),
        ).where(*conditions)
        if first is not None:
            ordered = part.order_by(col(model.updated_at), col(model.id)).limit(first)
            part = select(ordered.subquery())
        parts.append(part)
    waiting = union_all(*parts).subquery("waiting")
    return select(waiting.c.kind, waiting.c.id).order_by(
        waiting.c.since, waiting.c.id, waiting.c.kind
    )


def reviews_waiting(
    session: Session, viewer: User, candidate_id: int | None = None, kind: str | None = None
) -> str:
    """How many evidence items (of one candidate, of one kind, if given) wait for
    ``viewer``'s review, as the badge says it.

    Counted up to COUNT_LIMIT (then "1000+"), as the queue's own page does, so an
    admin's badge costs the same with 169,000 items waiting as with 10.
    """
    first = _waiting(viewer, candidate_id, COUNT_LIMIT + 1, kind).limit(COUNT_LIMIT + 1)
    counted = select(func.count()).select_from(first.order_by(None).subquery())
    found = int(session.execute(counted).scalar_one())
    return f"{COUNT_LIMIT}+" if found > COUNT_LIMIT else str(found)


def review_queue(
    session: Session,
    viewer: User,
    wanted: PageRequest,
    candidate_id: int | None = None,
    today: date | None = None,
    kind: str | None = None,
) -> Page[QueueItem]:
    """A page of the pending evidence ``viewer`` may review (of one candidate, of one
    kind, if given), the longest waiting first; ties in order of id."""
    found = paginate(
        session,
        _waiting(viewer, candidate_id, wanted.reach, kind),
        wanted,
        COUNT_LIMIT,
        counted=_waiting(viewer, candidate_id, wanted.count_cap(COUNT_LIMIT), kind),
    )
    return found.with_items(queue_items(session, found.items, today))


def waiting_for_review(session: Session, viewer: User, today: date) -> list[QueueItem]:
    """Every item ``viewer`` may review, the longest waiting first (the daily digest)."""
    keys = [(slug, item_id) for slug, item_id in session.execute(_waiting(viewer))]
    return queue_items(session, keys, today)


@cache
def _items_stmt(slug: str) -> Any:
    """Built once a kind: its items ``:ids`` with their candidates and reviewers' names."""
    model = KINDS[slug].model
    items = (
        select(model, User)
        .join(User, col(User.id) == col(model.candidate_id))
        .where(col(model.id).in_(bindparam("ids", expanding=True)))
    )
    return queries.with_reviewer_name(items, model)


def queue_items(
    session: Session, keys: Sequence[tuple[str, int]], today: date | None = None
) -> list[QueueItem]:
    """The evidence items named by (kind, id), in that order, as review-queue entries,
    with their candidates and reviewers joined: one statement a kind."""
    today = today or clock.today()
    ids: dict[str, list[int]] = {}
    for slug, item_id in keys:
        ids.setdefault(slug, []).append(item_id)
    loaded: list[tuple[str, EvidenceBase, User, str | None]] = []
    for slug, wanted in ids.items():
        found = session.execute(_items_stmt(slug), {"ids": wanted})
        loaded.extend((slug, item, candidate, reviewer) for item, candidate, reviewer in found)
    # The proof and the review history of every kind on the page: one statement each.
    proof = attachments_by_key(session, keys)
    histories = histories_of_items(session, [(slug, item) for slug, item, _c, _r in loaded])
    entries: dict[tuple[str, int], QueueItem] = {}
    for slug, item, candidate, reviewer in loaded:
        assert item.id is not None
        since = aware(item.updated_at)
        row = evidence_row(KINDS[slug], item, reviewer)
        entries[slug, item.id] = QueueItem(
            row=replace(row, attachments=proof.get((slug, item.id), ())),
            candidate=candidate,
            waiting_since=since,
            days_waiting=days_since(since, today) or 0,
            updated=_changed_after_logging(item),
            history=histories[slug, item.id],
        )
    return [entries[key] for key in keys if key in entries]


def queue_item(
    session: Session, slug: str, item: EvidenceBase, today: date | None = None
) -> QueueItem:
    """One evidence item in the shape of a review-queue entry (after it was reviewed)."""
    assert item.id is not None
    return queue_items(session, [(slug, item.id)], today)[0]


def candidates_waiting(
    session: Session, viewer: User, limit: int = FILTER_CHOICES
) -> list[tuple[int, str]]:
    """The candidates with evidence waiting for ``viewer``, by name (the queue's filter):
    at most ``limit`` (anyone else is reached from their own page).

    Read in name order, each candidate probed for a pending item through the
    (candidate_id, review_status) indexes: it stops after ``limit`` found, so it costs
    the same however many items wait in all.
    """
    waiting = or_(
        *(
            exists().where(
                col(spec.model.candidate_id) == col(User.id),
                col(spec.model.review_status) == PENDING,
            )
            for spec in KINDS.values()
        )
    )
    stmt = (
        select(col(User.id), col(User.name))
        .where(
            col(User.role) == Role.CANDIDATE.value,
            queries.visible_to(viewer, col(User.id)),
            waiting,
        )
        .order_by(col(User.name), col(User.id))
        .limit(limit)
    )
    return [(int(person_id or 0), name) for person_id, name in session.execute(stmt)]


@dataclass(frozen=True)
class CandidateEvidence:
    """One kind of a candidate's evidence, as their mentor reads it: counts per kind and
    status, a page of the items (of one status, if given) and each item's review history."""

    candidate: User
    kind: EvidenceKind
    status: str | None
    counts: dict[str, dict[str, int]]
    listing: Page[EvidenceRow]
    histories: dict[int, ItemHistory]


def candidate_evidence(
    session: Session, candidate: User, slug: str, status: str | None, wanted: PageRequest
) -> CandidateEvidence:
    """A page of the candidate's items of one kind, newest first, with their histories."""
    assert candidate.id is not None
    listing = evidence_rows(session, candidate.id, slug, wanted, status)
    return CandidateEvidence(
        candidate=candidate,
        kind=KINDS[slug],
        status=status,
        counts=queries.evidence_counts(session, candidate.id),
        listing=listing,
        histories=item_histories(session, slug, [row.item for row in listing.items]),
    )
