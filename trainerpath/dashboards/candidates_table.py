"""The mentor's (and admin's) candidates table: one row per candidate and pathway.

Filtered, sorted and paged in SQL, from the stored standings (``services/standings``),
so a page costs the same few statements for 10 candidates or 10,000. Standings of an
earlier day among the visible candidates are measured again first, once a day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock, queries
from trainerpath.dashboards.common import (
    aware,
    days_since,
    format_day,
    format_number,
    matches_name_or_email,
)
from trainerpath.models import (
    Enrollment,
    Role,
    Standing,
    User,
)
from trainerpath.paging import COUNT_LIMIT, Page, PageRequest, paginate
from trainerpath.pathways import CURRENT, RULESETS, Ruleset, ruleset_for
from trainerpath.pathways.vocabulary import Duration
from trainerpath.services import standings
from trainerpath.services.standings import Summary
from trainerpath.wording import unit_for


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
    settled: bool = False  # certified, licensed or withdrawn: nothing is expected of them

    @property
    def quiet(self) -> bool:
        """Worth a warning: no activity for QUIET_DAYS while the pathway is still open."""
        return self.idle_days >= QUIET_DAYS and not self.settled


QUIET_DAYS = 30  # idle this long, a candidate with a pathway still open is flagged
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
        f"falls below {target} {unit_for(need.target, need.unit)}"
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

    @property
    def reads_standings(self) -> bool:
        """Whether the rows are chosen or ordered by the stored standings, which must then
        all be current (else each shown row's own is measured as it is read)."""
        return self.ageing or self.sort == "progress"

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
        noun = unit_for(total, "requirements")
        text, pct = f"{met} of {total} {noun} met", math.floor(met / total * 100)
    else:  # nothing left to meet at this step: only an outcome to wait for
        text, pct = "Waiting for an outcome", 100
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
        settled=state.final or ruleset.is_withdrawn(enrollment.state),
    )


# -- The order and filters, in SQL ----------------------------------------------------------


# The state an enrollment is at on its path: a withdrawn one where it stopped.
def _at(ruleset: Ruleset, state: str) -> ColumnElement[bool]:
    withdrawn = ruleset.withdrawn_state
    stopped = and_(col(Enrollment.state) == withdrawn, col(Enrollment.withdrawn_from) == state)
    return and_(col(Enrollment.ruleset) == ruleset.id, or_(col(Enrollment.state) == state, stopped))


@cache
def _stage_order() -> Any:
    """Built once: ``_stage`` in SQL: 0 at the start of the path, 1 at its end, -1 unenrolled."""
    whens: list[tuple[Any, Any]] = [(col(Enrollment.id).is_(None), -1.0)]
    for ruleset in RULESETS.values():
        path = [str(s.value) for s in ruleset.states if s.value != ruleset.withdrawn_state]
        for index, state in enumerate(path):
            whens.append((_at(ruleset, state), index / max(1, len(path) - 1)))
    return case(*whens, else_=0.0)


@cache
def _pathway_order() -> Any:
    """Built once: the pathway, and no enrollment last."""
    return func.coalesce(col(Enrollment.pathway), "~")


@cache
def _progress_order() -> Any:
    """Built once: ``progress_pct`` in SQL, from the stored counts of requirements met."""
    finished = [
        and_(col(Enrollment.ruleset) == r.id, col(Enrollment.state) == str(s.value))
        for r in RULESETS.values()
        for s in r.states
        if s.final
    ]
    withdrawn = [
        and_(col(Enrollment.ruleset) == r.id, col(Enrollment.state) == r.withdrawn_state)
        for r in RULESETS.values()
        if r.withdrawn_state
    ]
    return case(
        (col(Enrollment.id).is_(None), 0),
        (or_(*finished), 100),
        (or_(*withdrawn), 0),
        (col(Standing.total) > 0, col(Standing.met) * 100 / col(Standing.total)),
        (col(Standing.total) == 0, 100),  # waiting for an outcome: nothing left to meet
        else_=0,
    )


