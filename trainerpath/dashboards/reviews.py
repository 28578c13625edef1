"""Review history and turnaround, as the review pages show them.

The history of an item is read from ``evidence_reviews`` (services/review_history.py
writes it); turnaround is computed in SQL on both databases. Percentiles are those of
PostgreSQL's ``percentile_cont``: sort an item's waits, take position p·(n-1) (counting
from 0) and interpolate linearly between the two nearest ranks. SQLite has no
``percentile_cont``, so one portable statement finds the ranks with ``row_number()`` and
``count()`` windows and interpolates; whole-number arithmetic keeps it exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.dashboards.candidate import display_value
from trainerpath.dashboards.common import PENDING, REJECTED
from trainerpath.evidence_rows import inline_text
from trainerpath.models import (
    EVIDENCE_MODELS,
    EvidenceBase,
    Mentorship,
    ReviewRecord,
    Role,
    User,
    table_of,
    utcnow,
)
from trainerpath.services.evidence_kinds import evidence_kind
from trainerpath.services.review_history import snapshot_of

TURNAROUND_DAYS = 90
# Pending items by how long they have waited: (label, from days, up to days).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Under 3 days", 0, 3),
    ("3 to 7 days", 3, 7),
    ("7 to 14 days", 7, 14),
    ("Over 14 days", 14, None),
)


@dataclass(frozen=True)
class PastReview:
    """One earlier decision on an item, with the reviewer's name."""

    record: ReviewRecord
    reviewer: str


@dataclass(frozen=True)
class FieldChange:
    """A field whose value differs from what the last reviewer saw."""

    label: str
    before: str
    now: str


def histories_by_key(
    session: Session, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], list[PastReview]]:
    """The review history of items of any kinds, named by (kind, id), oldest first: one
    statement."""
    ids: dict[str, set[int]] = {}
    for slug, item_id in keys:
        ids.setdefault(slug, set()).add(item_id)
    if not ids:
        return {}
    wanted = or_(
        *(
            and_(
                col(ReviewRecord.evidence_kind) == slug,
                col(ReviewRecord.evidence_id).in_(sorted(of_kind)),
            )
            for slug, of_kind in ids.items()
        )
    )
    stmt = (
        select(ReviewRecord, col(User.name))
        .join(User, col(User.id) == col(ReviewRecord.reviewer_id))
        .where(wanted)
        .order_by(col(ReviewRecord.evidence_id), col(ReviewRecord.id))
    )
    found: dict[tuple[str, int], list[PastReview]] = {}
    for record, name in session.execute(stmt):
        key = (record.evidence_kind, record.evidence_id)
        found.setdefault(key, []).append(PastReview(record, name))
    return found


def history_of(session: Session, slug: str, item_ids: Iterable[int]) -> dict[int, list[PastReview]]:
    """The review history of each named item of one kind, oldest first: one statement."""
    found = histories_by_key(session, [(slug, item_id) for item_id in item_ids])
    return {item_id: reviews for (_slug, item_id), reviews in found.items()}


def changes_since(slug: str, item: EvidenceBase, history: list[PastReview]) -> list[FieldChange]:
    """The fields that differ from the last review's snapshot (none without a review)."""
    if not history:
        return []
    kind = evidence_kind(slug)
    before = history[-1].record.snapshot
    now = snapshot_of(kind, item)
    return [
        FieldChange(
            spec.label,
            display_value(spec, before.get(spec.name)),
            display_value(spec, now.get(spec.name)),
        )
        for spec in kind.fields
        if before.get(spec.name) != now.get(spec.name)
    ]


@dataclass(frozen=True)
class ItemHistory:
    """An item's earlier reviews and, if it was reviewed before, what changed since."""

    reviews: list[PastReview]
    changes: list[FieldChange]
    resubmitted: bool  # it waits for review again after a rejection


def histories_of_items(
    session: Session, items: Iterable[tuple[str, EvidenceBase]]
) -> dict[tuple[str, int], ItemHistory]:
    """Each (kind, item)'s history and changes since its last review: one statement."""
    listed = [(slug, item) for slug, item in items if item.id is not None]
    found = histories_by_key(session, [(slug, item.id or 0) for slug, item in listed])
    histories: dict[tuple[str, int], ItemHistory] = {}
    for slug, item in listed:
        reviews = found.get((slug, item.id or 0), [])
        histories[slug, item.id or 0] = ItemHistory(
            reviews=reviews,
            changes=changes_since(slug, item, reviews),
            resubmitted=bool(reviews)
            and reviews[-1].record.decision == REJECTED
            and item.review_status == PENDING,
        )
    return histories


