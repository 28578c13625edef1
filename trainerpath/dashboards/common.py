"""Words, numbers and small lookups that every dashboard module uses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col

from trainerpath.models import ReviewStatus, User, aware
from trainerpath.wording import format_day, format_month, format_number

__all__ = ["aware", "format_day", "format_month", "format_number"]

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


def matches_name_or_email(q: str) -> ColumnElement[bool]:
    """A condition on users: ``q`` appears in their name or e-mail, ignoring case. Its
    ``%`` and ``_`` are the characters themselves, not LIKE's wildcards."""
    text = q.strip().lower()
    for special in ("\\", "%", "_"):
        text = text.replace(special, "\\" + special)
    needle = f"%{text}%"
    return or_(
        func.lower(col(User.name)).like(needle, escape="\\"),
        func.lower(col(User.email)).like(needle, escape="\\"),
    )
