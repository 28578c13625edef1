"""Windows, ageing warnings and forecasts on the dashboard and in the mentor's table.

The card tests render an enrollment card on a fixed "today", 15 June 2026: the 60-month
window starts on 15 June 2021 and the 84-month one on 15 June 2019; the forecast's
checkpoints are the first of each month from 1 July 2026 (k = 1). Every expected date
is worked out by hand from pathways.md §6. The page tests use the real today, with
evidence dated relative to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from trainerpath import clock, dashboards
from trainerpath.dashboards.common import format_day
from trainerpath.models import Enrollment, User
from trainerpath.pathways.calendar import add_months, leaves_window, window_start

from .conftest import HTMX, log_in, page
from .dom import Node, parse

DAY = date(2026, 6, 15)
RECENT = date(2026, 3, 2)  # inside the last 365 days
OLDER = date(2024, 1, 10)  # inside the 60-month window, outside the last 365 days
REFLECTION = "Fewer slides, more exercises after the retrospective"
LATEST = max(DAY, clock.today())  # evidence is checked against this day when it is logged

MakeEvidence = Callable[..., Any]


@pytest.fixture
def cara(make_user: Callable[..., User]) -> User:
    """The candidate, following cst@2 on the ScrumMaster track."""
    return make_user(name="Cara Candidate", email="cara@example.org")


@pytest.fixture
def courses(make_evidence: MakeEvidence) -> Callable[..., None]:
    """Log ``count`` qualifying ScrumMaster courses on ``first_day`` for a candidate."""

    def make(candidate: User, first_day: date, count: int = 1, **fields: Any) -> None:
        values = {"first_day": first_day, "reflection": REFLECTION} | fields
        for _ in range(count):
            make_evidence(candidate, "teaching-sessions", today=LATEST, **values)

    return make


def card(app: Flask, session: Session, enrollment: Enrollment, viewer: User) -> Node:
    """The enrollment's dashboard card as ``viewer`` sees it on DAY."""
    view = dashboards.enrollment_view(session, enrollment, viewer, DAY)
    with app.test_request_context("/candidate"):
        return parse(render_template("candidate/_enrollment.html", view=view, viewer=viewer))


def requirement(html: Node, label: str) -> Node:
    """The requirement on the card with this label."""
    for item in html.find_all("li", class_="requirement"):
        head = item.find(class_="requirement-label")
        if head is not None and head.text == label:
            return item
    raise AssertionError(f"no requirement {label!r}")


def next_lines(html: Node) -> list[str]:
    """The "what's next" lines, in order, without their icons."""
    steps = html.find("ul", class_="next-steps")
    assert steps is not None
    return [line.text.split(" ", 1)[1] for line in steps.find_all("li")]


# -- The card, on a fixed day -----------------------------------------------------------


def test_a_windowed_requirement_says_its_window(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, RECENT, 3)
    html = card(app, session, enrollment, cara)
    events = requirement(html, "Qualifying training events")
    assert "Counted in the last 60 months, since 15 Jun 2021" in events.text
    experience = requirement(html, "Scrum experience in the last 84 months")
    assert "Counted in the last 84 months, since 15 Jun 2019" in experience.text
    assert "Counted in the last" not in requirement(html, "Active CSP of the track").text


