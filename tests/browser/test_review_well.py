"""Bulk verify in a real browser: the mentor filters the queue to one candidate, ticks
two items, verifies them at once (htmx, in place) and sees the count drop; the page
fits a phone; the verified items are in the candidate's whole evidence, with history."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from trainerpath.models import EvidenceBase, Role, User

pytestmark = pytest.mark.browser


def test_the_mentor_filters_by_candidate_and_verifies_two_items_at_once(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
    screenshot: Callable[[Page, str], None],
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    otto = make_user(name="Otto Other", email="otto@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    assign(mia, otto)
    for note in ("First panel letter", "Second panel letter", "Third panel letter"):
        make_evidence(cara, "milestones", status="pending", note=note)
    make_evidence(otto, "milestones", status="pending", note="Otto's letter")

    mentor = open_as(mia.email)
    mentor.goto("/mentor/reviews")
    queue = mentor.locator("#queue")
    expect(queue.get_by_role("status").first).to_have_text("4 items waiting.")

    mentor.get_by_label("Candidate", exact=True).select_option(label="Cara Candidate")
    expect(queue.get_by_role("status").first).to_have_text("3 items waiting.")
    expect(mentor).to_have_url(re.compile(rf"/mentor/reviews\?candidate={cara.id}(&|$)"))
    expect(queue.locator("article.review-item")).to_have_count(3)

    mentor.evaluate("() => { window.notReloaded = true; }")
    items = queue.locator("article.review-item")
    items.nth(0).get_by_label("Select").check()
    items.nth(1).get_by_label("Select").check()
    queue.get_by_role("button", name="Verify selected").click()

    expect(queue.locator(".flash-success")).to_contain_text("2 items verified.")
    expect(queue.get_by_role("status").nth(1)).to_have_text("1 item waiting.")
    expect(queue.locator("article.review-item")).to_have_count(1)
    assert mentor.evaluate("() => window.notReloaded === true")  # swapped in place
    screenshot(mentor, "bulk-verified")
    mentor.set_viewport_size({"width": 390, "height": 844})
    assert mentor.evaluate("() => document.documentElement.scrollWidth <= 390")
    screenshot(mentor, "bulk-verified-phone")

    # The two verified items are in Cara's whole evidence, one click from her page.
    mentor.set_viewport_size({"width": 1280, "height": 900})
    mentor.goto(f"/mentor/candidates/{cara.id}")
    mentor.get_by_role("link", name="2 verified").click()
    listed = mentor.locator("#candidate-evidence .evidence-item")
    expect(listed).to_have_count(2)
    expect(listed.first.locator(".review-history")).to_contain_text(
        "Review history Verified by Mia Mentor"
    )
    screenshot(mentor, "candidate-evidence")


def test_the_turnaround_figures_follow_the_reviews_made_on_the_page(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    """Above the queue, "Waiting under 3 days" and "Reviews" must agree with the queue
    below them after a review in place, not only after a reload."""
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    for note in ("First panel letter", "Second panel letter", "Third panel letter"):
        make_evidence(cara, "milestones", status="pending", note=note)

    mentor = open_as(mia.email)
    mentor.goto("/mentor/reviews")
    figures = mentor.locator("#turnaround dl")

    def figure(name: str) -> Any:
        return figures.locator("div").filter(has=mentor.get_by_text(name, exact=True)).locator("dd")

    expect(figure("Waiting under 3 days")).to_have_text("3")
    expect(figure("Reviews")).to_have_text("0")

    mentor.locator("article.review-item").first.get_by_role("button", name="Verify").click()
    expect(figure("Waiting under 3 days")).to_have_text("2")
    expect(figure("Reviews")).to_have_text("1")

    for box in mentor.locator("article.review-item input[type=checkbox]").all():
        box.check()
    mentor.get_by_role("button", name="Verify selected").click()
    expect(mentor.locator("#queue")).to_contain_text("Nothing is waiting")
    expect(figure("Waiting under 3 days")).to_have_text("0")
    expect(figure("Reviews")).to_have_text("3")


def test_a_review_on_the_candidates_page_redraws_their_standing_but_keeps_a_typed_note(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> None:
    """Below the items to review, the candidate's bars and evidence counts follow each
    review in place; an outcome's note typed meanwhile is not wiped by the redraw."""
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    make_enrollment(cara, "cst", ruleset="cst@1")
    make_enrollment(cara, "pst", ruleset="pst@1", state="staff_interview")
    for title in ("CSM Leeds", "CSM York"):
        make_evidence(cara, "teaching-sessions", status="pending", title=title, students=20)

    mentor = open_as(mia.email)
    mentor.goto(f"/mentor/candidates/{cara.id}")
    students = mentor.locator("#overview li.requirement").filter(has_text="Students taught")
    expect(students).to_contain_text("0 verified + 40 pending of 100 students")
    mentor.locator("article.review-item").first.get_by_role("button", name="Verify").click()
    expect(students).to_contain_text("20 verified + 20 pending of 100 students")

    note = mentor.get_by_role("textbox", name=re.compile("staff interview not passed"))
    note.fill("The Scrum values section was thin.")
    mentor.locator("article.review-item").nth(1).get_by_role("button", name="Verify").click()
    expect(mentor.locator("#queue-count")).to_have_text("0")
    # The review's answer asks for the standing to be drawn again before its count is
    # swapped in; a redraw sent despite the note would still be on its way here, and
    # would wipe the note only when it lands. htmx marks the asker while it waits.
    redraw = mentor.locator("[data-unless-typing]")
    expect(redraw).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    expect(note).to_have_value("The Scrum values section was thin.")
