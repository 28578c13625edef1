"""Read-only views of the data for the web pages: dashboards, queues, tables, outlines.

Nothing here changes data. The rules themselves live in services/ and pathways/; this
module arranges what they report into what a page shows (steps with dates, progress
bars, plain-language next steps, sortable rows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from trainerpath import queries
from trainerpath.models import (
    AuditEntry,
    Enrollment,
    EvidenceBase,
    Feedback,
    Mentorship,
    ReviewStatus,
    Role,
    TransitionRecord,
    User,
)
from trainerpath.pathways import CHECKS, CURRENT, Facts, Requirement, Ruleset, ruleset_for
from trainerpath.services.evidence_kinds import KINDS, EvidenceKind, FieldSpec
from trainerpath.services.pathways import (
    EnrollmentStatus,
    EventOption,
    enrollment_status,
    event_label,
    event_phrase,
    state_label,
    who_phrase,
)

PENDING = ReviewStatus.PENDING.value
VERIFIED = ReviewStatus.VERIFIED.value
REJECTED = ReviewStatus.REJECTED.value

# How the web words each event: the button ("Record TAC approval") and the history line
# ("Approved by the TAC"). The events themselves always come from the ruleset; an event
# missing here falls back to the machine's own label.
# How a fired event reads in a timeline; the action names come from the rulesets.
HISTORY_WORDING: dict[str, str] = {
    "submit_application": "Application submitted",
    "tac_approve": "Approved by the TAC",
    "tac_decline": "Declined by the TAC",
    "interview_pass": "Interview passed",
    "interview_fail": "Interview not passed",
    "accept_application": "Application accepted",
    "reject_application": "Application rejected",
    "complete_ttt": "Train the Trainer completed",
    "pass_pspo2": "PSPO II passed",
    "pass_pspo3": "PSPO III passed",
    "staff_interview_pass": "Staff interview passed",
    "staff_interview_fail": "Staff interview not passed",
    "peer_review_pass": "Peer review passed",
    "peer_review_fail": "Peer review not passed",
    "withdraw": "Withdrawn",
    "resume": "Resumed",
}

# Which evidence kind moves each requirement forward, and what to log.
REQUIREMENT_EVIDENCE: dict[str, tuple[str, str]] = {
    "csp_active": ("credentials", "Log an active CSP-SM or CSP-PO credential"),
    "students_taught": ("teaching-sessions", "Log the courses you taught"),
    "multi_day_sm_sessions": ("teaching-sessions", "Log multi-day ScrumMaster courses"),
    "course_materials_reviewed": ("milestones", "Log the course-materials review"),
    "scrum_experience": ("experience", "Log your Scrum experience"),
    "po_experience": ("experience", "Log your Product Owner experience"),
    "training_provided": ("teaching-sessions", "Log a course you taught"),
    "pspo1_95": ("assessments", "Log your PSPO I attempt"),
    "ttt_attended": ("milestones", "Log your Train the Trainer attendance"),
    "pspo2_85": ("assessments", "Log your PSPO II attempt"),
    "pspo3_85": ("assessments", "Log your PSPO III attempt"),
}

STATUS_LABELS = {PENDING: "Waiting for review", VERIFIED: "Verified", REJECTED: "Rejected"}


def _sentence_case(label: str) -> str:
    """Lower-case a label's first letter to use it mid-sentence, unless it is an acronym."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def history_label(ruleset: Ruleset, event: str) -> str:
    """The words for a fired ``event`` in a timeline."""
    return HISTORY_WORDING.get(event, event_label(ruleset, event))


def days_since(moment: datetime | date | None, today: date) -> int | None:
    """Whole days from ``moment`` to ``today`` (None stays None)."""
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    return max(0, (today - day).days)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for what was stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, int) or float(value).is_integer() else f"{value:.2f}"


# -- Progress bars ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One requirement drawn as a two-part progress bar with its sentence."""

    requirement: Requirement
    verified_pct: int
    pending_pct: int
    sentence: str
    evidence: str | None  # the evidence slug that moves it forward
    hint: str

    @property
    def met(self) -> bool:
        """Whether the requirement is met."""
        return self.requirement.met


