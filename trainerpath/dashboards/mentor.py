"""The mentor's (and admin's) candidates table and review queue."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock, queries
from trainerpath.dashboards.candidate import EvidenceRow, as_evidence_rows
from trainerpath.dashboards.common import (
    PENDING,
    aware,
    days_since,
    format_day,
    format_number,
    matches_name_or_email,
)
from trainerpath.models import AuditEntry, Enrollment, EvidenceBase, Role, Standing, User
from trainerpath.pathways import CURRENT, Ruleset, ruleset_for
from trainerpath.pathways.vocabulary import Duration
from trainerpath.services import standings
from trainerpath.services.evidence_kinds import KINDS
from trainerpath.services.standings import Summary


def visible_candidates(session: Session, viewer: User, q: str | None = None) -> list[User]:
    """The candidates ``viewer`` may see (a mentor: assigned ones; an admin: all), by name."""
    stmt = queries.visible_candidates_stmt(viewer).order_by(None)
    if q:
        stmt = stmt.where(matches_name_or_email(q))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())


def last_activity(session: Session, viewer: User) -> dict[int, datetime]:
    """When each candidate ``viewer`` may see last did something themselves."""
    stmt = (
        select(col(AuditEntry.candidate_id), func.max(col(AuditEntry.at)))
        .where(
            queries.visible_to(viewer, col(AuditEntry.candidate_id)),
            col(AuditEntry.actor_id) == col(AuditEntry.candidate_id),
        )
        .group_by(col(AuditEntry.candidate_id))
    )
    return {
        candidate_id: aware(at)
        for candidate_id, at in session.execute(stmt)
        if candidate_id is not None and at is not None
    }


@dataclass(frozen=True)
class CandidateRow:
    """One line of the mentor's candidates table: a candidate in one pathway."""

    candidate: User
    enrollment: Enrollment | None
    pathway: str
    pathway_title: str
    state_label: str
    met: int
    total: int
    progress_pct: int
    progress_text: str
    pending_reviews: int
    last_activity: datetime
    idle_days: int
    stage: float  # how far along the path, 0 (start) to 1 (done); -1 when not enrolled
    ageing: str | None = None  # a met requirement that ageing evidence makes unmet soon


AGEING_FLAG_DAYS = 90  # how far ahead the table flags requirements about to become unmet


def ageing_flag(ruleset: Ruleset, summary: Summary | None, today: date) -> str | None:
    """Name the met requirement that falls below its target first, if within 90 days.

    "Ageing: Qualifying training events fall below 10 on 1 Mar 2027".
    """
    if summary is None or summary.shortfall_on is None or summary.shortfall_key is None:
        return None
    if summary.shortfall_on > today + timedelta(days=AGEING_FLAG_DAYS):
        return None
    need = ruleset.requirements[summary.shortfall_key]
    target = format_number(need.target)
    fall = (
        f"falls below {target} {need.unit}"
        if isinstance(need, Duration)
        else f"fall below {target}"
    )
    return f"Ageing: {need.label} {fall} on {format_day(summary.shortfall_on)}"


SORT_KEYS = ("name", "pathway", "state", "progress", "pending", "activity")


@dataclass(frozen=True)
class CandidateFilters:
    """What the candidates table shows: search, pathway, waiting or ageing only, sort order."""

    q: str = ""
    pathway: str = ""
    waiting: bool = False
    ageing: bool = False
    sort: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, args: Any) -> CandidateFilters:
        """Read the filters from query parameters, ignoring values that make no sense."""
        pathway = args.get("pathway", "")
        sort = args.get("sort", "name")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            pathway=pathway if pathway in (*CURRENT, "none") else "",
            waiting=args.get("waiting") in ("1", "on", "true"),
            ageing=args.get("ageing") in ("1", "on", "true"),
            sort=sort if sort in SORT_KEYS else "name",
            descending=args.get("dir") == "desc",
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """The query parameters of these filters with ``changes`` applied."""
        values = {
            "q": self.q,
            "pathway": self.pathway,
            "waiting": "1" if self.waiting else "",
            "ageing": "1" if self.ageing else "",
            "sort": self.sort,
            "dir": "desc" if self.descending else "",
        } | {key: str(value) for key, value in changes.items()}
        return {key: value for key, value in values.items() if value}

    @property
    def narrowed(self) -> bool:
        """Whether any filter leaves rows out."""
        return bool(self.q or self.pathway or self.waiting or self.ageing)

    def sort_query(self, key: str) -> dict[str, str]:
        """The parameters that sort by ``key``; a second click reverses the order."""
        descending = not self.descending if key == self.sort else key in ("pending", "activity")
        return self.query(sort=key, dir="desc" if descending else "")

    def aria_sort(self, key: str) -> str:
        """The aria-sort value of a column header."""
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"