def test_the_card_warns_before_qualifying_events_leave_the_window(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    # Two courses of 20 June 2021 leave the window on 21 June 2026 (its first day is then
    # 21 June 2021); eight recent ones stay: 10 today, 8 from 21 June.
    courses(cara, date(2021, 6, 20), 2)
    courses(cara, RECENT, 8)
    html = card(app, session, enrollment, cara)
    warning = (
        "2 qualifying training events leave the 60-month window by 21 Jun 2026: "
        "log 2 more to stay at 10."
    )
    events = requirement(html, "Qualifying training events")
    assert "is-met" in (events.get("class") or "")
    assert warning in events.find(class_="requirement-warning").text
    assert any(warning in line for line in next_lines(html))


def test_a_met_windowed_duration_warns_when_it_falls_below_its_target(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    # 15 June 2019 to 1 July 2024: 1843 days inside the window today; the window's first
    # day moves on each day, and on 2 July 2026 (from 17 June 2019) 1826 days are left.
    make_evidence(
        cara,
        "experience",
        role="scrum_master",
        started_on=date(2019, 6, 15),
        ended_on=date(2024, 7, 1),
        today=DAY,
    )
    html = card(app, session, enrollment, cara)
    experience = requirement(html, "Scrum experience in the last 84 months")
    assert "is-met" in (experience.get("class") or "")
    assert (
        "Your Scrum experience in the last 84 months falls below 60 months on 2 Jul 2026 "
        "unless you log more." in experience.text
    )


def test_an_unmet_count_shows_when_it_is_met_at_the_candidates_pace(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    # 3 courses in the last 365 days: 0.25 a month. 4 now, all inside the window until
    # 2029: 12 * 4 + 3k ≥ 120 first at k = 24, 1 June 2028.
    courses(cara, RECENT, 3)
    courses(cara, OLDER)
    html = card(app, session, enrollment, cara)
    forecast = "At your pace of 0.25 qualifying training events a month: about June 2028."
    events = requirement(html, "Qualifying training events")
    assert forecast in events.find(class_="requirement-forecast").text
    line = next(line for line in next_lines(html) if "qualifying training events needed" in line)
    assert line.startswith("6 more qualifying training events needed.")
    assert forecast in line


def test_an_unmet_count_out_of_reach_says_not_at_this_pace(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, RECENT)  # 1 a year: 12 + k ≥ 120 needs k = 108, beyond the 60 checkpoints
    html = card(app, session, enrollment, cara)
    events = requirement(html, "Qualifying training events")
    pace = "Not at this pace (0.08 qualifying training events a month over the last 12 months)."
    assert pace in events.text
    assert "about" not in events.find(class_="requirement-forecast").text


def test_a_mentor_reads_the_forecasts_and_warnings_about_the_candidate(
    app: Flask,
    session: Session,
    cara: User,
    make_user: Callable[..., User],
    make_enrollment: Callable[..., Enrollment],
    make_evidence: MakeEvidence,
    courses: Callable[..., None],
) -> None:
    """The card a mentor or admin reads speaks of the candidate, not to them."""
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, date(2021, 6, 20), 2)  # leave the window on 21 June 2026
    courses(cara, RECENT, 8, with_current_materials=True)  # 10 of 10; 8 of 5 current
    make_evidence(cara, "experience", role="agile_coach", started_on=date(2021, 11, 10), today=DAY)
    admin = make_user(role="admin", name="Ada Admin", email="ada@example.org")
    html = card(app, session, enrollment, admin)
    events = requirement(html, "Qualifying training events")
    assert "window by 21 Jun 2026: the candidate needs 2 more to stay at 10." in events.text
    experience = requirement(html, "Scrum experience in the last 84 months")
    assert "About 11 Nov 2026 if the candidate's current role goes on." in experience.text
    assert "your" not in html.text.lower()
    candidate_view = card(app, session, enrollment, cara)
    assert "window by 21 Jun 2026: log 2 more to stay at 10." in candidate_view.text
    assert "About 11 Nov 2026 if your current role goes on." in candidate_view.text


def test_an_unmet_duration_is_forecast_from_the_ongoing_role(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    # Ongoing since 10 November 2021: 1678 days today; 149 more make 1827 on 11 Nov 2026.
    make_evidence(cara, "experience", role="agile_coach", started_on=date(2021, 11, 10), today=DAY)
    html = card(app, session, enrollment, cara)
    experience = requirement(html, "Scrum experience in the last 84 months")
    assert "About 11 Nov 2026 if your current role goes on." in experience.text


def test_a_duration_short_of_its_target_at_a_planned_end_is_not_forecast_as_ended(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara, "pst", ruleset="pst@2")
    # Still going on, but planned to end after 3 years: short of the 4 years asked.
    make_evidence(
        cara, "experience", role="scrum_master", started_on=date(2024, 1, 1),
        ended_on=date(2027, 1, 1), today=DAY,
    )  # fmt: skip
    experience = requirement(card(app, session, enrollment, cara), "Years of Scrum experience")
    assert "no period on record goes on long enough" in experience.text
    assert "ongoing" not in experience.text


def test_whats_next_leads_with_the_requirement_forecast_to_take_longest(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@2")
    # One qualifying course with current materials, in the last year (1 a year):
    # 10 events are out of reach (no date); 5 with current materials: 12 + k ≥ 60 at
    # k = 48, 1 June 2030; the experience (ongoing) on 11 Nov 2026; the CSP and the
    # mapping have no forecast and follow in the ruleset's order.
    courses(cara, RECENT, with_current_materials=True)
    make_evidence(cara, "experience", role="scrum_master", started_on=date(2021, 11, 10), today=DAY)
    lines = next_lines(card(app, session, enrollment, cara))
    todo = [line for line in lines if "needed" in line]
    assert [line.split(" needed")[0] for line in todo] == [
        "9 more qualifying training events",
        "4 more qualifying events with current materials",
        "4.9 more months of Scrum experience in the last 84 months",
        "An active CSP-SM credential is",
        "Course materials mapped to the learning objectives are",
    ]
    assert "Not at this pace" in todo[0]
    assert "about June 2030" in todo[1]
    assert "About 11 Nov 2026" in todo[2]


def test_the_first_rules_forecast_their_totals_too(
    app: Flask,
    session: Session,
    cara: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    enrollment = make_enrollment(cara, "cst", ruleset="cst@1")
    # 30 students in the last year (2.5 a month), 10 before: 12 * 40 + 30k ≥ 1200 at k = 24.
    courses(cara, RECENT, 3, students=10)
    courses(cara, OLDER, students=10)
    html = card(app, session, enrollment, cara)
    students = requirement(html, "Students taught")
    assert "At your pace of 2.5 students a month: about June 2028." in students.text
    assert students.find(class_="requirement-window") is None


# -- The mentor's table, on a fixed day ---------------------------------------------------


@pytest.fixture
def mia(make_user: Callable[..., User], assign: Callable[[User, User], Any], cara: User) -> User:
    """Cara's mentor."""
    mentor = make_user(role="mentor", name="Mia Mentor", email="mia@example.org")
    assign(mentor, cara)
    return mentor


def ageing_of(session: Session, viewer: User, **filters: str) -> dict[str, str | None]:
    """Each row's ageing flag on DAY, by candidate name."""
    table = dashboards.candidate_table(
        session, viewer, dashboards.CandidateFilters.parse(filters), today=DAY
    )
    return {row.candidate.name: row.ageing for row in table.items}


def test_the_mentor_table_flags_a_requirement_about_to_become_unmet(
    session: Session,
    cara: User,
    mia: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, date(2021, 6, 20), 2)  # leave on 21 June 2026, six days after DAY
    courses(cara, RECENT, 8)
    assert ageing_of(session, mia) == {
        "Cara Candidate": "Ageing: Qualifying training events fall below 10 on 21 Jun 2026"
    }


def test_the_mentor_table_flags_a_duration_about_to_fall_short(
    session: Session,
    cara: User,
    mia: User,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: MakeEvidence,
) -> None:
    make_enrollment(cara, "cst", ruleset="cst@2")
    make_evidence(
        cara,
        "experience",
        role="scrum_master",
        started_on=date(2019, 6, 15),
        ended_on=date(2024, 7, 1),
        today=DAY,
    )
    flag = ageing_of(session, mia)["Cara Candidate"]
    assert flag == (
        "Ageing: Scrum experience in the last 84 months falls below 60 months on 2 Jul 2026"
    )


@pytest.mark.parametrize(
    ("old_course", "flagged"),
    [
        (date(2021, 9, 12), True),  # leaves the window on 13 Sep 2026, 90 days after DAY
        (date(2021, 9, 13), False),  # leaves on 14 Sep 2026, 91 days after DAY
    ],
)
def test_the_mentor_flag_looks_90_days_ahead(
    session: Session,
    cara: User,
    mia: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
    old_course: date,
    flagged: bool,
) -> None:
    make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, old_course)
    courses(cara, RECENT, 9)
    assert (ageing_of(session, mia)["Cara Candidate"] is not None) is flagged


def test_no_flag_while_nothing_ages_out_or_the_requirement_is_unmet(
    session: Session,
    cara: User,
    mia: User,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> None:
    make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, RECENT, 10)  # met, and nothing leaves within a year
    ben = make_user(name="Ben Behind", email="ben@example.org")
    assign(mia, ben)
    make_enrollment(ben, "cst", ruleset="cst@2")
    courses(ben, date(2021, 6, 20), 2)  # ageing out soon, but 2 of 10 is unmet anyway
    assert ageing_of(session, mia) == {"Ben Behind": None, "Cara Candidate": None}
    assert ageing_of(session, mia, ageing="1") == {}


# -- The pages, on the real today -----------------------------------------------------------


@pytest.fixture
def ageing_cara(
    cara: User,
    mia: User,
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
) -> date:
    """Cara meets 10 qualifying events, two of which leave the window in about ten days.

    Returns the day they leave.
    """
    today = clock.today()
    old = add_months(today, -60) + timedelta(days=10)
    make_enrollment(cara, "cst", ruleset="cst@2")
    courses(cara, old, 2)
    courses(cara, today - timedelta(days=30), 8)
    return leaves_window(old, 60)


def test_the_dashboard_shows_the_window_the_warning_and_the_forecasts(
    client: FlaskClient, cara: User, ageing_cara: date
) -> None:
    log_in(client, cara)
    html = page(client.get("/candidate"))
    since = format_day(window_start(clock.today(), 60))
    events = requirement(html, "Qualifying training events")
    assert f"Counted in the last 60 months, since {since}" in events.text
    warning = (
        f"2 qualifying training events leave the 60-month window by {format_day(ageing_cara)}: "
        "log 2 more to stay at 10."
    )
    assert warning in events.text
    warn_line = next(
        line for line in html.find_all("li", class_="next-warn") if warning in line.text
    )
    assert warn_line.find("a").get("href") == "/evidence/teaching-sessions"
    materials = requirement(html, "Qualifying events with current materials")
    assert (
        "Not at this pace: no evidence verified in the last 12 months counts towards it."
        in materials.text
    )


def test_the_mentor_table_shows_the_ageing_badge_in_words_and_filters_on_it(
    client: FlaskClient,
    cara: User,
    mia: User,
    ageing_cara: date,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    ben = make_user(name="Ben Behind", email="ben@example.org")
    assign(mia, ben)
    make_enrollment(ben, "cst", ruleset="cst@2")
    log_in(client, mia)
    html = page(client.get("/mentor/"))
    rows = {row.find("th").text.split(" ")[0]: row for row in html.find("tbody").find_all("tr")}
    badge = rows["Cara"].find(class_="badge-ageing")
    expected = f"Ageing: Qualifying training events fall below 10 on {format_day(ageing_cara)}"
    assert badge is not None and badge.text == f"⚠ {expected}"
    assert rows["Ben"].find(class_="badge-ageing") is None
    checkbox = html.find("input", id="filter-ageing")
    assert checkbox is not None and checkbox.get("name") == "ageing"
    filtered = page(client.get("/mentor/?ageing=1", headers=HTMX))
    names = [row.find("th").text.split(" ")[0] for row in filtered.find("tbody").find_all("tr")]
    assert names == ["Cara"]
    assert "1 row matches the filters" in filtered.text


# -- Statements per page, whatever the amount of evidence ------------------------------------


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements run on ``engine`` inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def give_evidence(
    candidate: User, sessions: int, courses: Callable[..., None], make_evidence: MakeEvidence
) -> None:
    """Courses spread over the last six years (some ageing out), experience, a CSP."""
    today = clock.today()
    for n in range(sessions):
        courses(candidate, today - timedelta(days=55 * n + 3), with_current_materials=n % 2 == 0)
    make_evidence(
        candidate, "experience", role="scrum_master", started_on=today - timedelta(days=900)
    )
    make_evidence(candidate, "credentials", kind="csp_sm", issued_on=today - timedelta(days=40))


def dashboard_statements(app: Flask, engine: Engine, candidate: User) -> int:
    """How many statements the candidate's dashboard runs."""
    client = app.test_client()
    log_in(client, candidate)
    with statements(engine) as seen:
        assert client.get("/candidate").status_code == 200
    return len(seen)


def test_the_dashboard_runs_as_many_statements_for_5_courses_as_for_40(
    app: Flask,
    engine: Engine,
    make_user: Callable[..., User],
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
    make_evidence: MakeEvidence,
) -> None:
    few, many = make_user(name="Few Courses"), make_user(name="Many Courses")
    for candidate, sessions in ((few, 5), (many, 40)):
        make_enrollment(candidate, "cst", ruleset="cst@2")
        make_enrollment(candidate, "pst", ruleset="pst@2")
        give_evidence(candidate, sessions, courses, make_evidence)
    assert dashboard_statements(app, engine, few) == dashboard_statements(app, engine, many)


def table_statements(app: Flask, engine: Engine, mentor: User) -> int:
    """How many statements the mentor's candidates table runs."""
    client = app.test_client()
    log_in(client, mentor)
    with statements(engine) as seen:
        assert client.get("/mentor/").status_code == 200
    return len(seen)


def test_the_mentor_table_runs_as_many_statements_for_2_candidates_as_for_8(
    app: Flask,
    engine: Engine,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_enrollment: Callable[..., Enrollment],
    courses: Callable[..., None],
    make_evidence: MakeEvidence,
) -> None:
    mentors = {2: make_user(role="mentor"), 8: make_user(role="mentor")}
    for size, mentor in mentors.items():
        for n in range(size):
            candidate = make_user()
            assign(mentor, candidate)
            # Every pair of rows covers the same rules: cst@2 and pst@2, then cst@1.
            if n % 2 == 0:
                make_enrollment(candidate, "cst", ruleset="cst@2")
                make_enrollment(candidate, "pst", ruleset="pst@2")
            else:
                make_enrollment(candidate, "cst", ruleset="cst@1")
            give_evidence(candidate, 3 + 4 * n, courses, make_evidence)
    assert table_statements(app, engine, mentors[2]) == table_statements(app, engine, mentors[8])