def progress_sentence(requirement: Requirement) -> str:
    """Say how far a requirement is: "73 verified + 20 pending of 100 students"."""
    unit = requirement.unit
    if unit == "item":
        unit = "needed"
    return (
        f"{_number(requirement.current)} verified + {_number(requirement.pending)} pending "
        f"of {_number(requirement.target)} {unit}"
    )


def bar_for(requirement: Requirement) -> Bar:
    """Turn a requirement into a bar whose parts are whole percentages of the target."""
    target = requirement.target or 1
    verified = min(100, math.floor(requirement.current / target * 100))
    pending = min(100 - verified, math.ceil(requirement.pending / target * 100))
    slug, hint = REQUIREMENT_EVIDENCE.get(requirement.key, (None, ""))
    return Bar(requirement, verified, pending, progress_sentence(requirement), slug, hint)


# -- One enrollment ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A state of the pathway as a point on the stepper."""

    state: str
    label: str
    status: Literal["done", "current", "todo"]
    reached_at: datetime | None
    final: bool


@dataclass(frozen=True)
class NextStep:
    """One plain-language line of "what's next"."""

    text: str
    kind: Literal["todo", "ready", "wait", "done"]
    evidence: str | None = None  # the evidence slug to log, if logging helps
    action: str = ""  # what to do about it, e.g. "Log the courses you taught"


@dataclass(frozen=True)
class EventButton:
    """An event of the current state as a button: enabled, or disabled with reasons."""

    option: EventOption
    label: str
    target_label: str | None


@dataclass(frozen=True)
class HistoryRow:
    """A fired event as a timeline line."""

    at: datetime
    label: str
    from_label: str
    to_label: str
    actor: str
    note: str | None


@dataclass(frozen=True)
class EnrollmentView:
    """Everything a dashboard card shows about one enrollment."""

    status: EnrollmentStatus
    title: str
    state_label: str
    steps: list[Step]
    bars: list[Bar]
    next_steps: list[NextStep]
    buttons: list[EventButton]
    withdraw: EventButton | None
    others: list[str]  # "by a mentor or an admin: TAC approval or TAC decline"
    history: list[HistoryRow]
    withdrawn: bool
    finished: bool

    @property
    def enrollment(self) -> Enrollment:
        """The enrollment shown."""
        return self.status.enrollment

    @property
    def met_count(self) -> int:
        """How many requirements of the next step are met."""
        return sum(1 for bar in self.bars if bar.met)


def _withdrawn_state(ruleset: Ruleset) -> str | None:
    return ruleset.target(ruleset.initial_state, "withdraw")


def stepper(status: EnrollmentStatus) -> list[Step]:
    """The pathway's states in order, each done, current or to do, with the date reached."""
    ruleset, enrollment = status.ruleset, status.enrollment
    withdrawn = _withdrawn_state(ruleset)
    path = [state for state in ruleset.states if state.value != withdrawn]
    current = enrollment.withdrawn_from if enrollment.state == withdrawn else enrollment.state
    reached: dict[str, datetime] = {ruleset.initial_state: _aware(enrollment.created_at)}
    for record in status.history:
        reached[record.to_state] = _aware(record.at)  # the latest arrival wins
    values = [str(state.value) for state in path]
    position = values.index(current) if current in values else 0
    steps = []
    for index, state in enumerate(path):
        value = str(state.value)
        step_status: Literal["done", "current", "todo"] = (
            "done" if index < position else "current" if index == position else "todo"
        )
        steps.append(
            Step(
                state=value,
                label=str(state.name),
                status=step_status,
                reached_at=reached.get(value) if step_status != "todo" else None,
                final=bool(state.final),
            )
        )
    return steps