def _stage(ruleset: Ruleset, enrollment: Enrollment) -> float:
    """How far along its path an enrollment is (a withdrawn one where it stopped)."""
    withdrawn = ruleset.withdrawn_state
    path = [str(s.value) for s in ruleset.states if s.value != withdrawn]
    state = enrollment.withdrawn_from if enrollment.state == withdrawn else enrollment.state
    return path.index(state) / (len(path) - 1) if state in path and len(path) > 1 else 0.0


def _row(
    candidate: User,
    enrollment: Enrollment | None,
    summary: Summary | None,
    pending: int,
    active_at: datetime,
    today: date,
) -> CandidateRow:
    if enrollment is None:
        return CandidateRow(
            candidate=candidate,
            enrollment=None,
            pathway="",
            pathway_title="Not enrolled yet",
            state_label="—",
            met=0,
            total=0,
            progress_pct=0,
            progress_text="Not enrolled",
            pending_reviews=pending,
            last_activity=active_at,
            idle_days=days_since(active_at, today) or 0,
            stage=-1.0,
        )
    ruleset = ruleset_for(enrollment.ruleset)
    met, total = (summary.met, summary.total) if summary else (0, 0)
    state = ruleset.state(enrollment.state)
    if state.final:
        text, pct = f"{state.name}", 100
    elif ruleset.is_withdrawn(enrollment.state):
        text, pct = "Withdrawn", 0
    elif total:
        text, pct = f"{met} of {total} requirements met", math.floor(met / total * 100)
    else:
        text, pct = "Waiting for an outcome", 0
    return CandidateRow(
        candidate=candidate,
        enrollment=enrollment,
        pathway=enrollment.pathway,
        pathway_title=ruleset.title,
        state_label=str(state.name),
        met=met,
        total=total,
        progress_pct=pct,
        progress_text=text,
        pending_reviews=pending,
        last_activity=active_at,
        idle_days=days_since(active_at, today) or 0,
        stage=_stage(ruleset, enrollment),
        ageing=ageing_flag(ruleset, summary, today),
    )


def _last_active(candidate: User, activity: dict[int, datetime]) -> datetime:
    """When the candidate last did something themselves, else when they signed up."""
    joined = aware(candidate.created_at)
    return max(activity.get(candidate.id or 0, joined), joined)


def candidate_rows(
    session: Session, viewer: User, filters: CandidateFilters, today: date | None = None
) -> list[CandidateRow]:
    """The mentor's (or admin's) candidates table, filtered and sorted, in three queries.

    Progress and ageing come from the stored standings (measured again only where not
    current), so the cost does not grow with anyone's evidence.
    """
    today = today or clock.today()
    stmt = (
        select(User, Enrollment, *standings.SUMMARY_COLUMNS)
        .outerjoin(Enrollment, col(Enrollment.candidate_id) == col(User.id))
        .outerjoin(Standing, col(Standing.enrollment_id) == col(Enrollment.id))
        .where(col(User.role) == Role.CANDIDATE.value, queries.visible_to(viewer, col(User.id)))
    )
    if filters.q:
        stmt = stmt.where(matches_name_or_email(filters.q))
    if filters.pathway == "none":
        stmt = stmt.where(col(Enrollment.id).is_(None))
    elif filters.pathway in CURRENT:
        stmt = stmt.where(col(Enrollment.pathway) == filters.pathway)
    found = [tuple(row) for row in session.execute(stmt)]
    summaries = standings.summaries_of(
        session, [(e, stored) for _c, e, *stored in found if e is not None], today
    )
    pending = queries.pending_reviews_visible(session, viewer)
    activity = last_activity(session, viewer)
    rows = [
        _row(
            candidate,
            enrollment,
            summaries.get(enrollment.id) if enrollment is not None and enrollment.id else None,
            pending.get(candidate.id, 0),
            max(
                activity.get(candidate.id, aware(candidate.created_at)), aware(candidate.created_at)
            ),
            today,
        )
        for candidate, enrollment, *_stored in found
        if candidate.id is not None
    ]
    if filters.waiting:
        rows = [row for row in rows if row.pending_reviews]
    if filters.ageing:
        rows = [row for row in rows if row.ageing]
    sort_keys: dict[str, Any] = {
        "name": lambda r: r.candidate.name.lower(),
        "pathway": lambda r: r.pathway or "~",
        "state": lambda r: r.stage,
        "progress": lambda r: r.progress_pct,
        "pending": lambda r: r.pending_reviews,
        "activity": lambda r: r.idle_days,
    }
    # Two stable sorts: ties in the chosen column stay in name order either way.
    rows.sort(key=lambda r: (r.candidate.name.lower(), r.pathway, r.candidate.id or 0))
    rows.sort(key=sort_keys[filters.sort], reverse=filters.descending)
    return rows


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
