"""Which day and moment it is: the one place the app reads the calendar and the time.

Windows, expiry, ageing and forecasts depend on today, and so does whether a stored
standing is still current; tests move the day by replacing ``today`` here.

Every stored timestamp (``created_at``, ``reviewed_at``, a history row's ``at``...) is
read from ``now`` (through ``models.utcnow``). ``stopped_at`` holds it at a chosen moment
for a block of code, in this context only: the demo uses it to act on past days, so its
data carries a realistic past timeline without rewriting rows afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_stopped: ContextVar[datetime | None] = ContextVar("trainerpath_clock_stopped", default=None)


def today() -> date:
    """Today's date on this server."""
    return date.today()


def now() -> datetime:
    """The current moment, aware, in UTC (or the moment the clock is stopped at)."""
    return _stopped.get() or datetime.now(UTC)


@contextmanager
def stopped_at(moment: datetime) -> Iterator[None]:
    """Make ``now`` return ``moment`` (aware) inside the block, in this context only."""
    if moment.tzinfo is None:
        raise ValueError("the clock stops at an aware moment")
    token = _stopped.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _stopped.reset(token)
