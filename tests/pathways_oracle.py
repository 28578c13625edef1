"""An independent reading of pathways.md: the requirement results of every ruleset.

Written from the specification alone (§3, §5, §6), without the app's measuring code,
so that a randomized test can compare the two. Plain loops over days and items, exact
fractions: slow, but each rule is one obvious line of the spec.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import cache
from math import floor
from typing import Any

SCRUM_ALLIANCE = {"csm", "cspo", "csd", "a_csm", "a_cspo", "csp_sm", "csp_po"}
SCRUM_ROLES = {"scrum_master", "product_owner", "team_member", "agile_coach"}
FIRST_SCRUM_ROLES = {"scrum_master", "product_owner", "team_member"}  # cst@1, §4
YEAR = Fraction(36525, 100)  # days
MONTH = YEAR / 12  # 30.4375 days
VERIFIED, PENDING = "verified", "pending"


@dataclass
class Item:
    """One evidence item: its kind (the API's slug), review status and fields."""

    kind: str
    status: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields.get(name)


# -- calendar ---------------------------------------------------------------------------


@cache
def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` calendar months earlier (later if negative),
    clamped to that month's last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def first_of_month_after(day: date, k: int) -> date:
    """The first day of the k-th month after ``day``'s month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + k, 12)
    return date(year, month0 + 1, 1)


def valid_until(item: Item) -> date | None:
    """The day a credential stops being active (None: never)."""
    if item["expires_on"] is not None:
        expires: date = item["expires_on"]
        return expires
    if item["kind"] not in SCRUM_ALLIANCE:
        return None
    issued: date = item["issued_on"]
    if issued.month == 2 and issued.day == 29:
        return date(issued.year + 2, 2, 28)
    return issued.replace(year=issued.year + 2)


def active(item: Item, today: date) -> bool:
    """§3: issued_on ≤ today < expires_on."""
    until = valid_until(item)
    return bool(item["issued_on"] <= today and (until is None or today < until))


# -- durations ----------------------------------------------------------------------------


def union_days(items: list[Item], roles: set[str], cut: date, since: date | None = None) -> int:
    """Days of the union of the periods of ``roles``, each [started_on, ended_on) cut at
    ``cut`` (nothing on or after it), and not before ``since``."""
    spans = []
    for item in items:
        if item["role"] not in roles:
            continue
        start: date = item["started_on"]
        end: date = min(item["ended_on"] or cut, cut)
        if since is not None:
            start = max(start, since)
        if start < end:
            spans.append((start, end))
    total, reached = 0, date.min
    for start, end in sorted(spans):
        start = max(start, reached)
        if start < end:
            total += (end - start).days
            reached = end
    return total


def down(value: Fraction, places: int) -> float:
    """Rounded down to ``places`` decimals."""
    scale = 10**places
    return floor(value * scale) / scale


# -- the requirements -----------------------------------------------------------------------


@dataclass
class Result:
    """What the API reports of one requirement (the compared fields)."""

    met: bool
    current: float
    pending: float
    target: float
    window: dict[str, Any] | None = None
    ageing: list[dict[str, Any]] = field(default_factory=list)
    forecast: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "current": self.current,
            "pending": self.pending,
            "target": self.target,
            "window": self.window,
            "ageing": self.ageing,
            "forecast": self.forecast,
        }


def of(items: list[Item], kind: str, status: str) -> list[Item]:
    return [item for item in items if item.kind == kind and item.status == status]


def yes_no(items: list[Item], kind: str, matches: Any) -> Result:
    """A yes/no requirement: a count with target 1, never a forecast."""
    current = sum(1 for item in of(items, kind, VERIFIED) if matches(item))
    pending = sum(1 for item in of(items, kind, PENDING) if matches(item))
    return Result(current >= 1, current, pending, 1)


def count_forecast(
    today: date, target: int, dated: list[tuple[date, int]], months: int | None
) -> dict[str, Any]:
    """§6 forecast of an unmet count or total over verified (date, quantity) pairs."""
    q = sum(n for day, n in dated if today - timedelta(days=365) < day <= today)
    met_by = None
    for k in range(1, 61):
        checkpoint = first_of_month_after(today, k)
        start = months_before(checkpoint, months) if months else date.min
        inside = sum(n for day, n in dated if start <= day <= today)
        if 12 * inside + k * q >= 12 * target:
            met_by = checkpoint.isoformat()
            break
    return {"met_by": met_by, "pace_per_month": round(q / 12, 2)}


def count(
    today: date,
    target: int,
    verified: list[tuple[date, int]],
    pending: list[tuple[date, int]],
    months: int | None = None,
) -> Result:
    """A count or total of (date, quantity) pairs, inside a window of ``months`` if given."""
    start = months_before(today, months) if months else date.min
    current = sum(n for day, n in verified if start <= day <= today)
    waiting = sum(n for day, n in pending if start <= day <= today)
    met = current >= target
    result = Result(met, current, waiting, target)
    if months:
        result.window = {"months": months, "from": start.isoformat()}
        previous = current
        for ahead in range(1, 366):
            day = today + timedelta(days=ahead)
            first = months_before(day, months)
            now = sum(n for d, n in verified if first <= d <= today)
            if now != previous:
                result.ageing.append({"on": day.isoformat(), "current": now})
            previous = now
    if not met:
        result.forecast = count_forecast(today, target, verified, months)
    return result


def duration(
    items: list[Item],
    today: date,
    roles: set[str],
    needed_days: int,
    unit: Fraction,
    places: int,
    target: int,
    months: int | None = None,
) -> Result:
    """A duration of experience in ``unit`` days, in a window of ``months`` if given."""

    def days_on(day: date, chosen: list[Item]) -> int:
        since = months_before(day, months) if months else None
        return union_days(chosen, roles, day, since)

    verified = [item for item in of(items, "experience", VERIFIED) if item["role"] in roles]
    both = verified + of(items, "experience", PENDING)
    have = days_on(today, verified)
    extra = days_on(today, both) - have
    met = have >= needed_days
    result = Result(met, down(have / unit, places), down(extra / unit, places), target)
    if months:
        start = months_before(today, months)
        result.window = {"months": months, "from": start.isoformat()}
        if met:
            for ahead in range(1, 366):
                day = today + timedelta(days=ahead)
                later = days_on(day, verified)
                if later < needed_days:
                    result.ageing = [{"on": day.isoformat(), "current": down(later / unit, places)}]
                    break
    if not met:
        met_by = None
        last = months_before(today, -84)
        day = today + timedelta(days=1)
        while day <= last:
            if days_on(day, verified) >= needed_days:
                met_by = day.isoformat()
                break
            day += timedelta(days=1)
        result.forecast = {"met_by": met_by, "pace_per_month": None}
    return result


def sessions(
    items: list[Item], status: str, qualifies: Any, quantity: Any
) -> list[tuple[date, int]]:
    return [
        (item["first_day"], quantity(item))
        for item in of(items, "teaching-sessions", status)
        if qualifies(item)
    ]


def counted(
    items: list[Item], today: date, target: int, qualifies: Any, quantity: Any, months: int | None
) -> Result:
    return count(
        today,
        target,
        sessions(items, VERIFIED, qualifies, quantity),
        sessions(items, PENDING, qualifies, quantity),
        months,
    )


def attempt(names: set[str], pass_mark: float) -> Any:
    return lambda item: item["assessment"] in names and item["score"] >= pass_mark


def milestone(kind: str) -> Any:
    return lambda item: item["kind"] == kind


def requirements(
    ruleset: str, track: str | None, today: date, items: list[Item]
) -> dict[str, Result]:
    """Every requirement of ``ruleset`` (of the state ``preparing``) by key."""

    def csp(kinds: set[str]) -> Result:
        return yes_no(items, "credentials", lambda c: c["kind"] in kinds and active(c, today))

    def training_provided() -> Result:  # a count with target 1: a yes/no requirement (§5)
        return yes_no(items, "teaching-sessions", lambda s: True)

    def experience_exists(roles: set[str]) -> Result:
        return yes_no(items, "experience", lambda e: e["role"] in roles)

    if ruleset == "cst@1":
        return {
            "csp_active": csp({"csp_sm", "csp_po"}),
            "students_taught": counted(
                items, today, 100, lambda s: True, lambda s: s["students"], None
            ),
            "multi_day_sm_sessions": counted(
                items,
                today,
                10,
                lambda s: s["course_type"] == "scrum_master" and s["days"] >= 2,
                lambda s: 1,
                None,
            ),
            "course_materials_reviewed": yes_no(
                items, "milestones", milestone("course_materials_reviewed")
            ),
            "scrum_experience": experience_exists(FIRST_SCRUM_ROLES),
        }
    if ruleset == "pst@1":
        return {
            "po_experience": duration(items, today, {"product_owner"}, 1461, YEAR, 2, 4),
            "training_provided": training_provided(),
            "pspo1_95": yes_no(items, "assessments", attempt({"pspo_1"}, 95)),
            "ttt_attended": yes_no(items, "milestones", milestone("ttt_attended")),
            "pspo2_85": yes_no(items, "assessments", attempt({"pspo_2"}, 85)),
            "pspo3_85": yes_no(items, "assessments", attempt({"pspo_3"}, 85)),
        }
    if ruleset == "cst@2":
        assert track in ("scrum_master", "product_owner")

        def qualifying(s: Item) -> bool:
            share = 100 if s["share_delivered"] is None else s["share_delivered"]
            reflection = (s["reflection"] or "").strip()
            return bool(s["course_type"] == track and s["days"] >= 2 and share >= 50 and reflection)

        return {
            "csp_active": csp({"csp_sm" if track == "scrum_master" else "csp_po"}),
            "qualifying_events": counted(items, today, 10, qualifying, lambda s: 1, 60),
            "current_materials_events": counted(
                items,
                today,
                5,
                lambda s: qualifying(s) and bool(s["with_current_materials"]),
                lambda s: 1,
                60,
            ),
            "recent_experience": duration(items, today, SCRUM_ROLES, 1827, MONTH, 1, 60, 84),
            "learning_objectives_mapped": yes_no(
                items, "milestones", milestone("learning_objectives_mapped")
            ),
        }
    if ruleset == "pst@2":
        return {
            "scrum_experience": duration(items, today, SCRUM_ROLES, 1461, YEAR, 2, 4),
            "training_provided": training_provided(),
            "assessment_95": yes_no(items, "assessments", attempt({"psm_1", "pspo_1"}, 95)),
            "advanced_assessment_85": yes_no(
                items, "assessments", attempt({"psm_2", "pspo_2"}, 85)
            ),
        }
    raise ValueError(ruleset)
