"""Every sentence people read about a requirement agrees with the requirement's numbers.

The numbers themselves are checked against the spec in test_rules_oracle.py; here the
words are: the API ``message`` (also the dossier's line and, joined, a refused event's),
the dashboard's bar, window, ageing warning and forecast, to the candidate and about
them, and the candidates table's ageing badge. Evidence comes from the oracle test's
generator (edges of windows, month ends, leap days, pending and rejected items), plus a
few hand-made edges: one more year or month, scores just short of the pass mark.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session
from test_rules_oracle import TODAYS, evidence_of

from trainerpath.dashboards.candidates_table import ageing_flag
from trainerpath.dashboards.enrollment import bar_for
from trainerpath.models import EvidenceBase, User
from trainerpath.pathways import RULESETS, Forecast, Population, Requirement, Ruleset
from trainerpath.pathways.vocabulary import Duration, Scored, Tally
from trainerpath.services.errors import GuardUnmet
from trainerpath.services.standings import Summary
from trainerpath.wording import format_day, format_month, format_number

pytestmark = pytest.mark.without_app

SEEDS = range(int(os.environ.get("TRAINERPATH_SENTENCE_SEEDS", "60")))  # more to explore
TRACKS = {"cst@1": [None], "pst@1": [None], "cst@2": ["scrum_master", "product_owner"]}
TRACKS["pst@2"] = [None]
# No Python repr, exponent, float noise, None or identifier in anything people read.
RAW = re.compile(r"\d[eE][-+]?\d|\d\.\d{3,}|\bNone\b|\bTrue\b|\bFalse\b|[\[\]{}]|\w_\w|\d\.0\b")
NUMBER = r"\d+(?:\.\d+)?"


def written(value: float) -> str:
    """A number as the sentences must write it (exact: the values are already rounded)."""
    return format(Decimal(str(value)).normalize(), "f")


def noun_for(count: float, unit: str) -> str:
    """The unit as ``count`` takes it, from the declarations (the rulesets' own nouns)."""
    nouns = {
        n.noun[1]: n.noun
        for r in RULESETS.values()
        for n in r.requirements.values()
        if isinstance(n, Tally)
    }
    nouns |= {"years": ("year", "years"), "months": ("month", "months")}
    return nouns[unit][0] if count == 1 else unit


def sentences(requirement: Requirement, ruleset: Ruleset) -> Iterator[str]:
    yield requirement.message
    for to_candidate in (True, False):
        bar = bar_for(requirement, ruleset, to_candidate)
        yield from (s for s in (bar.sentence, bar.window, bar.warning, bar.forecast) if s)


def problems_of(requirement: Requirement, ruleset: Ruleset, today: date) -> list[str]:
    """What is wrong with the words said about ``requirement``."""
    need = ruleset.requirements[requirement.key]
    found = []
    for text in sentences(requirement, ruleset):
        if RAW.search(text):
            found.append(f"raw value in {text!r}")
        for number, word in re.findall(rf"\b({NUMBER}) (?:more )?(year|month)s?\b", text):
            plural = text.count(f"{number} {word}s") + text.count(f"{number} more {word}s")
            if (Decimal(number) == 1) == bool(plural):
                found.append(f"{number} {word}(s) in {text!r}")
    message = requirement.message
    if isinstance(need, Tally | Duration):
        unit = requirement.unit
        if requirement.met:
            current = written(requirement.current)
            if not message.startswith(f"{current} {noun_for(requirement.current, unit)} "):
                found.append(f"met, {current}: {message!r}")
        else:
            short = Decimal(str(requirement.target)) - Decimal(str(requirement.current))
            lead = f"{written(float(short))} more {noun_for(float(short), unit)} "
            if not message.startswith(lead):
                found.append(f"unmet by {short}: {message!r} should start {lead!r}")
    if isinstance(need, Scored) and requirement.best_score is not None:
        shown = [Decimal(s) for s in re.findall(rf"score(?: so far:)? ({NUMBER})%", message)]
        shown += [
            Decimal(s)
            for s in re.findall(rf"score ({NUMBER})%", bar_for(requirement, ruleset).sentence)
        ]
        for value in shown:  # never more than the score, never the mark it falls short of
            if value > Decimal(str(requirement.best_score)):
                found.append(f"score {requirement.best_score} written {value}")
    warning = bar_for(requirement, ruleset).warning
    drop = requirement.shortfall
    if (warning is None) != (drop is None or requirement.window is None):
        found.append(f"warning {warning!r} for shortfall {drop}")
    if warning and drop:
        if f" {format_day(drop.on)}" not in warning:
            found.append(f"{warning!r} is not about {drop.on}")
        if isinstance(need, Tally):
            leaving = requirement.current - drop.current
            more = requirement.target - drop.current
            noun, verb = (need.noun[0], "leaves") if leaving == 1 else (need.noun[1], "leave")
            head = f"{leaving} {noun} {verb} the {requirement.window.months}-month window"  # type: ignore[union-attr]
            tail = f"log {more} more to stay at {requirement.target}."
            if not (warning.startswith(head) and warning.endswith(tail)):
                found.append(f"{warning!r}: {leaving} leave, {more} more")
        else:
            target = f"below {requirement.target} {requirement.unit} on"
            if target not in warning:
                found.append(f"{warning!r} is not {target!r}")
        flag = ageing_flag(ruleset, summary_of(drop.on, requirement.key), today)
        if flag is not None and format_day(drop.on) not in flag:
            found.append(f"badge {flag!r} is not about {drop.on}")
    forecast, said = requirement.forecast, bar_for(requirement, ruleset).forecast
    if forecast is None or requirement.met:
        if said is not None:
            found.append(f"forecast {said!r} without one")
    elif said is None:
        found.append(f"forecast {forecast} not said")
    elif forecast.met_by is not None:
        when = (
            format_day(forecast.met_by)
            if forecast.pace_per_month is None
            else format_month(forecast.met_by)
        )
        if when not in said:
            found.append(f"{said!r} is not about {forecast.met_by}")
    if forecast is not None and forecast.pace_per_month and said:
        pace = format_number(forecast.pace_per_month)
        if f"{pace} {noun_for(forecast.pace_per_month, requirement.unit)} a month" not in said:
            found.append(f"{said!r} is not at a pace of {pace}")
    return found


def summary_of(on: date, key: str) -> Summary:
    """The stored summary the candidates table reads, for its ageing badge."""
    return Summary(met=0, total=0, shortfall_on=on, shortfall_key=key)


def measured(
    session: Session, candidate: User, today: date
) -> Iterator[tuple[Ruleset, list[Requirement]]]:
    assert candidate.id is not None
    for ruleset_id, tracks in TRACKS.items():
        ruleset = RULESETS[ruleset_id]
        for track in tracks:
            people = Population(session, (candidate.id,), today, track)
            yield (
                ruleset,
                [ruleset.measure(key, people)[candidate.id] for key in ruleset.requirements],
            )


def check(session: Session, candidate: User, today: date) -> list[str]:
    found = []
    for ruleset, requirements in measured(session, candidate, today):
        for requirement in requirements:
            found += [
                f"{ruleset.id} {requirement.key}: {p}"
                for p in problems_of(requirement, ruleset, today)
            ]
        unmet = [r for r in requirements if not r.met]
        if unmet:
            refusal = GuardUnmet(unmet).message
            found += [
                f"refusal {refusal!r} lacks {r.message!r}"
                for r in unmet
                if r.message not in refusal
            ]
    return found


def test_generated_standings_are_worded_as_their_numbers(
    session: Session, make_user: Callable[..., User], make_evidence: Callable[..., EvidenceBase]
) -> None:
    problems = []
    for seed in SEEDS:
        rng = random.Random(seed)
        today = (
            rng.choice(TODAYS)
            if rng.random() < 0.6
            else date(2024, 1, 1) + timedelta(days=rng.randint(0, 1800))
        )
        items, _track = evidence_of(rng, today)
        candidate = make_user()
        for item in items:
            make_evidence(candidate, item.kind, status=item.status, today=today, **item.fields)
        problems += [f"seed {seed} {today}: {p}" for p in check(session, candidate, today)]
    assert not problems, "\n".join(problems[:40])


DAY = date(2026, 6, 15)


def ago(days: int) -> date:
    return DAY - timedelta(days=days)


@pytest.mark.parametrize(
    ("evidence", "key", "said"),
    [
        # 1096 days as Product Owner: 3 years, 1 more year needed
        (
            [("experience", {"role": "product_owner", "started_on": ago(1096), "ended_on": DAY})],
            "po_experience",
            "1 more year as Product Owner needed",
        ),
        (
            [("experience", {"role": "scrum_master", "started_on": ago(1096), "ended_on": DAY})],
            "scrum_experience",
            "1 more year of Scrum experience needed",
        ),
        # 59 months (1795.8 days) of the 60 in the last 84 months: 1 more month
        (
            [("experience", {"role": "scrum_master", "started_on": ago(1796), "ended_on": DAY})],
            "recent_experience",
            "1 more month of Scrum experience in the last 84 months needed",
        ),
        (
            [("assessments", {"assessment": "pspo_1", "score": 94.999, "taken_on": DAY})],
            "pspo1_95",
            "PSPO I with at least 95% is needed (best verified score so far: 94.99%)",
        ),
        (
            [("assessments", {"assessment": "psm_1", "score": 0.00001, "taken_on": DAY})],
            "assessment_95",
            "PSM I or PSPO I with at least 95% is needed (best verified score so far: 0%)",
        ),
        ([], "po_experience", "4 more years as Product Owner needed"),
        ([], "students_taught", "100 more students needed"),
    ],
)
def test_edges_are_worded_right(
    session: Session,
    make_user: Callable[..., User],
    make_evidence: Callable[..., EvidenceBase],
    evidence: list[tuple[str, dict[str, Any]]],
    key: str,
    said: str,
) -> None:
    candidate = make_user()
    for kind, fields in evidence:
        make_evidence(candidate, kind, today=DAY, **fields)
    found = {r.key: r for _ruleset, each in measured(session, candidate, DAY) for r in each}
    assert found[key].message == said
    assert not check(session, candidate, DAY)


@pytest.mark.parametrize(
    ("key", "pace", "said"),
    [
        (
            "current_materials_events",
            1.0,
            "At your pace of 1 qualifying event with current materials a month: about July 2027.",
        ),
        (
            "qualifying_events",
            0.5,
            "At your pace of 0.5 qualifying training events a month: about July 2027.",
        ),
        (
            "qualifying_events",
            1.0,
            "At your pace of 1 qualifying training event a month: about July 2027.",
        ),
    ],
)
def test_a_pace_of_one_takes_the_singular(key: str, pace: float, said: str) -> None:
    ruleset = RULESETS["cst@2"]
    need = ruleset.requirements[key]
    requirement = Requirement(
        key,
        need.label,
        False,
        0,
        0,
        need.target,
        need.unit,
        "",
        forecast=Forecast(date(2027, 7, 1), pace),
    )
    assert bar_for(requirement, ruleset).forecast == said
    assert not problems_of(
        replace(requirement, message=f"{need.target} more {need.unit} needed"), ruleset, DAY
    )