def next_steps(status: EnrollmentStatus, bars: Sequence[Bar]) -> list[NextStep]:
    """Say in plain words what moves this enrollment forward, and who does it."""
    ruleset, enrollment = status.ruleset, status.enrollment
    state = ruleset.state(enrollment.state)
    if state.final:
        return [NextStep(f"Done: {state.name}. Congratulations!", "done")]
    if enrollment.state == _withdrawn_state(ruleset):
        return [
            NextStep(
                "This pathway is paused because it was withdrawn. Resume it to carry on "
                f"from {state_label(ruleset, enrollment.withdrawn_from or ruleset.initial_state)}.",
                "todo",
            )
        ]
    lines: list[NextStep] = []
    for bar in bars:
        requirement = bar.requirement
        if requirement.met:
            continue
        lines.append(NextStep(f"{requirement.message}.", "todo", bar.evidence, bar.hint))
    waiting = [bar for bar in bars if not bar.met and bar.requirement.pending]
    if waiting:
        lines.append(
            NextStep(
                "Some of your evidence is waiting for review: your mentor verifies it.",
                "wait",
            )
        )
    progress_events = [name for name in ruleset.event_names(enrollment.state) if name != "withdraw"]
    candidate_events = [e for e in progress_events if Role.CANDIDATE in ruleset.who[e]]
    outcome_events = [e for e in progress_events if Role.CANDIDATE not in ruleset.who[e]]
    for name in candidate_events:
        guards = ruleset.guards(enrollment.state, name)
        if all(bar.met for bar in bars if bar.requirement.key in guards):
            lines.append(
                NextStep(f"Everything is in place: {event_phrase(ruleset, name)}.", "ready")
            )
    if outcome_events:
        who = who_phrase(ruleset, outcome_events[0])
        outcomes = " or ".join(_sentence_case(history_label(ruleset, e)) for e in outcome_events)
        lines.append(
            NextStep(
                f"Waiting for the outcome of {state.name}: {who} records it ({outcomes}).", "wait"
            )
        )
    return lines


def _user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(wanted)))
    return {user_id: name for user_id, name in rows if user_id is not None}


def _history_rows(
    session: Session, ruleset: Ruleset, records: Iterable[TransitionRecord]
) -> list[HistoryRow]:
    """Transitions as timeline lines, in the order given."""
    records = list(records)
    names = _user_names(session, (record.actor_id for record in records))
    return [
        HistoryRow(
            at=_aware(record.at),
            label=history_label(ruleset, record.event),
            from_label=state_label(ruleset, record.from_state),
            to_label=state_label(ruleset, record.to_state),
            actor=names.get(record.actor_id, "someone"),
            note=record.note,
        )
        for record in records
    ]


def enrollment_view(
    session: Session, enrollment: Enrollment, viewer: User, today: date | None = None
) -> EnrollmentView:
    """Describe one enrollment for a dashboard card, as ``viewer`` may act on it."""
    status = enrollment_status(session=session, enrollment=enrollment, viewer=viewer, today=today)
    ruleset = status.ruleset
    bars = [bar_for(requirement) for requirement in status.requirements]
    buttons = [
        EventButton(
            option=option,
            label=event_label(ruleset, option.name),
            target_label=state_label(ruleset, option.target) if option.target else None,
        )
        for option in status.events
    ]
    # Withdrawing is offered apart from the steps forward, and only to those who may.
    withdraw = next((b for b in buttons if b.option.name == "withdraw" and b.option.allowed), None)
    # Events of another role are named, not offered as buttons that can never work.
    mine = [
        b
        for b in buttons
        if b.option.name != "withdraw" and viewer.role in ruleset.who[b.option.name]
    ]
    theirs: dict[str, list[str]] = {}
    for b in buttons:
        if b.option.name != "withdraw" and viewer.role not in ruleset.who[b.option.name]:
            who = who_phrase(ruleset, b.option.name)
            theirs.setdefault(who, []).append(_sentence_case(history_label(ruleset, b.option.name)))
    others = [
        f"{who.capitalize()} records: {' or '.join(labels)}." for who, labels in theirs.items()
    ]
    history = _history_rows(session, ruleset, reversed(status.history))
    return EnrollmentView(
        status=status,
        title=ruleset.title,
        state_label=state_label(ruleset, enrollment.state),
        steps=stepper(status),
        bars=bars,
        next_steps=next_steps(status, bars),
        buttons=mine,
        withdraw=withdraw,
        others=others,
        history=history,
        withdrawn=enrollment.state == _withdrawn_state(ruleset),
        finished=bool(ruleset.state(enrollment.state).final),
    )


