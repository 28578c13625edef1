"""The few statistics the benchmark prints."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], rank: float) -> float:
    """The ``rank``-th percentile (0-100) of ``values`` by nearest rank; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or NaN when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else math.nan
