"""Windows, ageing and forecasts of the requirement object (pathways.md §6), on fixed dates.

"Today" is 15 June 2026 unless a test says otherwise: the 60-month window starts on
15 June 2021, the 84-month one on 15 June 2019 (2557 days earlier); the next 365 days run
to 15 June 2027; the forecast's checkpoints are 1 July 2026 (k = 1), 1 January 2027
(k = 7), 1 June 2027 (k = 12) and so on. Every expected value is worked out by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from measuring import Check, Facts
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from trainerpath.models import EvidenceBase, User
from trainerpath.pathways import RULESETS, Ageing, Forecast, Population, Ruleset

pytestmark = pytest.mark.without_app  # services need no Flask app

CST_1, PST_1 = RULESETS["cst@1"], RULESETS["pst@1"]
CST_2, PST_2 = RULESETS["cst@2"], RULESETS["pst@2"]

qualifying_events = Check(CST_2, "qualifying_events")
current_materials_events = Check(CST_2, "current_materials_events")
recent_experience = Check(CST_2, "recent_experience")
scrum_experience = Check(PST_2, "scrum_experience")
students_taught = Check(CST_1, "students_taught")
multi_day_sm_sessions = Check(CST_1, "multi_day_sm_sessions")
po_experience = Check(PST_1, "po_experience")

MakeEvidence = Callable[..., EvidenceBase]

DAY = date(2026, 6, 15)
RECENT = date(2026, 3, 2)  # inside the last 365 days
OLDER = date(2024, 1, 10)  # inside the 60-month window, outside the last 365 days
SM, PO = "scrum_master", "product_owner"
WINDOW_DAYS = 2557  # days from the first day of the 84-month window to DAY


def ago(days: int) -> date:
    """The day ``days`` before DAY (after it, for a negative number)."""
    return DAY - timedelta(days=days)


@pytest.fixture
def candidate(make_user: Callable[..., User]) -> User:
    """The candidate whose evidence is measured."""
    return make_user()


def facts(session: Session, candidate: User, track: str | None = SM, today: date = DAY) -> Facts:
    """This candidate's evidence as of ``today``, on ``track``."""
    assert candidate.id is not None
    return Facts(session, candidate.id, today, track)


@pytest.fixture
def courses(make_evidence: MakeEvidence, candidate: User) -> Callable[..., None]:
    """Log ``count`` courses on ``first_day``, qualifying ScrumMaster ones unless told."""

    def make(first_day: date, count: int = 1, today: date = DAY, **fields: Any) -> None:
        values = {
            "course_type": SM,
            "days": 2,
            "reflection": "Less slideware, more exercises",
            "first_day": first_day,
        } | fields
        for _ in range(count):
            make_evidence(candidate, "teaching-sessions", today=today, **values)

    return make


# (role, started so many days before DAY, ended so many days before DAY or None: ongoing)
Period = tuple[str, int, int | None]


@pytest.fixture
def periods(make_evidence: MakeEvidence, candidate: User) -> Callable[..., None]:
    """Log experience periods given in days before DAY."""

    def make(items: list[Period], status: str = "verified") -> None:
        for role, started, ended in items:
            make_evidence(
                candidate,
                "experience",
                today=DAY,
                status=status,
                role=role,
                started_on=ago(started),
                ended_on=None if ended is None else ago(ended),
            )

    return make


# -- window ---------------------------------------------------------------------------

WINDOWS: dict[str, dict[str, dict[str, Any] | None]] = {
    "cst@2": {
        "csp_active": None,
        "qualifying_events": {"months": 60, "from": date(2021, 6, 15)},
        "current_materials_events": {"months": 60, "from": date(2021, 6, 15)},
        "recent_experience": {"months": 84, "from": date(2019, 6, 15)},
        "learning_objectives_mapped": None,
    },
    "pst@2": {
        "scrum_experience": None,
        "training_provided": None,
        "assessment_95": None,
        "advanced_assessment_85": None,
    },
    "cst@1": {
        "csp_active": None,
        "students_taught": None,
        "multi_day_sm_sessions": None,
        "course_materials_reviewed": None,
        "scrum_experience": None,
    },
    "pst@1": {
        "po_experience": None,
        "training_provided": None,
        "pspo1_95": None,
        "ttt_attended": None,
        "pspo2_85": None,
        "pspo3_85": None,
    },
}


