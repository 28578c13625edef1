"""Calendar arithmetic of pathways.md §6: month windows, leaving dates, checkpoints.

Exact on whole days: years and months are measured in days (365.25 and 30.4375 days),
so every comparison is done on integers scaled by 4 and 16.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache

DAY = timedelta(days=1)
# 1 year = 365.25 days = 1461/4; 1 month = 30.4375 days = 487/16.
YEAR_QUARTER_DAYS = 1461
MONTH_SIXTEENTH_DAYS = 487


@lru_cache(maxsize=8192)  # ageing and forecasts ask for the same few hundred days each view
def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (or earlier), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def window_start(today: date, months: int) -> date:
    """The first day of the window of ``months`` months that ends on ``today``."""
    return add_months(today, -months)


def leaves_window(day: date, months: int) -> date:
    """The first day T on which an item dated ``day`` is before the window ending at T.

    With month-end clamping this is not always ``day`` + months + 1 day: 28 February
    stays inside a one-month window until 1 April in a year without 29 February.
    """
    leave = add_months(day, months)
    while window_start(leave, months) <= day:
        leave += DAY
    return leave


def month_checkpoints(today: date, count: int) -> Iterator[tuple[int, date]]:
    """The first day of each of the ``count`` months after today's month, numbered from 1."""
    first = today.replace(day=1)
    for k in range(1, count + 1):
        yield k, add_months(first, k)


def years_floor(days: int) -> float:
    """Days as years to two places, rounded down (exactly: 1 year = 1461/4 days)."""
    return (days * 400 // YEAR_QUARTER_DAYS) / 100


def months_floor(days: int) -> float:
    """Days as months to one place, rounded down (exactly: 1 month = 487/16 days)."""
    return (days * 160 // MONTH_SIXTEENTH_DAYS) / 10


def days_for_years(years: int) -> int:
    """The fewest whole days that make ``years`` years."""
    return -(-years * YEAR_QUARTER_DAYS // 4)


def days_for_months(months: int) -> int:
    """The fewest whole days that make ``months`` months."""
    return -(-months * MONTH_SIXTEENTH_DAYS // 16)
