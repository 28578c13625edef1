"""Words, numbers and small lookups that every dashboard module uses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import ReviewStatus, User
from trainerpath.pathways import Ruleset
from trainerpath.services.pathways import event_label

PENDING = ReviewStatus.PENDING.value
VERIFIED = ReviewStatus.VERIFIED.value
REJECTED = ReviewStatus.REJECTED.value

# How a fired event reads in a timeline ("Approved by the TAC"). The events themselves
# always come from the ruleset; an event missing here falls back to the machine's label.
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


def sentence_case(label: str) -> str:
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


def aware(moment: datetime) -> datetime:
    """The moment with its UTC time zone."""
    # SQLite hands back naive datetimes for what was stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_number(value: float) -> str:
    """A count or score as people write it: 100, 94.9, 3.99."""
    return f"{value:g}" if isinstance(value, int) or float(value).is_integer() else f"{value:.2f}"


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the users with these ids (None ids are skipped), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(wanted)))
    return {user_id: name for user_id, name in rows if user_id is not None}


def withdrawn_state(ruleset: Ruleset) -> str | None:
    """The state withdrawing leads to, if the pathway can be withdrawn from."""
    return ruleset.target(ruleset.initial_state, "withdraw")


def matches_name_or_email(q: str) -> ColumnElement[bool]:
    """A condition on users: ``q`` appears in their name or e-mail, ignoring case."""
    needle = f"%{q.strip().lower()}%"
    return or_(func.lower(col(User.name)).like(needle), func.lower(col(User.email)).like(needle))
