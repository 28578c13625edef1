"""Numbers as people write them, in requirement messages, bars and tables."""

from __future__ import annotations

import pytest

from trainerpath.wording import format_number

pytestmark = pytest.mark.without_app


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (100, "100"),
        (84.0, "84"),
        (94.9, "94.9"),
        (3.99, "3.99"),
        (2.5, "2.5"),
        (22.998, "23"),
        (1000000, "1000000"),
        (2e6, "2000000"),
    ],
)
def test_a_number_is_written_with_at_most_two_places_and_no_trailing_zeros(
    value: float, written: str
) -> None:
    assert format_number(value) == written
