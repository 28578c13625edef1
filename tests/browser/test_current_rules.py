"""The current rules in a real browser: CST April 2024 (``cst@2``) and the PST Candidate Journey.

A Product Owner candidate enrols in ``cst@2`` on the PO track, logs evidence, has it
verified, and reads on the dashboard the 60-month window, an ageing warning and forecasts;
then compares their standing with the first published rules and switches back and forth.
A PST candidate reaches phase 2 of the Candidate Journey. Every check is on what the page
shows; dates are relative to today, as the forms refuse future ones. Screenshots go to
artifacts/screenshots/cst2-*.png and pst2-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from trainerpath import clock
from trainerpath.models import Role, User

from .steps import (
    as_day,
    days_ago,
    enrol,
    enrollment_card,
    fire,
    first_of_month_after,
    leaves_window,
    log_evidence,
    months_before,
    verify_everything,
)

pytestmark = pytest.mark.browser

CST = "Certified Scrum Trainer"
CST_2 = f"{CST} (April 2024)"
CST_1 = f"{CST} (first published rules)"
PO_TRACK = "Product Owner (CSPO courses)"
PST = "Professional Scrum Trainer"
PST_2 = f"{PST} (PST Candidate Journey)"
PHASE_2 = "Phase 2: Knowledge & Practical Experience"

# Days ago of each Product Owner course. Two share a day 1800 days back: still inside the
# 60-month window (1826 days or more) but leaving it within weeks. One is outside the
# window. Four recent ones use current materials; one has no reflection.
AGEING_DAYS = 1800
OUTSIDE_DAYS = 1900
MIDDLE_DAYS = (1500, 1200, 900, 600)
CURRENT_MATERIALS_DAYS = (300, 200, 100, 30)
NO_REFLECTION_DAYS = 60
# An ongoing agile-coach role 1790 days long: 37 days short of 60 months, which are
# 60 * 30.4375 = 1826.25 days, so 1827 whole days.
EXPERIENCE_DAYS = 1790
SIXTY_MONTHS = 1827


def po_course(name: str, days: int, **more: str | bool) -> dict[str, str | bool]:
    """A two-day Product Owner course of 8 students, all of it delivered, with a reflection."""
    return {
        "Title": name,
        "Course type": "product_owner",
        "First day": days_ago(days),
        "Days": "2",
        "Students": "8",
        "Context": "independent",
        "Share you delivered (%)": "100",
        "Reflection": f"Students asked for more backlog practice; {name} gets a new exercise.",
    } | more


def test_cst2_product_owner_sees_window_ageing_and_forecast_then_compares_and_switches(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    screenshot: Callable[[Page, str], None],
) -> None:
    today = clock.today()
    olga = make_user(name="Olga Owner", email="olga@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, olga)

    page = open_as(olga.email)
    page.goto("/candidate")
    card = enrol(page, "CST", f"{CST_2} — current", CST, track=PO_TRACK)
    expect(card).to_contain_text("rules cst@2")

    courses = [
        po_course("CSPO Lisbon", AGEING_DAYS, **{"Share you delivered (%)": "50"}),
        po_course("CSPO Porto", AGEING_DAYS),
        po_course("CSPO Madrid", OUTSIDE_DAYS),
        *(po_course(f"CSPO Berlin #{n}", d) for n, d in enumerate(MIDDLE_DAYS, 1)),
        *(
            po_course(f"CSPO Vienna #{n}", d, **{"With my current course materials": True})
            for n, d in enumerate(CURRENT_MATERIALS_DAYS, 1)
        ),
        po_course("CSPO Zurich", NO_REFLECTION_DAYS, Reflection=""),
    ]
    for course in courses:
        log_evidence(page, "Teaching sessions", course)
    log_evidence(page, "Credentials", {"Credential": "csp_po", "Issued on": days_ago(200)})
    log_evidence(
        page,
        "Experience",
        {"Role": "agile_coach", "Organisation": "Acme", "Started on": days_ago(EXPERIENCE_DAYS)},
    )
    log_evidence(
        page, "Milestones", {"Milestone": "learning_objectives_mapped", "Achieved on": days_ago(30)}
    )

    mentor = open_as(mia.email)
    verify_everything(mentor)

    # The dashboard: the window of each windowed requirement, an ageing warning, forecasts.
    page.goto("/candidate")
    card = enrollment_card(page, CST)
    expect(card.get_by_role("heading", name="To move on from Preparing")).to_contain_text(
        "3 of 5 met"
    )
    events = requirement(card, "Qualifying training events")
    expect(events).to_contain_text("Met")
    expect(events).to_contain_text("10 verified + 0 pending of 10 qualifying training events")
    since = as_day(months_before(today, 60))
    expect(events).to_contain_text(f"Counted in the last 60 months, since {since}")
    leaving = as_day(leaves_window(today - timedelta(days=AGEING_DAYS), 60, today))
    expect(events.locator(".requirement-warning")).to_have_text(
        f"⚠ Warning: 2 qualifying training events leave the 60-month window by {leaving}: "
        "log 2 more to stay at 10."
    )
    materials = requirement(card, "Qualifying events with current materials")
    expect(materials).to_contain_text("Not yet")
    expect(materials).to_contain_text("4 verified + 0 pending of 5")
    by = first_of_month_after(today, 3)  # 4 in 12 months: the 5th at the third month's start
    expect(materials.locator(".requirement-forecast")).to_have_text(
        f"◷ Forecast: At your pace of 0.33 qualifying events with current materials a month: "
        f"about {by:%B %Y}."
    )
    experience = requirement(card, "Scrum experience in the last 84 months")
    expect(experience).to_contain_text("Not yet")
    expect(experience).to_contain_text(
        f"Counted in the last 84 months, since {as_day(months_before(today, 84))}"
    )
    met_on = as_day(today + timedelta(days=SIXTY_MONTHS - EXPERIENCE_DAYS))
    expect(experience.locator(".requirement-forecast")).to_have_text(
        f"◷ Forecast: About {met_on} if your current role goes on."
    )
    # What's next leads with the requirement forecast to take longest.
    next_steps = card.locator(".next-steps li")
    expect(next_steps.first).to_contain_text("1 more qualifying event with current materials")
    expect(next_steps.first).to_contain_text(f"about {by:%B %Y}")
    expect(next_steps.last).to_contain_text("2 qualifying training events leave")
    expect(card).to_contain_text(
        re.compile(r"1 of your Product Owner courses? would qualify with a reflection")
    )
    expect(card.get_by_role("button", name="Submit application")).to_be_disabled()

    # Side by side: the standing under the April 2024 rules and the first published ones.
    standing = card.get_by_role("region", name="Your standing under each version of these rules")
    current, first = (
        standing.get_by_role("region", name=CST_2),
        standing.get_by_role("region", name=CST_1),
    )
    expect(current).to_contain_text("Your rules")
    expect(current).to_contain_text(f"Track: {PO_TRACK}")
    expect(current).to_contain_text("3 of 5 met to apply")
    expect(first).to_contain_text("1 of 5 met to apply")
    expect(first).to_contain_text("4 more students needed")
    screenshot(page, "cst2-dashboard")

    # The teaching-session list says which courses qualify, and why the others do not.
    page.goto("/evidence/teaching-sessions")
    items = page.locator("#evidence-list .evidence-item")
    expect(items.filter(has_text="CSPO Madrid")).to_contain_text(
        "Not a qualifying training event: outside the 60-month window"
    )
    expect(items.filter(has_text="CSPO Zurich")).to_contain_text(
        "Not a qualifying training event: no reflection yet"
    )
    expect(page.get_by_text("Qualifying training event", exact=True)).to_have_count(10)
    screenshot(page, "cst2-sessions")

    # The comparison page puts the current rules first and says where Olga stands.
    page.goto("/pathways/compare")
    headers = page.get_by_role("columnheader").all_inner_texts()
    assert index_of(headers, CST_2) < index_of(headers, CST_1)
    where = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Where you stand")
    )
    expect(where).to_contain_text("Preparing: 3 of 5 requirements met")
    expect(where).to_contain_text("Under these rules you would meet 1 of 5 requirements")
    screenshot(page, "cst2-compare")

    # Olga switches to the first published rules, and back to April 2024 on the PO track.
    page.goto("/candidate")
    page.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Switch to these rules").click()
    expect(card).to_contain_text(f"You now follow {CST_1}.")
    expect(card).to_contain_text("rules cst@1")
    expect(requirement(card, "Students taught")).to_contain_text(
        "96 verified + 0 pending of 100 students"
    )
    expect(card.locator(".stepper")).to_contain_text("TAC review")
    expect(first).to_contain_text("You follow these rules.")
    screenshot(page, "cst2-switched-to-cst1")

    page.once("dialog", lambda dialog: dialog.accept())
    current.get_by_role("radio", name=PO_TRACK, exact=True).check()
    current.get_by_role("button", name="Switch to these rules").click()
    expect(card).to_contain_text(f"You now follow {CST_2}, {PO_TRACK} track.")
    expect(card).to_contain_text("rules cst@2")
    expect(current).to_contain_text(f"Track: {PO_TRACK}")
    expect(requirement(card, "Qualifying training events")).to_contain_text(
        f"leave the 60-month window by {leaving}"
    )
    card.locator("summary", has_text="History").click()
    expect(card.locator(".timeline li")).to_have_count(2)
    expect(card.locator(".timeline")).to_contain_text("Switched to other rules")
    expect(card.locator(".timeline")).to_contain_text("cst@1 → cst@2")
    screenshot(page, "cst2-switched-back")

    # The mentor's table flags Olga: a met requirement becomes unmet within 90 days.
    mentor.goto("/mentor/")
    row = mentor.get_by_role("row").filter(has_text="Olga Owner")
    expect(row).to_contain_text(f"Qualifying training events fall below 10 on {leaving}")
    screenshot(mentor, "cst2-mentor-dashboard")


def test_pst2_candidate_reaches_phase_2(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    screenshot: Callable[[Page, str], None],
) -> None:
    paul = make_user(name="Paul Pst", email="paul@example.org")
    max_ = make_user(role=Role.MENTOR.value, name="Max Mentor", email="max@example.org")
    assign(max_, paul)

    page = open_as(paul.email)
    page.goto("/candidate")
    card = enrol(page, "PST", f"{PST_2} — current", PST)
    expect(card).to_contain_text("rules pst@2")
    expect(card.locator(".state-pill")).to_have_text("Current state: Preparing (phase 1)")

    log_evidence(
        page,
        "Experience",
        {"Role": "scrum_master", "Organisation": "Initech", "Started on": days_ago(5 * 366)},
    )
    log_evidence(
        page,
        "Teaching sessions",
        {
            "Title": "Applying Professional Scrum",
            "Course type": "scrum_master",
            "First day": days_ago(45),
            "Days": "2",
            "Students": "12",
            "Context": "independent",
        },
    )
    for assessment, score, days in (("psm_1", "95", 40), ("psm_2", "84", 20), ("pspo_2", "85", 10)):
        log_evidence(
            page,
            "Assessment attempts",
            {"Assessment": assessment, "Score (%)": score, "Taken on": days_ago(days)},
        )
    page.goto("/candidate")
    expect(card.get_by_role("button", name="Submit application")).to_be_disabled()

    mentor = open_as(max_.email)
    verify_everything(mentor)

    page.goto("/candidate")
    expect(card.get_by_role("heading", name="To move on from Preparing")).to_contain_text(
        "4 of 4 met"
    )
    expect(requirement(card, "PSM II or PSPO II at 85% or more")).to_contain_text("Met")
    fire(page, PST, "Submit application", "Application review (phase 1)")

    mentor.goto("/mentor/")
    mentor.get_by_role("link", name="Paul Pst").click()
    fire(mentor, PST, "Record application accepted", PHASE_2)

    page.goto("/candidate")
    expect(card.locator(".state-pill")).to_have_text(f"Current state: {PHASE_2}")
    expect(card.locator(".stepper .step-done")).to_have_count(2)
    expect(card.locator(".stepper [aria-current=step]")).to_contain_text(PHASE_2)
    expect(card.get_by_role("button", name="Submit application")).to_have_count(0)
    screenshot(page, "pst2-dashboard-phase-2")


def requirement(card: Locator, label: str) -> Locator:
    """The requirement of an enrollment card with this label."""
    name = card.page.get_by_text(label, exact=True)
    return card.locator(".requirements .requirement").filter(has=name)


def index_of(texts: list[str], wanted: str) -> int:
    """Where the first text that starts with ``wanted`` is."""
    return next(n for n, text in enumerate(texts) if text.startswith(wanted))
