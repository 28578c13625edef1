"""How pages, mails and audit details write dates, numbers and counts (no Flask here).

One human date format everywhere people read (5 Mar 2025); ISO dates only in the API
and in files meant for programs (CSV, JSON).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal


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
        return str(int(value))  # 1000000, not :g's "1e+06"
    return f"{value:.2f}".rstrip("0").rstrip(".")  # 22.998 is "23", not "23."


def format_score(value: float) -> str:
    """A score as people read it, rounded down to two places: 94.999 is "94.99", never
    "95" (the pass mark it falls short of), and 0.00001 is "0", not "1e-05"."""
    down = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    return format_number(float(down))


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun that goes with it: 1 teaching session, 2 teaching sessions."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{format_number(count)} {noun}"


def unit_for(count: float, unit: str) -> str:
    """A requirement's plural unit as ``count`` takes it: "1 student", "1 teaching session",
    "2 years", "1 qualifying event with current materials" (every unit the rulesets
    declare is a regular plural in -s, maybe followed by "with ...", which stays as is)."""
    if count != 1:
        return unit
    noun, with_, rest = unit.partition(" with ")
    return (noun[:-1] if noun.endswith("s") else noun) + with_ + rest
