"""The mentor's (and admin's) candidates table and review queue."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import queries
from trainerpath.dashboards.candidate import EvidenceRow, evidence_row
from trainerpath.dashboards.common import (
    PENDING,
    aware,
    days_since,
    format_day,
    format_number,
    matches_name_or_email,
)
from trainerpath.dashboards.enrollment import shortfall
from trainerpath.models import AuditEntry, Enrollment, EvidenceBase, Role, User
from trainerpath.paging import COUNT_LIMIT, Page, PageRequest, paginate
from trainerpath.pathways import CURRENT, Requirement, Ruleset, ruleset_for
from trainerpath.pathways.vocabulary import Duration
from trainerpath.services.evidence_kinds import KINDS
from trainerpath.services.pathways import requirements_of_enrollments


def visible_candidates(session: Session, viewer: User, q: str | None = None) -> list[User]:
    """The candidates ``viewer`` may see (a mentor: assigned ones; an admin: all), by name."""
    stmt = queries.visible_candidates_stmt(viewer).order_by(None)
    if q:
        stmt = stmt.where(matches_name_or_email(q))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())


def last_activity(session: Session, candidates: Sequence[User]) -> dict[int, datetime]:
    """When each candidate last did something themselves (else when they signed up)."""
    ids = [c.id for c in candidates if c.id is not None]
    latest = {c.id: aware(c.created_at) for c in candidates if c.id is not None}
    if not ids:
        return latest
    stmt = (
        select(col(AuditEntry.candidate_id), func.max(col(AuditEntry.at)))
        .where(
            col(AuditEntry.candidate_id).in_(ids),
            col(AuditEntry.actor_id) == col(AuditEntry.candidate_id),
        )
        .group_by(col(AuditEntry.candidate_id))
    )
    for candidate_id, at in session.execute(stmt):
        if candidate_id is not None and at is not None:
            latest[candidate_id] = max(latest[candidate_id], aware(at))
    return latest


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


def ageing_flag(ruleset: Ruleset, requirements: Sequence[Requirement], today: date) -> str | None:
    """Name the first met requirement that falls below its target within 90 days, if any.

    "Ageing: Qualifying training events fall below 10 on 1 Mar 2027".
    """
    horizon = today + timedelta(days=AGEING_FLAG_DAYS)
    drops = [
        (drop.on, requirement)
        for requirement in requirements
        if (drop := shortfall(requirement)) is not None and drop.on <= horizon
    ]
    if not drops:
        return None
    on, requirement = min(drops, key=lambda pair: pair[0])
    target = format_number(requirement.target)
    if isinstance(ruleset.requirements[requirement.key], Duration):
        fall = f"falls below {target} {requirement.unit}"
    else:
        fall = f"fall below {target}"
    return f"Ageing: {requirement.label} {fall} on {format_day(on)}"


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
    requirements: list[Requirement],
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
    met = sum(1 for requirement in requirements if requirement.met)
    total = len(requirements)
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
        ageing=ageing_flag(ruleset, requirements, today),
    )


def candidate_rows(
    session: Session, viewer: User, filters: CandidateFilters, today: date | None = None
) -> list[CandidateRow]:
    """The mentor's (or admin's) candidates table, filtered and sorted."""
    today = today or date.today()
    candidates = visible_candidates(session, viewer, filters.q)
    ids = [c.id for c in candidates if c.id is not None]
    pending = queries.pending_review_counts(session, ids)
    activity = last_activity(session, candidates)
    by_candidate = queries.enrollments_by_candidate(session, ids)
    shown: list[tuple[User, Enrollment | None]] = []
    for candidate in candidates:
        assert candidate.id is not None
        enrollments: list[Enrollment | None] = list(by_candidate[candidate.id]) or [None]
        for enrollment in enrollments:
            if filters.pathway == "none" and enrollment is not None:
                continue
            if filters.pathway in CURRENT and (
                enrollment is None or enrollment.pathway != filters.pathway
            ):
                continue
            if filters.waiting and not pending[candidate.id]:
                continue
            shown.append((candidate, enrollment))
    # Every row's requirements in one batch: a fixed number of queries, not one set per row.
    measured = requirements_of_enrollments(
        session,
        (
            (enrollment, ruleset_for(enrollment.ruleset).guards_leaving(enrollment.state))
            for _candidate, enrollment in shown
            if enrollment is not None
        ),
        today,
    )
    rows = [
        _row(
            candidate,
            enrollment,
            measured[enrollment.id] if enrollment is not None and enrollment.id else [],
            pending[candidate.id],
            activity[candidate.id],
            today,
        )
        for candidate, enrollment in shown
        if candidate.id is not None
    ]
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
    rows.sort(key=lambda r: (r.candidate.name.lower(), r.pathway))
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


def _waiting(
    viewer: User, candidate_id: int | None = None, first: int | None = None
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
    parts: list[Any] = []
    for slug, kind in KINDS.items():
        model = kind.model
        conditions = [
            col(model.review_status) == PENDING,
            queries.visible_to(viewer, col(model.candidate_id)),
        ]
        if candidate_id is not None:
            conditions.append(col(model.candidate_id) == candidate_id)
        part: Any = select(
            literal(slug).label("kind"),
            col(model.id).label("id"),
            col(model.updated_at).label("since"),
        ).where(*conditions)
        if first is not None and viewer.role == Role.ADMIN:
            ordered = part.order_by(col(model.updated_at), col(model.id)).limit(first)
            part = select(ordered.subquery())
        parts.append(part)
    waiting = union_all(*parts).subquery("waiting")
    return select(waiting.c.kind, waiting.c.id).order_by(
        waiting.c.since, waiting.c.id, waiting.c.kind
    )


def reviews_waiting(session: Session, viewer: User) -> int:
    """How many evidence items wait for ``viewer``'s review (the queue's length, counted)."""
    counted = select(func.count()).select_from(_waiting(viewer).order_by(None).subquery())
    return int(session.execute(counted).scalar_one())


def review_queue(
    session: Session,
    viewer: User,
    wanted: PageRequest,
    candidate_id: int | None = None,
    today: date | None = None,
) -> Page[QueueItem]:
    """A page of the pending evidence ``viewer`` may review (of one candidate, if given),
    the longest waiting first; ties in order of id."""
    found = paginate(
        session,
        _waiting(viewer, candidate_id, wanted.reach),
        wanted,
        COUNT_LIMIT,
        counted=_waiting(viewer, candidate_id, wanted.count_cap(COUNT_LIMIT)),
    )
    return found.with_items(queue_items(session, found.items, today))


def queue_items(
    session: Session, keys: Sequence[tuple[str, int]], today: date | None = None
) -> list[QueueItem]:
    """The evidence items named by (kind, id), in that order, as review-queue entries,
    with their candidates and reviewers joined: one statement a kind."""
    today = today or date.today()
    ids: dict[str, list[int]] = {}
    for slug, item_id in keys:
        ids.setdefault(slug, []).append(item_id)
    entries: dict[tuple[str, int], QueueItem] = {}
    for slug, wanted in ids.items():
        kind = KINDS[slug]
        model = kind.model
        items = (
            select(model, User)
            .join(User, col(User.id) == col(model.candidate_id))
            .where(col(model.id).in_(wanted))
        )
        stmt = queries.with_reviewer_name(items, model)
        for item, candidate, reviewer in session.execute(stmt):
            since = aware(item.updated_at)
            entries[slug, item.id] = QueueItem(
                row=evidence_row(kind, item, reviewer),
                candidate=candidate,
                waiting_since=since,
                days_waiting=days_since(since, today) or 0,
                updated=_changed_after_logging(item),
            )
    return [entries[key] for key in keys if key in entries]


def queue_item(
    session: Session, slug: str, item: EvidenceBase, today: date | None = None
) -> QueueItem:
    """One evidence item in the shape of a review-queue entry (after it was reviewed)."""
    assert item.id is not None
    return queue_items(session, [(slug, item.id)], today)[0]