enrollments_of = queries.enrollments_of


# -- Evidence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    """An evidence item as a list row."""

    kind: EvidenceKind
    item: EvidenceBase
    summary: str
    status_label: str
    reviewer: str | None
    details: list[tuple[str, str]]

    @property
    def changeable(self) -> bool:
        """Whether the candidate may still edit or delete it (verified items are final)."""
        return self.item.review_status != VERIFIED

    @property
    def status(self) -> str:
        """The review status value."""
        return self.item.review_status


def display_value(spec: FieldSpec, value: Any) -> str:
    """A stored field value as people read it."""
    if value is None or value == "":
        return "—"
    if spec.type == "choice":
        return spec.choice_label(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return _number(value)
    return str(value)


def _rows(session: Session, kind: EvidenceKind, items: Sequence[EvidenceBase]) -> list[EvidenceRow]:
    names = _user_names(session, (item.reviewed_by for item in items))
    return [
        EvidenceRow(
            kind=kind,
            item=item,
            summary=kind.summary(item),
            status_label=STATUS_LABELS.get(item.review_status, item.review_status),
            reviewer=names.get(item.reviewed_by) if item.reviewed_by else None,
            details=[
                (spec.label, display_value(spec, getattr(item, spec.name)))
                for spec in kind.fields
                if getattr(item, spec.name) not in (None, "")
            ],
        )
        for item in items
    ]


def evidence_rows(session: Session, candidate_id: int, slug: str) -> list[EvidenceRow]:
    """The candidate's items of one kind, newest first."""
    stmt = queries.evidence_stmt(slug, candidate_id)
    return _rows(session, KINDS[slug], list(session.execute(stmt).scalars()))


evidence_counts = queries.evidence_counts


def recent_reviews(session: Session, candidate_id: int, limit: int = 8) -> list[EvidenceRow]:
    """The candidate's most recently reviewed items that carry a note, newest first."""
    rows: list[EvidenceRow] = []
    for kind in KINDS.values():
        model = kind.model
        stmt = (
            select(model)
            .where(
                col(model.candidate_id) == candidate_id,
                col(model.reviewed_at).is_not(None),
                col(model.review_note).is_not(None),
            )
            .order_by(col(model.reviewed_at).desc())
            .limit(limit)
        )
        rows.extend(_rows(session, kind, list(session.execute(stmt).scalars())))
    rows.sort(key=lambda row: _aware(row.item.reviewed_at or row.item.created_at), reverse=True)
    return rows[:limit]


def rejected_items(session: Session, candidate_id: int) -> list[EvidenceRow]:
    """The candidate's rejected items, which they may correct and resubmit."""
    rows: list[EvidenceRow] = []
    for kind in KINDS.values():
        model = kind.model
        stmt = select(model).where(
            col(model.candidate_id) == candidate_id, col(model.review_status) == REJECTED
        )
        rows.extend(_rows(session, kind, list(session.execute(stmt).scalars())))
    return rows


@dataclass(frozen=True)
class FeedbackRow:
    """A mentor's note to the candidate."""

    feedback: Feedback
    author: str
    pathway_title: str | None


def feedback_for(session: Session, candidate_id: int, limit: int = 20) -> list[FeedbackRow]:
    """Feedback left for the candidate, newest first."""
    stmt = (
        select(Feedback, col(User.name), col(Enrollment.ruleset))
        .join(User, col(User.id) == col(Feedback.author_id))
        .outerjoin(Enrollment, col(Enrollment.id) == col(Feedback.enrollment_id))
        .where(col(Feedback.candidate_id) == candidate_id)
        .order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc())
        .limit(limit)
    )
    return [
        FeedbackRow(feedback, author, ruleset_for(ruleset).title if ruleset else None)
        for feedback, author, ruleset in session.execute(stmt)
    ]


