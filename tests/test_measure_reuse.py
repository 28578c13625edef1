"""Measuring statements are built once per shape and reused with the day's values.

A reused statement must measure exactly what a freshly built one does: on another day
(windows, expiry and the last 365 days move with it), for other candidates and for
another track. Each expected result below comes from statements built for that very
day and population; the measurements compared with it reuse the ones built first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import TODAY, days_ago
from sqlalchemy.orm import Session

from trainerpath.models import User
from trainerpath.pathways import REGISTERED, measure
from trainerpath.pathways.calendar import window_start
from trainerpath.pathways.cst_2024 import WINDOW_MONTHS
from trainerpath.services import standings

pytestmark = pytest.mark.without_app

QUALIFYING = {"reflection": "Closed with a retrospective.", "with_current_materials": True}
EDGE = window_start(TODAY, WINDOW_MONTHS)  # a course on this day leaves the window tomorrow
# Today, the days a course and a credential cross an edge, a year on, and the past.
DAYS = [TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=40), TODAY + timedelta(days=400),
        TODAY - timedelta(days=200)]  # fmt: skip


def wanted_for(candidates: list[User]) -> list[standings.Wanted]:
    """Every requirement of every ruleset, on every track, for each candidate."""
    found: list[standings.Wanted] = []
    for candidate in candidates:
        assert candidate.id is not None
        for ruleset in REGISTERED:
            for track in [name for name, _label in ruleset.tracks] or [None]:
                found.append((candidate.id, ruleset.id, track, list(ruleset.requirements)))
    return found


@pytest.fixture
def two_candidates(make_user: Callable[..., User], make_evidence: Callable[..., Any]) -> list[User]:
    """Two candidates whose evidence sits on the edges the days above cross."""
    first, second = make_user(name="Cara"), make_user(name="Otto")
    for candidate, course in ((first, "scrum_master"), (second, "product_owner")):
        for day in (EDGE, EDGE + timedelta(days=30), days_ago(300), days_ago(10)):
            make_evidence(candidate, "teaching-sessions", course_type=course, first_day=day,
                          students=12, **QUALIFYING)  # fmt: skip
        make_evidence(candidate, "teaching-sessions", status="pending", first_day=days_ago(5))
        make_evidence(candidate, "assessments", assessment="psm_2", score=86.0)
        make_evidence(candidate, "assessments", assessment="pspo_1", score=97.0, status="pending")
        make_evidence(candidate, "experience", role="scrum_master", started_on=days_ago(2000),
                      ended_on=days_ago(100))  # fmt: skip
        make_evidence(candidate, "experience", role="agile_coach", started_on=days_ago(50))
        make_evidence(candidate, "milestones", kind="course_materials_reviewed")
    # A credential that lapses 30 days from today, and one issued long ago.
    make_evidence(first, "credentials", kind="csp_sm", issued_on=days_ago(2 * 365 - 30))
    make_evidence(second, "credentials", kind="csp_po", issued_on=days_ago(3000))
    return [first, second]


def built_afresh(session: Session, wanted: standings.Wanted, day: date) -> Any:
    """One candidate's requirements on one ruleset and track, every statement built for it."""
    measure._STEPS.clear()
    return standings.measure_keys(session, [wanted], day)[0]


def test_reused_statements_measure_what_fresh_ones_do_on_any_day_track_and_population(
    session: Session, two_candidates: list[User]
) -> None:
    every = wanted_for(two_candidates)
    expected = {
        (day, *wanted[:3]): built_afresh(session, wanted, day) for day in DAYS for wanted in every
    }
    assert expected[DAYS[0], *every[0][:3]] != expected[DAYS[3], *every[0][:3]]  # days differ

    measure._STEPS.clear()
    # Each shape built once, for one candidate: reused for two, and for the other one.
    standings.measure_keys(session, wanted_for(two_candidates[:1]), DAYS[0])
    built = {key: steps for key, (_shape, steps) in measure._STEPS.items()}
    for day in DAYS:
        for people in (two_candidates, two_candidates[:1], two_candidates[1:]):
            wanted = wanted_for(people)
            measured = standings.measure_keys(session, wanted, day)
            assert measured == [expected[(day, *each[:3])] for each in wanted]
    assert {key: steps for key, (_shape, steps) in measure._STEPS.items()} == built
    assert all(measure._STEPS[key][1] is steps for key, steps in built.items()), (
        "the statements were built again instead of reused"
    )
