"""Words, numbers and small lookups that every dashboard module uses."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col

from trainerpath.models import ReviewStatus, User

PENDING = ReviewStatus.PENDING.value
VERIFIED = ReviewStatus.VERIFIED.value
REJECTED = ReviewStatus.REJECTED.value

STATUS_LABELS = {PENDING: "Waiting for review", VERIFIED: "Verified", REJECTED: "Rejected"}


def sentence_case(label: str) -> str:
    """Lower-case a label's first letter to use it mid-sentence, unless it is an acronym."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


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


def format_day(value: date | datetime | None) -> str:
    """A date as people read it: 5 Mar 2025."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y}"


def format_month(value: date) -> str:
    """A month as people read it: June 2028."""
    return f"{value:%B %Y}"


def format_number(value: float) -> str:
    """A count or score as people write it: 100, 94.9, 3.99 (at most two places)."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:g}"
    return f"{value:.2f}".rstrip("0")


def matches_name_or_email(q: str) -> ColumnElement[bool]:
    """A condition on users: ``q`` appears in their name or e-mail, ignoring case."""
    needle = f"%{q.strip().lower()}%"
    return or_(func.lower(col(User.name)).like(needle), func.lower(col(User.email)).like(needle))