@dataclass(frozen=True)
class CandidateDashboard:
    """The whole candidate dashboard."""

    candidate: User
    enrollments: list[EnrollmentView]
    open_pathways: list[Ruleset]
    counts: dict[str, dict[str, int]]
    reviews: list[EvidenceRow]
    rejected: list[EvidenceRow]
    feedback: list[FeedbackRow]
    mentors: list[User]


def mentors_of(session: Session, candidate_id: int) -> list[User]:
    """The candidate's active mentors."""
    stmt = (
        select(User)
        .join(Mentorship, col(Mentorship.mentor_id) == col(User.id))
        .where(col(Mentorship.candidate_id) == candidate_id, col(Mentorship.ended_at).is_(None))
        .order_by(col(User.name))
    )
    return list(session.execute(stmt).scalars())


def candidate_dashboard(
    session: Session, candidate: User, viewer: User, today: date | None = None
) -> CandidateDashboard:
    """Gather everything the candidate dashboard shows (the viewer may be their mentor)."""
    assert candidate.id is not None
    enrollments = enrollments_of(session, candidate.id)
    followed = {enrollment.pathway for enrollment in enrollments}
    return CandidateDashboard(
        candidate=candidate,
        enrollments=[enrollment_view(session, e, viewer, today) for e in enrollments],
        open_pathways=[r for pathway, r in CURRENT.items() if pathway not in followed],
        counts=evidence_counts(session, candidate.id),
        reviews=recent_reviews(session, candidate.id),
        rejected=rejected_items(session, candidate.id),
        feedback=feedback_for(session, candidate.id),
        mentors=mentors_of(session, candidate.id),
    )


def progress_overview(
    session: Session, candidate: User, viewer: User, today: date | None = None
) -> list[EnrollmentView]:
    """The candidate's enrollments with their requirement bars (the progress aside)."""
    assert candidate.id is not None
    return [
        enrollment_view(session, e, viewer, today) for e in enrollments_of(session, candidate.id)
    ]


# -- Mentors: candidates table and review queue --------------------------------------


def _visible(viewer: User, candidate_column: Any) -> ColumnElement[bool]:
    """A condition on a candidate id column: the candidates ``viewer`` may see."""
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.CANDIDATE:
        return candidate_column == viewer.id
    assigned = select(col(Mentorship.candidate_id)).where(
        col(Mentorship.mentor_id) == viewer.id, col(Mentorship.ended_at).is_(None)
    )
    return candidate_column.in_(assigned)


def visible_candidates(session: Session, viewer: User, q: str | None = None) -> list[User]:
    """The candidates ``viewer`` may see (a mentor: assigned ones; an admin: all), by name."""
    stmt = queries.visible_candidates_stmt(viewer).order_by(None)
    if q:
        needle = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(col(User.name)).like(needle), func.lower(col(User.email)).like(needle))
        )
    return list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())


pending_counts = queries.pending_review_counts


def last_activity(session: Session, candidates: Sequence[User]) -> dict[int, datetime]:
    """When each candidate last did something themselves (else when they signed up)."""
    ids = [c.id for c in candidates if c.id is not None]
    latest = {c.id: _aware(c.created_at) for c in candidates if c.id is not None}
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
            latest[candidate_id] = max(latest[candidate_id], _aware(at))
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


SORT_KEYS = ("name", "pathway", "state", "progress", "pending", "activity")


@dataclass(frozen=True)
class CandidateFilters:
    """What the candidates table shows: search, pathway, waiting-only, sort order."""

    q: str = ""
    pathway: str = ""
    waiting: bool = False
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
            sort=sort if sort in SORT_KEYS else "name",
            descending=args.get("dir") == "desc",
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """The query parameters of these filters with ``changes`` applied."""
        values = {
            "q": self.q,
            "pathway": self.pathway,
            "waiting": "1" if self.waiting else "",
            "sort": self.sort,
            "dir": "desc" if self.descending else "",
        } | {key: str(value) for key, value in changes.items()}
        return {key: value for key, value in values.items() if value}

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
    withdrawn = _withdrawn_state(ruleset)
    path = [str(s.value) for s in ruleset.states if s.value != withdrawn]
    state = enrollment.withdrawn_from if enrollment.state == withdrawn else enrollment.state
    return path.index(state) / (len(path) - 1) if state in path and len(path) > 1 else 0.0


