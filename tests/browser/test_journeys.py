"""The main journeys in a real browser: from sign-up to certified (CST) and licensed (PST).

Both follow the first published rules (``cst@1``, ``pst@1``), chosen in the enrol form as
a candidate would; test_current_rules.py walks the current ones.
Everything is done through the pages, as people do it, and every check is on what the
page shows. Screenshots of the candidate dashboard, the mentor dashboard and the review
queue are saved to artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import PASSWORD
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainerpath.models import Role, User

from .steps import days_ago, enrol, fire, follow, log_evidence, sign_up, verify_everything

pytestmark = pytest.mark.browser


def user_with_email(session: Session, email: str) -> User:
    """The user a sign-up created."""
    user = session.execute(select(User).where(User.email == email)).scalar_one()
    return user


def test_cst_candidate_goes_from_sign_up_to_certified(
    open_as: Callable[..., Page],
    browser,
    live_server: str,
    make_user: Callable[..., User],
    screenshot: Callable[[Page, str], None],
) -> None:
    admin = make_user(role=Role.ADMIN.value, name="Ada Admin", email="ada@example.org")

    # A candidate signs up, enrols in CST and logs their evidence.
    candidate = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    cara = candidate.new_page()
    cara.set_default_timeout(10_000)
    sign_up(cara, "Cara Candidate", "cara@example.org")
    enrol(cara, "CST", "Certified Scrum Trainer (first published rules)", "Certified Scrum Trainer")
    expect(cara.locator("article.enrollment")).to_contain_text("rules cst@1")
    requirement = cara.locator(".requirement").filter(has_text="Students taught")
    expect(requirement).to_contain_text("0 verified + 0 pending of 100 students")

    log_evidence(cara, "Credentials", {"Credential": "csp_sm", "Issued on": days_ago(200)})
    for n in range(1, 11):
        log_evidence(
            cara,
            "Teaching sessions",
            {
                "Title": f"Certified ScrumMaster #{n}",
                "Course type": "scrum_master",
                "First day": days_ago(20 * n),
                "Days": "2",
                "Students": "10",
                "Context": "independent",
            },
        )
    log_evidence(
        cara,
        "Experience",
        {"Role": "scrum_master", "Organisation": "Acme", "Started on": days_ago(900)},
    )
    log_evidence(
        cara, "Milestones", {"Milestone": "course_materials_reviewed", "Achieved on": days_ago(30)}
    )
    # The progress aside counts pending evidence beside verified evidence.
    expect(cara.locator("#progress")).to_contain_text("0 verified + 100 pending of 100 students")
    cara.goto("/candidate")
    expect(cara.get_by_role("button", name="Submit application")).to_be_disabled()
    screenshot(cara, "candidate-dashboard")

    # The admin creates a mentor and assigns them to the candidate.
    ada = open_as(admin.email)
    ada.goto("/admin/users")
    new_user = ada.locator("#new-user")
    new_user.get_by_label("Name").fill("Mia Mentor")
    new_user.get_by_label("E-mail").fill("mia@example.org")
    new_user.get_by_label("Initial password").fill(PASSWORD)
    new_user.get_by_label("Role").select_option("mentor")
    new_user.get_by_role("button", name="Create user").click()
    expect(ada.get_by_role("status").first).to_contain_text("Mia Mentor can now log in")
    ada.goto("/admin/mentorships")
    ada.get_by_label("Mentor").press_sequentially("Mia")  # suggested as one types
    expect(ada.locator("#assign-mentor-matches option")).to_have_attribute(
        "value", "mia@example.org"
    )
    ada.get_by_label("Mentor").fill("mia@example.org")
    ada.get_by_label("Candidate").fill("cara@example.org")
    ada.get_by_role("button", name="Assign").click()
    expect(ada.get_by_role("status").first).to_contain_text("Mia Mentor now mentors Cara")

    # The mentor sees the candidate waiting and verifies everything in the queue.
    mia = open_as("mia@example.org")
    mia.goto("/mentor/")
    row = mia.get_by_role("row").filter(has_text="Cara Candidate")
    expect(row).to_contain_text("13 waiting")
    expect(row).to_contain_text("Preparing")
    screenshot(mia, "mentor-dashboard")
    mia.goto("/mentor/reviews")
    expect(mia.get_by_text("13 items waiting.")).to_be_visible()
    screenshot(mia, "review-queue")
    verify_everything(mia)

    # The candidate now meets every requirement and submits the application.
    cara.goto("/candidate")
    card = cara.locator("article.enrollment")
    expect(card.locator(".requirement.is-met")).to_have_count(5)
    expect(card).to_contain_text("100 verified + 0 pending of 100 students")
    fire(cara, "Certified Scrum Trainer", "Submit application", "TAC review")

    # The mentor records the TAC decision and the interview.
    mia.goto("/mentor/")
    follow(mia.get_by_role("link", name="Cara Candidate"))
    fire(mia, "Certified Scrum Trainer", "Record TAC approval", "Interview")
    fire(mia, "Certified Scrum Trainer", "Record interview passed", "Certified")

    # The candidate's dashboard shows the pathway complete.
    cara.goto("/candidate")
    expect(cara.locator(".state-pill")).to_contain_text("Certified")
    expect(cara.get_by_text("Done: Certified. Congratulations!")).to_be_visible()
    cara.locator("summary", has_text="History").click()
    expect(cara.locator(".timeline")).to_contain_text("Approved by the TAC")
    screenshot(cara, "candidate-dashboard-certified")
    candidate.close()


def test_pst_candidate_goes_from_sign_up_to_licensed(
    open_as: Callable[..., Page],
    browser,
    live_server: str,
    session: Session,
    make_user: Callable[..., User],
    assign: Callable[[User, User], object],
    screenshot: Callable[[Page, str], None],
) -> None:
    mentor = make_user(role=Role.MENTOR.value, name="Max Mentor", email="max@example.org")

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    pia = context.new_page()
    pia.set_default_timeout(10_000)
    sign_up(pia, "Pia Candidate", "pia@example.org")
    title = "Professional Scrum Trainer (Product Owner track)"
    enrol(pia, "PST", f"{title[:-1]}, first published rules)", title)
    expect(pia.locator("article.enrollment")).to_contain_text("rules pst@1")
    assign(mentor, user_with_email(session, "pia@example.org"))

    log_evidence(
        pia,
        "Experience",
        {"Role": "product_owner", "Organisation": "Initech", "Started on": days_ago(5 * 366)},
    )
    log_evidence(
        pia,
        "Teaching sessions",
        {
            "Title": "Professional Scrum Product Owner",
            "Course type": "product_owner",
            "First day": days_ago(60),
            "Days": "2",
            "Students": "12",
            "Context": "independent",
        },
    )
    log_evidence(
        pia,
        "Assessment attempts",
        {"Assessment": "pspo_1", "Score (%)": "96", "Taken on": days_ago(40)},
    )

    max_ = open_as(mentor.email)
    verify_everything(max_)

    pia.goto("/candidate")
    fire(pia, title, "Submit application", "Application review")

    max_.goto("/mentor/")
    max_.get_by_role("link", name="Pia Candidate").click()
    fire(max_, title, "Record application accepted", "Train the Trainer")

    def attempt(assessment: str, score: str, days: int) -> dict[str, str]:
        return {"Assessment": assessment, "Score (%)": score, "Taken on": days_ago(days)}

    steps = [
        (
            "Milestones",
            {"Milestone": "ttt_attended", "Achieved on": days_ago(5)},
            "Mark Train the Trainer complete",
            "PSPO II",
        ),
        ("Assessment attempts", attempt("pspo_2", "90", 4), "Mark PSPO II passed", "PSPO III"),
        (
            "Assessment attempts",
            attempt("pspo_3", "88", 2),
            "Mark PSPO III passed",
            "Staff interview",
        ),
    ]
    for tab, values, button, next_state in steps:
        log_evidence(pia, tab, values)
        pia.goto("/candidate")
        waiting = pia.locator("article.enrollment").get_by_role("button", name=button)
        expect(waiting).to_be_disabled()
        verify_everything(max_)
        pia.goto("/candidate")
        fire(pia, title, button, next_state)

    max_.goto("/mentor/")
    row = max_.get_by_role("row").filter(has_text="Pia Candidate")
    expect(row).to_contain_text("Staff interview")
    screenshot(max_, "mentor-dashboard-pst")
    max_.get_by_role("link", name="Pia Candidate").click()
    fire(max_, title, "Record staff interview passed", "Peer review")
    fire(max_, title, "Record peer review passed", "Licensed")

    pia.goto("/candidate")
    expect(pia.locator(".state-pill")).to_contain_text("Licensed")
    expect(pia.locator(".stepper .step-done")).to_have_count(7)
    expect(pia.get_by_text(re.compile("Done: Licensed"))).to_be_visible()
    screenshot(pia, "candidate-dashboard-pst")
    context.close()