def _page_stmt(viewer: User, filters: CandidateFilters, today: date) -> Any:
    """The table's rows, filtered and sorted."""
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
    if filters.ageing:
        horizon = today + timedelta(days=AGEING_FLAG_DAYS)
        stmt = stmt.where(col(Standing.shortfall_on) <= horizon)
    orders: dict[str, Callable[[], Any]] = {
        "name": lambda: col(User.name),
        "pathway": _pathway_order,
        "state": _stage_order,
        "progress": _progress_order,
    }
    if filters.waiting or filters.sort == "pending":
        pending = queries.pending_counts(lambda c: queries.visible_to(viewer, c))
        stmt = stmt.outerjoin(pending, pending.c.candidate_id == col(User.id))
        orders["pending"] = lambda: func.coalesce(pending.c.n, 0)
        if filters.waiting:
            stmt = stmt.where(pending.c.n > 0)
    if filters.sort == "activity":
        acts = queries.last_own_activity(lambda c: queries.visible_to(viewer, c))
        stmt = stmt.outerjoin(acts, acts.c.candidate_id == col(User.id))
        # Fewest idle days first: the latest activity (else the day they joined) first.
        orders["activity"] = lambda: func.coalesce(acts.c.at, col(User.created_at)).desc()
    first = orders[filters.sort]()
    if filters.descending:
        first = first.desc() if filters.sort != "activity" else first.element
    return stmt.order_by(first, col(User.name), col(User.id), _pathway_order())


@cache
def _pending_and_activity_stmt() -> Any:
    """Built once: the candidates ``ids``' items waiting and latest own activity."""
    ids: Any = bindparam("ids", expanding=True)

    def scope(candidate_id: Any) -> ColumnElement[bool]:
        return cast(ColumnElement[bool], candidate_id.in_(ids))

    pending = queries.pending_counts(scope)
    acts = queries.last_own_activity(scope)
    return (
        select(col(User.id), pending.c.n, acts.c.at)
        .outerjoin(pending, pending.c.candidate_id == col(User.id))
        .outerjoin(acts, acts.c.candidate_id == col(User.id))
        .where(scope(col(User.id)))
    )


def _pending_and_activity(
    session: Session, candidate_ids: list[int]
) -> tuple[dict[int, int], dict[int, datetime]]:
    """The page's candidates' items waiting for review and latest own activity, in one query."""
    if not candidate_ids:
        return {}, {}
    waiting: dict[int, int] = {}
    activity: dict[int, datetime] = {}
    for candidate_id, n, at in session.execute(
        _pending_and_activity_stmt(), {"ids": candidate_ids}
    ):
        if n:
            waiting[candidate_id] = int(n)
        if at is not None:
            activity[candidate_id] = aware(
                at if isinstance(at, datetime) else datetime.fromisoformat(at)
            )
    return waiting, activity


def candidate_table(
    session: Session,
    viewer: User,
    filters: CandidateFilters,
    wanted: PageRequest | None = None,
    today: date | None = None,
) -> Page[CandidateRow]:
    """One page of the mentor's (or admin's) candidates table, filtered and sorted.

    A fixed number of statements for any number of candidates: when the filter or the
    order reads the stored standings, those of an earlier day are measured first (once a
    day); then the rows are counted (up to 1,000) and the page selected, its standings
    read (the page's own measured if not current), then its candidates' waiting items and
    activity. Sorted by name, the page is read in the order of the users (name, id)
    index.
    """
    today = today or clock.today()
    if filters.reads_standings:
        visible = queries.visible_to(viewer, col(Standing.candidate_id))
        standings.refresh_stale(session, visible, today)
    wanted = wanted or PageRequest()
    stmt = _page_stmt(viewer, filters, today)
    found = paginate(session, stmt, wanted, COUNT_LIMIT)
    summaries = standings.summaries_of(
        session, [(e, stored) for _c, e, *stored in found.items if e is not None], today
    )
    candidate_ids = sorted({c.id for c, *_ in found.items if c.id})
    pending, activity = _pending_and_activity(session, candidate_ids)
    rows = [
        _row(
            candidate,
            enrollment,
            summaries.get(enrollment.id) if enrollment is not None and enrollment.id else None,
            pending.get(candidate.id or 0, 0),
            _last_active(candidate, activity),
            today,
        )
        for candidate, enrollment, *_stored in found.items
    ]
    return found.with_items(rows)


def _last_active(candidate: User, activity: dict[int, datetime]) -> datetime:
    """When the candidate last did something themselves, else when they signed up."""
    joined = aware(candidate.created_at)
    return max(activity.get(candidate.id or 0, joined), joined)