def _row(
    session: Session,
    candidate: User,
    enrollment: Enrollment | None,
    viewer: User,
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
    status = enrollment_status(session=session, enrollment=enrollment, viewer=viewer, today=today)
    ruleset = status.ruleset
    met = sum(1 for r in status.requirements if r.met)
    total = len(status.requirements)
    state = ruleset.state(enrollment.state)
    if state.final:
        text, pct = f"{state.name}", 100
    elif enrollment.state == _withdrawn_state(ruleset):
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
    )


def candidate_rows(
    session: Session, viewer: User, filters: CandidateFilters, today: date | None = None
) -> list[CandidateRow]:
    """The mentor's (or admin's) candidates table, filtered and sorted."""
    today = today or date.today()
    candidates = visible_candidates(session, viewer, filters.q)
    ids = [c.id for c in candidates if c.id is not None]
    pending = pending_counts(session, ids)
    activity = last_activity(session, candidates)
    by_candidate: dict[int, list[Enrollment]] = {i: [] for i in ids}
    if ids:
        stmt = select(Enrollment).where(col(Enrollment.candidate_id).in_(ids))
        for found in session.execute(stmt.order_by(col(Enrollment.pathway))).scalars():
            by_candidate[found.candidate_id].append(found)
    rows: list[CandidateRow] = []
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
            rows.append(
                _row(
                    session,
                    candidate,
                    enrollment,
                    viewer,
                    pending[candidate.id],
                    activity[candidate.id],
                    today,
                )
            )
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
    return _aware(item.updated_at) - _aware(item.created_at) > timedelta(seconds=1)


def review_queue(
    session: Session,
    viewer: User,
    candidate_id: int | None = None,
    today: date | None = None,
) -> list[QueueItem]:
    """Pending evidence of the candidates ``viewer`` may review, the longest waiting first."""
    today = today or date.today()
    items: list[QueueItem] = []
    for kind in KINDS.values():
        model = kind.model
        stmt = (
            select(model, User)
            .join(User, col(User.id) == col(model.candidate_id))
            .where(col(model.review_status) == PENDING, _visible(viewer, col(model.candidate_id)))
        )
        if candidate_id is not None:
            stmt = stmt.where(col(model.candidate_id) == candidate_id)
        found = list(session.execute(stmt))
        rows = _rows(session, kind, [item for item, _user in found])
        for row, (item, candidate) in zip(rows, found, strict=True):
            since = _aware(item.updated_at)
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
    today = today or date.today()
    candidate = session.get(User, item.candidate_id)
    assert candidate is not None
    since = _aware(item.updated_at)
    return QueueItem(
        row=_rows(session, KINDS[slug], [item])[0],
        candidate=candidate,
        waiting_since=since,
        days_waiting=days_since(since, today) or 0,
        updated=_changed_after_logging(item),
    )


# -- Admin ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    """A user in the admin's list, with their mentoring links."""

    user: User
    mentors: list[str] = field(default_factory=list)
    mentees: int = 0


def user_rows(session: Session, role: str = "", q: str = "") -> list[UserRow]:
    """Every user (optionally of one role or matching a search), by name."""
    stmt = select(User)
    if role in {r.value for r in Role}:
        stmt = stmt.where(col(User.role) == role)
    if q:
        needle = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(col(User.name)).like(needle), func.lower(col(User.email)).like(needle))
        )
    users = list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())
    mentor = aliased(User)
    links = session.execute(
        select(col(Mentorship.mentor_id), col(Mentorship.candidate_id), col(mentor.name))
        .join(mentor, col(mentor.id) == col(Mentorship.mentor_id))
        .where(col(Mentorship.ended_at).is_(None))
    ).all()
    mentors: dict[int, list[str]] = {}
    mentees: dict[int, int] = {}
    for mentor_id, candidate_id, mentor_name in links:
        mentors.setdefault(candidate_id, []).append(mentor_name)
        mentees[mentor_id] = mentees.get(mentor_id, 0) + 1
    return [
        UserRow(user, sorted(mentors.get(user.id or 0, [])), mentees.get(user.id or 0, 0))
        for user in users
    ]


