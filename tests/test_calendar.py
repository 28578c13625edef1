"""Calendar arithmetic of pathways.md §6: month windows, leaving dates, checkpoints, units.

Every expected date and number below is worked out by hand from the spec's words.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from trainerpath.pathways.calendar import (
    add_months,
    days_for_months,
    days_for_years,
    leaves_window,
    month_checkpoints,
    months_floor,
    window_start,
    years_floor,
)

pytestmark = pytest.mark.without_app  # pure functions: no app, no database


@pytest.mark.parametrize(
    ("today", "months", "start"),
    [
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2023, 3, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 30), 1, date(2024, 2, 29)),
        (date(2024, 3, 29), 1, date(2024, 2, 29)),
        (date(2024, 3, 28), 1, date(2024, 2, 28)),
        (date(2024, 5, 31), 3, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2023, 12, 31)),
        (date(2024, 2, 29), 60, date(2019, 2, 28)),
        (date(2025, 2, 28), 60, date(2020, 2, 28)),
        (date(2025, 3, 1), 60, date(2020, 3, 1)),
        (date(2028, 2, 29), 84, date(2021, 2, 28)),
        (date(2026, 12, 1), 60, date(2021, 12, 1)),
        (date(2026, 6, 15), 84, date(2019, 6, 15)),
    ],
)
def test_a_window_starts_the_same_day_n_months_earlier_clamped_to_the_month_end(
    today: date, months: int, start: date
) -> None:
    assert window_start(today, months) == start


@pytest.mark.parametrize(
    ("day", "months", "later"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2020, 2, 29), 60, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
    ],
)
def test_adding_months_keeps_the_day_or_clamps_it_to_the_month_end(
    day: date, months: int, later: date
) -> None:
    assert add_months(day, months) == later


@pytest.mark.parametrize(
    ("day", "months", "leaves"),
    [
        # Inside the one-month windows ending 28-31 March 2023 (they all start 28 February).
        (date(2023, 2, 28), 1, date(2023, 4, 1)),
        # 29 February 2024 is in the windows ending 29, 30 and 31 March.
        (date(2024, 2, 29), 1, date(2024, 4, 1)),
        # 31 January is still in the window ending 29 February (it starts 29 January).
        (date(2024, 1, 31), 1, date(2024, 3, 1)),
        (date(2024, 1, 30), 1, date(2024, 3, 1)),
        (date(2024, 3, 31), 1, date(2024, 5, 1)),
        (date(2024, 3, 15), 1, date(2024, 4, 16)),
        # 60 months: the window ending 29 February 2024 starts on 28 February 2019.
        (date(2019, 2, 28), 60, date(2024, 3, 1)),
        (date(2020, 2, 29), 60, date(2025, 3, 1)),
        (date(2020, 8, 31), 60, date(2025, 9, 1)),
        (date(2021, 4, 30), 60, date(2026, 5, 1)),
        (date(2021, 12, 1), 60, date(2026, 12, 2)),
        (date(2019, 6, 15), 84, date(2026, 6, 16)),
    ],
)
def test_an_item_leaves_a_window_on_the_first_day_it_is_before_the_window_start(
    day: date, months: int, leaves: date
) -> None:
    assert leaves_window(day, months) == leaves
    # The day before, the item was still inside: that window starts on or before it.
    assert window_start(leaves - timedelta(days=1), months) <= day < window_start(leaves, months)


@pytest.mark.parametrize("months", [1, 3, 60, 84])
def test_every_item_leaves_exactly_when_the_window_passes_it(months: int) -> None:
    day = date(2019, 1, 1)
    while day < date(2021, 1, 1):
        leave = leaves_window(day, months)
        assert window_start(leave - timedelta(days=1), months) <= day, day
        assert window_start(leave, months) > day, day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("today", "count", "checkpoints"),
    [
        (
            date(2024, 1, 31),
            3,
            [(1, date(2024, 2, 1)), (2, date(2024, 3, 1)), (3, date(2024, 4, 1))],
        ),
        (
            date(2024, 11, 1),
            3,
            [(1, date(2024, 12, 1)), (2, date(2025, 1, 1)), (3, date(2025, 2, 1))],
        ),
        (date(2024, 2, 29), 1, [(1, date(2024, 3, 1))]),
    ],
)
def test_checkpoints_are_the_first_days_of_the_months_after_todays_month(
    today: date, count: int, checkpoints: list[tuple[int, date]]
) -> None:
    assert list(month_checkpoints(today, count)) == checkpoints


def test_sixty_checkpoints_end_on_the_first_day_five_years_after_todays_month() -> None:
    checkpoints = list(month_checkpoints(date(2026, 6, 15), 60))
    assert len(checkpoints) == 60
    assert checkpoints[0] == (1, date(2026, 7, 1))
    assert checkpoints[6] == (7, date(2027, 1, 1))
    assert checkpoints[-1] == (60, date(2031, 6, 1))


@pytest.mark.parametrize(
    ("days", "years"),
    [(0, 0.0), (365, 0.99), (366, 1.0), (1460, 3.99), (1461, 4.0), (1826, 4.99), (1827, 5.0)],
)
def test_years_are_rounded_down_to_two_places(days: int, years: float) -> None:
    # 1460 days are 3.9973 years: rounded down, not to the nearest 4.00.
    assert years_floor(days) == years


@pytest.mark.parametrize(
    ("days", "months"),
    [(0, 0.0), (30, 0.9), (31, 1.0), (1678, 55.1), (1826, 59.9), (1827, 60.0), (2557, 84.0)],
)
def test_months_are_rounded_down_to_one_place(days: int, months: float) -> None:
    # 1826 days are 59.99 months: rounded down, not to the nearest 60.0.
    assert months_floor(days) == months


@pytest.mark.parametrize(("years", "days"), [(1, 366), (2, 731), (4, 1461)])
def test_whole_years_need_the_fewest_whole_days_of_365_25(years: int, days: int) -> None:
    assert days_for_years(years) == days


@pytest.mark.parametrize(("months", "days"), [(1, 31), (12, 366), (60, 1827), (84, 2557)])
def test_whole_months_need_the_fewest_whole_days_of_30_4375(months: int, days: int) -> None:
    assert days_for_months(months) == days