def item_histories(
    session: Session, slug: str, items: Iterable[EvidenceBase]
) -> dict[int, ItemHistory]:
    """Each item's history and changes since its last review, by item id."""
    found = histories_of_items(session, [(slug, item) for item in items])
    return {item_id: history for (_slug, item_id), history in found.items()}


# -- Turnaround ----------------------------------------------------------------------


@dataclass(frozen=True)
class Turnaround:
    """A mentor's workload and speed: what the review pages show per mentor."""

    mentor_id: int
    name: str
    candidates: int  # assigned now
    reviews: int  # decisions in the last TURNAROUND_DAYS days
    median_seconds: float | None
    p90_seconds: float | None
    waiting: tuple[int, ...]  # pending items of their candidates, per AGE_BANDS

    @property
    def waiting_total(self) -> int:
        """Everything that waits for them."""
        return sum(self.waiting)


def _cont(rank: Any, count: Any, value: Any, tenths: int) -> Any:
    """percentile_cont(tenths/10) of ``value`` within each group, from 0-based ranks.

    The position is tenths·(n-1)/10: its whole part ``low`` and the next rank ``high``
    (the same when the position is whole), interpolated by the remainder in tenths.
    """
    position = (count - 1) * tenths
    low = func.max(case((rank == position // 10, value)))
    high = func.max(case((rank == (position + 9) // 10, value)))
    return low + (high - low) * func.max(position % 10) / 10.0


def _percentiles(one: bool) -> Any:
    """Per reviewer (or only ``:mentor_id``): decisions since ``:since``, and the median
    and 90th percentile wait."""
    waited = col(ReviewRecord.waited_seconds)
    reviewer = col(ReviewRecord.reviewer_id)
    ranked = (
        select(
            reviewer.label("reviewer_id"),
            waited.label("waited"),
            (
                func.row_number().over(
                    partition_by=reviewer, order_by=(waited, col(ReviewRecord.id))
                )
                - 1
            ).label("rank"),
            func.count().over(partition_by=reviewer).label("n"),
        )
        .where(
            col(ReviewRecord.at) >= bindparam("since", type_=table_of(ReviewRecord).c.at.type),
            *_only(reviewer, one),
        )
        .subquery("ranked")
    )
    rank, n, value = ranked.c.rank, ranked.c.n, ranked.c.waited
    return (
        select(
            ranked.c.reviewer_id,
            func.count().label("reviews"),
            _cont(rank, n, value, 5).label("median"),
            _cont(rank, n, value, 9).label("p90"),
        )
        .group_by(ranked.c.reviewer_id)
        .subquery("turnaround")
    )


def _waiting_by_band(one: bool) -> Any:
    """Per mentor: the pending items of their assigned candidates, counted per age band
    (``:days_<n>`` is the moment n days ago).

    Each evidence table is joined with the active mentorships on its own, so the items
    are found per candidate through the (candidate_id, review_status) index: one
    mentor's figures read only their candidates' items.
    """
    mentorships = [col(Mentorship.ended_at).is_(None), *_only(col(Mentorship.mentor_id), one)]
    pending = union_all(
        *(
            select(
                col(Mentorship.mentor_id).label("mentor_id"),
                col(model.updated_at).label("since"),
            )
            .join(Mentorship, col(Mentorship.candidate_id) == col(model.candidate_id))
            .where(col(model.review_status) == inline_text(PENDING), *mentorships)
            for model in EVIDENCE_MODELS.values()
        )
    ).subquery("pending")
    bands: list[Any] = []
    for _label, low, high in AGE_BANDS:
        older = pending.c.since <= _days_ago(low, pending.c.since.type)
        newer = (
            pending.c.since > _days_ago(high, pending.c.since.type) if high is not None else None
        )
        condition: ColumnElement[bool] = and_(older, newer) if newer is not None else older
        bands.append(func.count(case((condition, 1))).label(f"band{len(bands)}"))
    return select(pending.c.mentor_id, *bands).group_by(pending.c.mentor_id).subquery("waiting")


def _candidate_counts(one: bool) -> Any:
    return (
        select(col(Mentorship.mentor_id).label("mentor_id"), func.count().label("candidates"))
        .where(col(Mentorship.ended_at).is_(None), *_only(col(Mentorship.mentor_id), one))
        .group_by(col(Mentorship.mentor_id))
        .subquery("assigned")
    )


def _only(column: Any, one: bool) -> list[ColumnElement[bool]]:
    """No condition for every mentor, else ``column`` is the one mentor ``:mentor_id`` (so
    one mentor's figures read only their rows)."""
    return [column == bindparam("mentor_id", type_=Integer)] if one else []


def _days_ago(days: int, type_: Any) -> Any:
    return bindparam(f"days_{days}", type_=type_)


def _turnaround_params(now: datetime, mentor_id: int | None = None) -> dict[str, Any]:
    """The values of the statement's parameters as of ``now``."""
    edges = {days for _label, low, high in AGE_BANDS for days in (low, high) if days is not None}
    return {
        "since": now - timedelta(days=TURNAROUND_DAYS),
        "mentor_id": mentor_id,
        **{f"days_{days}": now - timedelta(days=days) for days in edges},
    }


@cache
def _turnaround_stmt(one: bool) -> Select[Any]:
    """Built once: every active mentor's turnaround (``one``: only ``:mentor_id``'s)."""
    speed = _percentiles(one)
    waiting = _waiting_by_band(one)
    assigned = _candidate_counts(one)
    bands = [func.coalesce(waiting.c[f"band{i}"], 0) for i in range(len(AGE_BANDS))]
    return (
        select(
            col(User.id),
            col(User.name),
            func.coalesce(assigned.c.candidates, 0),
            func.coalesce(speed.c.reviews, 0),
            speed.c.median,
            speed.c.p90,
            *bands,
        )
        .outerjoin(speed, speed.c.reviewer_id == col(User.id))
        .outerjoin(waiting, waiting.c.mentor_id == col(User.id))
        .outerjoin(assigned, assigned.c.mentor_id == col(User.id))
        .where(
            col(User.role) == Role.MENTOR.value,
            col(User.is_active).is_(True),
            *_only(col(User.id), one),
        )
        .order_by(*(band.desc() for band in reversed(bands)), col(User.name), col(User.id))
    )


def _row(found: Any) -> Turnaround:
    mentor_id, name, candidates, reviews, median, p90, *waiting = found
    return Turnaround(
        mentor_id=mentor_id,
        name=name,
        candidates=int(candidates),
        reviews=int(reviews),
        median_seconds=float(median) if median is not None else None,
        p90_seconds=float(p90) if p90 is not None else None,
        waiting=tuple(int(n) for n in waiting),
    )


def turnaround_of(session: Session, mentor: User, now: datetime | None = None) -> Turnaround:
    """One mentor's turnaround over the last 90 days and what waits for them, by age."""
    params = _turnaround_params(now or utcnow(), mentor.id)
    return _row(session.execute(_turnaround_stmt(True), params).one())


MENTORS_SHOWN = 25  # the admin's table: the busiest mentors; it must not grow with them all


def turnaround_by_mentor(
    session: Session, now: datetime | None = None, limit: int | None = None
) -> list[Turnaround]:
    """Active mentors' turnaround and waiting items: those with the most items in the
    oldest band first (then the next band...), so an overloaded mentor tops the list;
    the first ``limit`` of them, if given."""
    stmt = _turnaround_stmt(False)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_row(found) for found in session.execute(stmt, _turnaround_params(now or utcnow()))]


@dataclass(frozen=True)
class TurnaroundView:
    """What the review page shows of turnaround: a mentor's own, or every mentor's."""

    own: Turnaround | None
    mentors: list[Turnaround]
    more: bool = False  # the admin's table shows the busiest MENTORS_SHOWN of more mentors
    bands: tuple[str, ...] = tuple(label for label, _low, _high in AGE_BANDS)
    days: int = TURNAROUND_DAYS
    as_of: datetime | None = None  # the admin's table: when it was computed...
    kept_seconds: int = 0  # ...and how long it is shown again before it is counted anew


CACHE_KEY = "trainerpath.turnaround"  # app.extensions: the admin's table, as last computed


def turnaround_for(session: Session, viewer: User) -> TurnaroundView:
    """A mentor's own turnaround, or (for an admin) every mentor's side by side.

    A mentor's own figures read only their candidates' rows and are always current.
    The admin's table reads every waiting item and every review of the last 90 days, so
    each worker reuses it for ``TURNAROUND_CACHE_SECONDS`` and the page says as of when.
    """
    if viewer.role != Role.ADMIN:
        return TurnaroundView(turnaround_of(session, viewer), [])
    now = utcnow()
    kept: TurnaroundView | None = current_app.extensions.get(CACHE_KEY)
    seconds: int = current_app.config["TURNAROUND_CACHE_SECONDS"]
    keep_for = timedelta(seconds=seconds)
    if kept is not None and kept.as_of is not None and timedelta(0) <= now - kept.as_of < keep_for:
        return kept
    mentors = turnaround_by_mentor(session, now, limit=MENTORS_SHOWN + 1)
    view = TurnaroundView(
        None,
        mentors[:MENTORS_SHOWN],
        more=len(mentors) > MENTORS_SHOWN,
        as_of=now,
        kept_seconds=seconds,
    )
    current_app.extensions[CACHE_KEY] = view
    return view