def users_with_role(session: Session, role: str, active_only: bool = True) -> list[User]:
    """Users of one role, by name (for pickers)."""
    stmt = select(User).where(col(User.role) == role)
    if active_only:
        stmt = stmt.where(col(User.is_active).is_(True))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id))).scalars())


@dataclass(frozen=True)
class MentorshipRow:
    """An active mentor assignment."""

    mentorship: Mentorship
    mentor: str
    candidate: str


def active_mentorships(session: Session) -> list[MentorshipRow]:
    """Every active mentor assignment, by mentor then candidate."""
    mentor, candidate = aliased(User), aliased(User)
    stmt = (
        select(Mentorship, col(mentor.name), col(candidate.name))
        .join(mentor, col(mentor.id) == col(Mentorship.mentor_id))
        .join(candidate, col(candidate.id) == col(Mentorship.candidate_id))
        .where(col(Mentorship.ended_at).is_(None))
        .order_by(col(mentor.name), col(candidate.name))
    )
    return [
        MentorshipRow(mentorship, mentor_name, candidate_name)
        for mentorship, mentor_name, candidate_name in session.execute(stmt)
    ]


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail."""

    entry: AuditEntry
    actor: str
    candidate: str | None


AUDIT_PAGE = 50


def audit_trail(
    session: Session, candidate_id: int | None = None, page: int = 1
) -> tuple[list[AuditRow], int]:
    """A page of the audit trail, newest first, and the number of entries in all."""
    actor, candidate = aliased(User), aliased(User)
    where = [] if candidate_id is None else [col(AuditEntry.candidate_id) == candidate_id]
    total = session.execute(select(func.count()).select_from(AuditEntry).where(*where)).scalar_one()
    stmt = (
        select(AuditEntry, col(actor.name), col(candidate.name))
        .outerjoin(actor, col(actor.id) == col(AuditEntry.actor_id))
        .outerjoin(candidate, col(candidate.id) == col(AuditEntry.candidate_id))
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(AUDIT_PAGE)
        .offset((max(page, 1) - 1) * AUDIT_PAGE)
    )
    rows = [
        AuditRow(entry, actor_name or "the system", candidate_name)
        for entry, actor_name, candidate_name in session.execute(stmt)
    ]
    return rows, int(total)


@dataclass(frozen=True)
class HistoryBlock:
    """An enrollment's full transition history for the audit page."""

    title: str
    state_label: str
    rows: list[HistoryRow]


def histories_of(session: Session, candidate_id: int) -> list[HistoryBlock]:
    """Every enrollment of the candidate with its transitions, newest first."""
    blocks = []
    for enrollment in enrollments_of(session, candidate_id):
        ruleset = ruleset_for(enrollment.ruleset)
        records = list(
            session.execute(
                select(TransitionRecord)
                .where(col(TransitionRecord.enrollment_id) == enrollment.id)
                .order_by(col(TransitionRecord.at).desc(), col(TransitionRecord.id).desc())
            ).scalars()
        )
        blocks.append(
            HistoryBlock(
                title=f"{ruleset.title} ({ruleset.id})",
                state_label=state_label(ruleset, enrollment.state),
                rows=_history_rows(session, ruleset, records),
            )
        )
    return blocks


# -- Pathway outlines and comparison -------------------------------------------------


@dataclass(frozen=True)
class OutlineRequirement:
    """A guard of a step, described for people (and, for a candidate, how far they are)."""

    key: str
    description: str
    requirement: Requirement
    bar: Bar


@dataclass(frozen=True)
class OutlineEvent:
    """A way out of a state."""

    name: str
    label: str
    target_label: str
    who: str
    note_required: bool
    requirements: list[OutlineRequirement]


@dataclass(frozen=True)
class OutlineStep:
    """A state of the pathway with the ways out of it."""

    state: str
    label: str
    final: bool
    events: list[OutlineEvent]
    decided_by: str