def test_the_table_of_windows_names_every_requirement() -> None:
    assert {rid: set(keys) for rid, keys in WINDOWS.items()} == {
        rid: set(RULESETS[rid].requirements) for rid in WINDOWS
    }


@pytest.mark.parametrize("ruleset_id", sorted(WINDOWS))
def test_a_windowed_requirement_says_its_window_and_others_say_none(
    session: Session, candidate: User, ruleset_id: str
) -> None:
    for key, window in WINDOWS[ruleset_id].items():
        found = Check(RULESETS[ruleset_id], key)(facts(session, candidate)).as_dict()
        assert found["window"] == window, key
        assert found["ageing"] == [], key


def test_a_window_ending_on_29_february_starts_on_28_february(
    session: Session, candidate: User
) -> None:
    found = qualifying_events(facts(session, candidate, today=date(2024, 2, 29))).as_dict()
    assert found["window"] == {"months": 60, "from": date(2019, 2, 28)}


# -- ageing of a windowed count -------------------------------------------------------


def test_ageing_lists_each_day_evidence_leaves_and_what_remains(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(date(2021, 6, 15))  # the window's first day: leaves tomorrow
    courses(date(2021, 9, 30), count=2)  # leave together on 1 October 2026
    courses(date(2022, 6, 14))  # leaves on 15 June 2027, the 365th day
    courses(date(2022, 6, 15))  # leaves on 16 June 2027, the 366th day: not yet reported
    courses(RECENT, count=5)
    courses(date(2021, 7, 1), status="pending")  # only verified evidence ages
    courses(date(2021, 8, 1), status="rejected")
    courses(date(2021, 7, 15), days=1)  # not a qualifying event
    courses(date(2021, 6, 14))  # already outside
    requirement = qualifying_events(facts(session, candidate))
    assert (requirement.met, requirement.current, requirement.pending) == (True, 10, 1)
    assert requirement.as_dict()["ageing"] == [
        {"on": date(2026, 6, 16), "current": 9},
        {"on": date(2026, 10, 1), "current": 7},
        {"on": date(2027, 6, 15), "current": 6},
    ]
    assert requirement.forecast is None  # met


def test_ageing_is_reported_in_date_order_whatever_order_the_evidence_was_logged(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(date(2022, 1, 20), count=3)
    courses(date(2021, 12, 31))
    courses(date(2021, 6, 20), count=2)
    assert qualifying_events(facts(session, candidate)).ageing == (
        Ageing(date(2026, 6, 21), 4),
        Ageing(date(2027, 1, 1), 3),
        Ageing(date(2027, 1, 21), 0),
    )


def test_ageing_at_month_ends_on_29_february(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    today = date(2024, 2, 29)  # the 60-month window starts on 28 February 2019
    for day in (
        date(2019, 2, 27),  # outside
        date(2019, 2, 28),  # inside today, outside from 1 March 2024 (not 29 February)
        date(2019, 3, 31),  # leaves on 1 April 2024
        date(2019, 4, 30),  # leaves on 1 May 2024
        date(2019, 8, 31),  # leaves on 1 September 2024
        date(2020, 2, 27),  # leaves on 28 February 2025, the 365th day
        date(2020, 2, 28),  # leaves on 1 March 2025, the 366th day
    ):
        courses(day, today=today)
    requirement = qualifying_events(facts(session, candidate, today=today))
    assert requirement.current == 6
    assert requirement.ageing == (
        Ageing(date(2024, 3, 1), 5),
        Ageing(date(2024, 4, 1), 4),
        Ageing(date(2024, 5, 1), 3),
        Ageing(date(2024, 9, 1), 2),
        Ageing(date(2025, 2, 28), 1),
    )


def test_ageing_of_current_materials_counts_only_those_events(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(date(2021, 7, 1), count=2, with_current_materials=True)
    courses(date(2021, 7, 1), count=3)
    courses(date(2021, 8, 1), with_current_materials=True)
    courses(RECENT, count=4, with_current_materials=True)
    requirement = current_materials_events(facts(session, candidate))
    assert (requirement.met, requirement.current) == (True, 7)
    assert requirement.ageing == (Ageing(date(2026, 7, 2), 5), Ageing(date(2026, 8, 2), 4))


def test_an_unmet_windowed_count_reports_its_ageing_too(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(date(2021, 7, 1), count=2)
    courses(RECENT)
    requirement = qualifying_events(facts(session, candidate))
    assert (requirement.met, requirement.current) == (False, 3)
    assert requirement.ageing == (Ageing(date(2026, 7, 2), 1),)


# -- ageing of a windowed duration ----------------------------------------------------


@pytest.mark.parametrize(
    ("verified", "pending", "ageing"),
    [
        # 1830 days inside the window today, one fewer each day.
        ([(SM, 4000, WINDOW_DAYS - 1830)], [], [Ageing(date(2026, 6, 19), 59.9)]),
        # Ongoing since before the window: never falls.
        ([(SM, 3000, None)], [], []),
        # An ongoing period gains what the old one loses.
        ([(SM, 4000, WINDOW_DAYS - 1830), (PO, 10, None)], [], []),
        # ... and one that ended does not: 1839 days, below 1827 after 13 days.
        ([(SM, 4000, WINDOW_DAYS - 1830), (PO, 10, 1)], [], [Ageing(date(2026, 6, 28), 59.9)]),
        # A pending period holds nothing up.
        ([(SM, 4000, WINDOW_DAYS - 1830)], [(PO, 10, None)], [Ageing(date(2026, 6, 19), 59.9)]),
        # 2192 days: the window skips 29 February 2020 on 1 March 2027 (its start moves
        # from 28 February to 1 March 2020), so it falls below on day 365, 15 June 2027.
        ([(SM, 4000, WINDOW_DAYS - 2192)], [], [Ageing(date(2027, 6, 15), 59.9)]),
        # 2193 days: it falls below on day 366, beyond the next 365 days.
        ([(SM, 4000, WINDOW_DAYS - 2193)], [], []),
        # Unmet: no ageing, though it loses days too.
        ([(SM, 4000, WINDOW_DAYS - 1826)], [], []),
    ],
    ids=[
        "ended-period",
        "ongoing-since-before-the-window",
        "ongoing-period-continues",
        "recent-period-ended",
        "pending-does-not-count",
        "day-365",
        "day-366",
        "unmet",
    ],
)
def test_a_windowed_duration_reports_the_first_day_it_would_fall_below_its_target(
    session: Session,
    candidate: User,
    periods: Callable[..., None],
    verified: list[Period],
    pending: list[Period],
    ageing: list[Ageing],
) -> None:
    periods(verified)
    periods(pending, status="pending")
    assert recent_experience(facts(session, candidate)).ageing == tuple(ageing)


def test_a_duration_without_a_window_never_ages(
    session: Session, candidate: User, periods: Callable[..., None]
) -> None:
    periods([(SM, 2000, 500)])
    requirement = scrum_experience(facts(session, candidate, track=None))
    assert (requirement.met, requirement.window, requirement.ageing) == (True, None, ())


# -- forecast of a count or total -----------------------------------------------------


@pytest.mark.parametrize(
    ("year_old_day", "forecast"),
    [
        # q = 3 (RECENT, 16 June 2025, today): 12 x 7 + 3k >= 120 first at k = 12.
        (date(2025, 6, 15), Forecast(date(2027, 6, 1), 0.25)),
        # The fourth item is inside the last 365 days: q = 4, 84 + 4k >= 120 at k = 9.
        (date(2025, 6, 16), Forecast(date(2027, 3, 1), 0.33)),
    ],
    ids=["365-days-ago-is-not-recent", "364-days-ago-is-recent"],
)
def test_a_count_is_forecast_at_the_pace_of_the_last_365_days(
    session: Session,
    candidate: User,
    courses: Callable[..., None],
    year_old_day: date,
    forecast: Forecast,
) -> None:
    courses(OLDER, count=3)
    courses(year_old_day)
    courses(date(2025, 6, 16))
    courses(RECENT)
    courses(DAY)
    courses(RECENT, count=4, status="pending")  # pending evidence sets no pace
    requirement = qualifying_events(facts(session, candidate))
    assert (requirement.met, requirement.current) == (False, 7)
    assert requirement.forecast == forecast
    assert requirement.as_dict()["forecast"] == {
        "met_by": forecast.met_by,
        "pace_per_month": forecast.pace_per_month,
    }


@pytest.mark.parametrize(
    ("old_day", "forecast"),
    [
        # 8 old events still inside: 108 + k >= 120 at k = 12.
        (OLDER, Forecast(date(2027, 6, 1), 0.08)),
        # 8 events leave on 2 July 2026: 12 x 1 + k never reaches 120 in 60 months.
        (date(2021, 7, 1), Forecast(None, 0.08)),
    ],
    ids=["old-events-stay", "old-events-age-out"],
)
def test_ageing_can_make_a_forecast_impossible_at_this_pace(
    session: Session,
    candidate: User,
    courses: Callable[..., None],
    old_day: date,
    forecast: Forecast,
) -> None:
    courses(old_day, count=8)
    courses(date(2026, 1, 10))
    requirement = qualifying_events(facts(session, candidate))
    assert (requirement.met, requirement.current) == (False, 9)
    assert requirement.forecast == forecast


def test_ageing_delays_a_forecast_by_what_leaves_the_window(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(date(2021, 7, 1), count=5)  # still inside on 1 July 2026, gone from 2 July
    for day in (date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 10), RECENT):
        courses(day)
    # k = 1: 12 x 9 + 4 = 112 < 120; from k = 2: 12 x 4 + 4k >= 120 first at k = 18.
    assert qualifying_events(facts(session, candidate)).forecast == Forecast(
        date(2027, 12, 1), 0.33
    )


def test_no_recent_evidence_is_no_pace(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(OLDER, count=3)
    requirement = qualifying_events(facts(session, candidate))
    assert requirement.forecast == Forecast(None, 0.0)
    assert requirement.as_dict()["forecast"] == {"met_by": None, "pace_per_month": 0.0}


def test_a_total_without_a_window_keeps_its_old_evidence_in_the_forecast(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    for first_day, students, status in (
        (date(2015, 1, 10), 40, "verified"),  # never leaves: cst@1 has no window
        (date(2025, 9, 1), 30, "verified"),
        (date(2025, 6, 15), 15, "verified"),  # 365 days ago: not in the pace
        (date(2026, 5, 1), 50, "pending"),
    ):
        make_evidence(
            candidate,
            "teaching-sessions",
            today=DAY,
            status=status,
            first_day=first_day,
            students=students,
        )
    requirement = students_taught(facts(session, candidate, track=None))
    assert (requirement.met, requirement.current, requirement.pending) == (False, 85, 50)
    assert requirement.window is None
    # q = 30 students: 12 x 85 + 30k >= 1200 first at k = 6 (1 December 2026).
    assert requirement.forecast == Forecast(date(2026, 12, 1), 2.5)


def test_a_count_without_a_window_is_forecast_too(
    session: Session, candidate: User, make_evidence: MakeEvidence
) -> None:
    for first_day in [date(2012, 3, 1)] * 6 + [date(2025, 11, 1), RECENT]:
        make_evidence(candidate, "teaching-sessions", today=DAY, first_day=first_day, days=3)
    requirement = multi_day_sm_sessions(facts(session, candidate, track=None))
    # 8 sessions, q = 2: 96 + 2k >= 120 first at k = 12; pace 2 / 12 = 0.17.
    assert requirement.forecast == Forecast(date(2027, 6, 1), 0.17)


# -- forecast of a duration -----------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "forecast"),
    [
        # 1000 days, ongoing: 1461 on DAY + 461 days.
        ([(SM, 1000, None)], Forecast(date(2027, 9, 19), None)),
        # 200 + 500 days, the second ongoing: 761 more, on DAY + 761 days.
        ([(SM, 3000, 2800), (PO, 500, None)], Forecast(date(2028, 7, 15), None)),
        # Started yesterday: DAY + 1460 days, inside the 84 months looked ahead.
        ([("agile_coach", 1, None)], Forecast(date(2030, 6, 14), None)),
        # Started today: no day yet, but it goes on; DAY + 1461 days.
        ([("agile_coach", 0, None)], Forecast(date(2030, 6, 15), None)),
        # No ongoing period: it never grows.
        ([(SM, 1000, 10)], Forecast(None, None)),
        # A planned end stops it at 1100 days.
        ([(SM, 1000, -100)], Forecast(None, None)),
        ([], Forecast(None, None)),
    ],
    ids=[
        "ongoing",
        "ended-and-ongoing",
        "started-yesterday",
        "started-today",
        "ended",
        "planned-end",
        "none",
    ],
)
def test_a_duration_is_forecast_from_its_ongoing_periods(
    session: Session,
    candidate: User,
    periods: Callable[..., None],
    items: list[Period],
    forecast: Forecast,
) -> None:
    periods(items)
    periods([(PO, 3000, None)], status="pending")  # forecasts read verified evidence only
    requirement = scrum_experience(facts(session, candidate, track=None))
    assert requirement.met is False
    assert requirement.forecast == forecast
    assert requirement.as_dict()["forecast"] == {"met_by": forecast.met_by, "pace_per_month": None}


@pytest.mark.parametrize(
    ("items", "forecast"),
    [
        # 1000 days, ongoing and inside the window: 1827 on DAY + 827 days.
        ([(SM, 1000, None)], Forecast(date(2028, 9, 19), None)),
        # The old period leaves the window as fast as the new one grows, until it is gone;
        # then the new one, started on 5 June 2026, reaches 1827 days on 6 June 2031.
        ([(SM, WINDOW_DAYS, WINDOW_DAYS - 1000), (PO, 10, None)], Forecast(date(2031, 6, 6), None)),
        # Started today: 1827 days on DAY + 1827 days.
        ([(SM, 0, None)], Forecast(date(2031, 6, 16), None)),
        # Nothing ongoing: the window only takes days away.
        ([(SM, 1500, 10)], Forecast(None, None)),
    ],
    ids=["ongoing", "window-delays", "started-today", "ended"],
)
def test_a_windowed_duration_is_forecast_with_its_window_moving(
    session: Session,
    candidate: User,
    periods: Callable[..., None],
    items: list[Period],
    forecast: Forecast,
) -> None:
    periods(items)
    requirement = recent_experience(facts(session, candidate))
    assert requirement.met is False
    assert requirement.forecast == forecast


def test_a_duration_of_the_first_rulesets_is_forecast_too(
    session: Session, candidate: User, periods: Callable[..., None]
) -> None:
    periods([(PO, 1000, None), (SM, 3000, None)])
    requirement = po_experience(facts(session, candidate, track=None))
    assert (requirement.current, requirement.forecast) == (2.73, Forecast(date(2027, 9, 19), None))


# -- no forecast -----------------------------------------------------------------------


def test_a_met_requirement_has_no_forecast(
    session: Session, candidate: User, courses: Callable[..., None], periods: Callable[..., None]
) -> None:
    courses(RECENT, count=10, with_current_materials=True)
    periods([(SM, 2000, None)])
    for check in (qualifying_events, current_materials_events, recent_experience):
        requirement = check(facts(session, candidate))
        assert requirement.met, check.key
        assert requirement.as_dict()["forecast"] is None, check.key
    assert scrum_experience(facts(session, candidate, track=None)).forecast is None


@pytest.mark.parametrize(
    ("ruleset", "key"),
    [
        (CST_2, "csp_active"),
        (CST_2, "learning_objectives_mapped"),
        (PST_2, "assessment_95"),
        (PST_2, "advanced_assessment_85"),
        (PST_2, "training_provided"),
        (PST_1, "pspo3_85"),
        (CST_1, "scrum_experience"),
    ],
)
def test_yes_no_requirements_and_assessment_scores_have_no_forecast(
    session: Session,
    candidate: User,
    make_evidence: MakeEvidence,
    ruleset: Ruleset,
    key: str,
) -> None:
    # Evidence that comes close but does not meet any of them.
    make_evidence(
        candidate, "assessments", today=DAY, taken_on=RECENT, assessment="psm_1", score=94
    )
    make_evidence(
        candidate, "assessments", today=DAY, taken_on=RECENT, assessment="psm_2", score=84
    )
    make_evidence(candidate, "credentials", today=DAY, issued_on=RECENT, kind="csm")
    make_evidence(candidate, "teaching-sessions", today=DAY, first_day=RECENT, status="pending")
    requirement = Check(ruleset, key)(facts(session, candidate))
    assert requirement.met is False
    assert requirement.forecast is None
    assert requirement.as_dict()["forecast"] is None


# -- the requirement object -----------------------------------------------------------


def test_the_requirement_object_carries_window_ageing_and_forecast(
    session: Session, candidate: User, courses: Callable[..., None]
) -> None:
    courses(date(2021, 9, 30), count=2)
    courses(RECENT)
    assert qualifying_events(facts(session, candidate)).as_dict() == {
        "key": "qualifying_events",
        "label": "Qualifying training events",
        "met": False,
        "current": 3,
        "pending": 0,
        "target": 10,
        "unit": "qualifying training events",
        "message": "7 more qualifying training events needed",
        "window": {"months": 60, "from": date(2021, 6, 15)},
        "ageing": [{"on": date(2026, 10, 1), "current": 1}],
        # q = 1: 12 x 3 + k >= 120 would need k = 84; after 1 October only 12 + k.
        "forecast": {"met_by": None, "pace_per_month": 0.08},
    }


def test_the_duration_object_reports_months_rounded_down(
    session: Session, candidate: User, periods: Callable[..., None]
) -> None:
    periods([(SM, 1678, None)])
    found = recent_experience(facts(session, candidate)).as_dict()
    # 1678 days are 55.13 months; 149 more days make 1827, on 11 November 2026.
    assert (found["current"], found["target"], found["unit"]) == (55.1, 60, "months")
    assert found["message"] == "4.9 more months of Scrum experience in the last 84 months needed"
    assert found["window"] == {"months": 84, "from": date(2019, 6, 15)}
    assert found["ageing"] == []
    assert found["forecast"] == {"met_by": date(2026, 11, 11), "pace_per_month": None}


# -- many candidates at once ----------------------------------------------------------


def test_many_candidates_measured_at_once_each_get_their_own_answer(
    session: Session, make_user: Callable[..., User], make_evidence: MakeEvidence
) -> None:
    ann, ben, cat = (make_user(name=name) for name in ("Ann", "Ben", "Cat"))

    def course(who: User, first_day: date, count: int = 1, **fields: Any) -> None:
        values = {"course_type": SM, "days": 2, "reflection": "Adapted", "first_day": first_day}
        for _ in range(count):
            make_evidence(who, "teaching-sessions", today=DAY, **(values | fields))

    course(ann, RECENT, 10, with_current_materials=True)
    course(ann, date(2021, 7, 1), 2)
    course(ben, RECENT, 4, course_type=PO)
    course(ben, date(2021, 8, 1), 6, course_type=PO, with_current_materials=True)
    course(cat, RECENT, 3, status="pending")
    # Ann's and Ben's periods interleave: the union must be per person.
    for who, started, ended in ((ann, 3000, 2000), (ben, 2500, 1000), (ann, 1500, None)):
        make_evidence(
            who,
            "experience",
            today=DAY,
            role="agile_coach",
            started_on=ago(started),
            ended_on=None if ended is None else ago(ended),
        )
    make_evidence(ben, "credentials", today=DAY, kind="csp_po", issued_on=RECENT)
    make_evidence(ann, "assessments", today=DAY, assessment="psm_1", score=96, taken_on=RECENT)
    ids = tuple(pk for pk in (ann.id, ben.id, cat.id) if pk is not None)
    ann_id, ben_id, cat_id = ids
    for track in (SM, PO):
        everyone = Population(session, ids, DAY, track)
        for ruleset in (CST_2, PST_2):
            for key in ruleset.requirements:
                together = Check(ruleset, key).many(everyone)
                for person_id in ids:
                    alone = Check(ruleset, key)(Facts(session, person_id, DAY, track))
                    assert together[person_id] == alone, (ruleset.id, key, track, person_id)

    def current(key: str, track: str | None, ruleset: Ruleset = CST_2) -> list[int | float]:
        found = ruleset.measure(key, Population(session, ids, DAY, track))
        return [found[pk].current for pk in ids]

    assert current("qualifying_events", SM) == [12, 0, 0]
    assert current("qualifying_events", PO) == [0, 10, 0]
    assert current("current_materials_events", SM) == [10, 0, 0]
    assert current("current_materials_events", PO) == [0, 6, 0]
    assert current("csp_active", SM) == [0, 0, 0]
    assert current("csp_active", PO) == [0, 1, 0]
    # Ann: 557 days of her first period are inside the window, plus 1500 ongoing (2057
    # days, 67.58 months); Ben: 1500 days (49.28 months), inside the window.
    assert current("recent_experience", SM) == [67.5, 49.2, 0]
    # Without a window: Ann 1000 + 1500 days (6.84 years), Ben 1500 days (4.10 years).
    assert current("scrum_experience", None, PST_2) == [6.84, 4.1, 0]
    on_po_track = CST_2.measure("qualifying_events", Population(session, ids, DAY, PO))
    assert on_po_track[ben_id].ageing == (Ageing(date(2026, 8, 2), 4),)
    assert on_po_track[ann_id].ageing == ()
    assert on_po_track[cat_id].pending == 0  # Cat's pending courses are ScrumMaster ones


# -- statements per measurement -------------------------------------------------------


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test is recording."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def log_everything(make_evidence: MakeEvidence, people: list[User], items: int) -> None:
    """Give every candidate ``items`` items of every kind, some pending."""
    for who in people:
        for n in range(items):
            status = "pending" if n % 3 == 0 else "verified"
            day = ago(30 * n + 1)
            make_evidence(
                who,
                "teaching-sessions",
                today=DAY,
                status=status,
                first_day=day,
                reflection="Adapted",
                with_current_materials=n % 2 == 0,
            )
            make_evidence(
                who,
                "experience",
                today=DAY,
                status=status,
                role="scrum_master",
                started_on=day,
                ended_on=day + timedelta(days=20),
            )
            make_evidence(who, "assessments", today=DAY, status=status, taken_on=day, score=n)
            make_evidence(who, "credentials", today=DAY, status=status, issued_on=day)
            make_evidence(who, "milestones", today=DAY, status=status, achieved_on=day)


def count_statements(
    session: Session, statements: list[str], ids: tuple[int, ...]
) -> dict[str, int]:
    """The statements each requirement of every ruleset costs for ``ids``."""
    session.commit()
    session.connection()  # begin first, so a dialect's BEGIN is not counted
    counts = {}
    for ruleset in RULESETS.values():
        for key in ruleset.requirements:
            statements.clear()
            ruleset.measure(key, Population(session, ids, DAY, ruleset.default_track))
            counts[f"{ruleset.id} {key}"] = len(statements)
    return counts


def test_the_statements_per_requirement_do_not_grow_with_the_evidence(
    session: Session,
    make_user: Callable[..., User],
    make_evidence: MakeEvidence,
    statements: list[str],
) -> None:
    people = [make_user(), make_user()]
    ids = tuple(pk for pk in (who.id for who in people) if pk is not None)
    log_everything(make_evidence, people, 5)
    few = count_statements(session, statements, ids)
    log_everything(make_evidence, people, 45)  # 50 of each kind per candidate
    many = count_statements(session, statements, ids)
    assert many == few
    assert max(few.values()) <= 2, few