@dataclass(frozen=True)
class Outline:
    """A ruleset described from the ruleset itself."""

    ruleset: Ruleset
    steps: list[OutlineStep]
    withdraw_who: str | None
    resume_who: str | None
    apply_requirements: list[OutlineRequirement]

    @property
    def path_labels(self) -> list[str]:
        """The state labels along the path."""
        return [step.label for step in self.steps]


def _describe(key: str) -> str:
    doc = CHECKS[key].__doc__ or key
    return doc.strip().splitlines()[0]


def pathway_outline(
    session: Session, ruleset: Ruleset, candidate_id: int | None = None, today: date | None = None
) -> Outline:
    """Describe a ruleset step by step; with a candidate, measure their evidence too.

    Without a candidate the checks run against an empty record (id 0), which yields each
    requirement's label, target and unit exactly as the rules define them.
    """
    facts = Facts(session=session, candidate_id=candidate_id or 0, today=today or date.today())
    measured: dict[str, Requirement] = {}

    def requirement(key: str) -> OutlineRequirement:
        if key not in measured:
            measured[key] = CHECKS[key](facts)
        return OutlineRequirement(key, _describe(key), measured[key], bar_for(measured[key]))

    withdrawn = _withdrawn_state(ruleset)
    steps = []
    for state in ruleset.states:
        value = str(state.value)
        if value == withdrawn:
            continue
        events = [
            OutlineEvent(
                name=name,
                label=event_label(ruleset, name)
                if Role.CANDIDATE in ruleset.who[name]
                else history_label(ruleset, name),
                target_label=state_label(ruleset, ruleset.target(value, name) or value),
                who=who_phrase(ruleset, name),
                note_required=name in ruleset.notes_required,
                requirements=[requirement(key) for key in ruleset.guards(value, name)],
            )
            for name in ruleset.event_names(value)
            if name != "withdraw"
        ]
        deciders = sorted({event.who for event in events})
        steps.append(
            OutlineStep(
                state=value,
                label=str(state.name),
                final=bool(state.final),
                events=events,
                decided_by=" / ".join(deciders) if deciders else "—",
            )
        )
    initial = ruleset.initial_state
    return Outline(
        ruleset=ruleset,
        steps=steps,
        withdraw_who=who_phrase(ruleset, "withdraw") if ruleset.has_event("withdraw") else None,
        resume_who=who_phrase(ruleset, "resume") if ruleset.has_event("resume") else None,
        apply_requirements=[requirement(key) for key in ruleset.guards_leaving(initial)],
    )


@dataclass(frozen=True)
class Standing:
    """Where a candidate stands on one pathway."""

    ruleset: Ruleset
    enrollment: Enrollment | None
    state_label: str
    met: int
    total: int
    summary: str


def standings(
    session: Session, candidate: User, outlines: Sequence[Outline], today: date | None = None
) -> dict[str, Standing]:
    """For each outlined pathway, the candidate's state and how many requirements they meet."""
    assert candidate.id is not None
    enrolled = {e.pathway: e for e in enrollments_of(session, candidate.id)}
    result: dict[str, Standing] = {}
    for outline in outlines:
        ruleset = outline.ruleset
        enrollment = enrolled.get(ruleset.pathway)
        if enrollment is None:
            reqs = [r.requirement for r in outline.apply_requirements]
            met = sum(1 for r in reqs if r.met)
            summary = f"Not enrolled. You already meet {met} of {len(reqs)} requirements to apply."
            result[ruleset.pathway] = Standing(
                ruleset, None, "Not enrolled", met, len(reqs), summary
            )
            continue
        view = enrollment_view(session, enrollment, candidate, today)
        total = len(view.bars)
        if view.finished:
            summary = f"{view.state_label}: the pathway is complete."
        elif total:
            summary = (
                f"{view.state_label}: {view.met_count} of {total} requirements met "
                "for the next step."
            )
        else:
            summary = f"{view.state_label}: waiting for an outcome."
        result[ruleset.pathway] = Standing(
            ruleset, enrollment, view.state_label, view.met_count, total, summary
        )
    return result
