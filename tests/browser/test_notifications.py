"""Notifications in a real browser: a mentor rejects, the candidate's bell shows it, the
candidate opens the notification, lands on the item and corrects it; marking all read
with htmx empties the bell without a reload."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

import pytest
from conftest import pk
from playwright.sync_api import APIResponse, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.models import EvidenceBase, Role, User
from trainerpath.notification_kinds import FEEDBACK_RECEIVED
from trainerpath.services.notifications import notify

from .steps import follow

pytestmark = pytest.mark.browser


def expect_bell(page: Page, label: str) -> None:
    """Expect the bell to read ``label`` once its count has come (the placeholder a page
    is drawn with reads "Notifications" too, before htmx fetches the count)."""
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("hx-trigger", "notifications-changed from:body")
    expect(bell).to_have_attribute("aria-label", label)


def test_a_rejection_is_announced_by_the_bell_and_leads_to_the_correction(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
    screenshot: Callable[[Page, str], None],
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    make_evidence(
        cara, "credentials", status="pending", kind="csm", issued_on=clock.today() - timedelta(300)
    )
    candidate = open_as(cara.email)
    expect_bell(candidate, "Notifications")

    mentor = open_as(mia.email)
    mentor.goto("/mentor/reviews")
    mentor.get_by_label("Note for Cara Candidate").fill("A CSM is not a CSP: log your CSP-SM.")
    mentor.get_by_role("button", name="Reject").click()
    expect(mentor.locator(".review-item")).to_contain_text("Credential rejected.")

    candidate.goto("/candidate")
    bell = candidate.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications: 1 unread")
    expect(bell.locator(".bell-count")).to_have_text("1")
    screenshot(candidate, "notifications-bell")
    follow(bell)
    expect(candidate).to_have_url(re.compile(r"/notifications$"))
    item = candidate.locator("li.notification")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Mia Mentor rejected your credential")
    expect(item).to_contain_text("A CSM is not a CSP: log your CSP-SM.")
    screenshot(candidate, "notifications-list")
    follow(item.get_by_role("link"))

    form = candidate.locator("#evidence-form")
    expect(form).to_contain_text("Rejected: “A CSM is not a CSP: log your CSP-SM.”")
    expect_bell(candidate, "Notifications")
    form.get_by_label("Credential").select_option("csp_sm")
    form.get_by_role("button", name="Save and resubmit").click()
    expect(candidate.locator("#evidence-form")).to_contain_text("sent back for review")

    mentor.goto("/mentor/reviews")
    expect(mentor.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    follow(mentor.locator("#bell"))
    # Each page's bell fetches its count once the page has loaded. Marked read before that
    # answer lands, the bell would be checked while it is still the placeholder (which
    # reads "Notifications" too), and the answer, counted before, would say 1 unread.
    expect(mentor.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    expect(mentor.locator("li.notification")).to_contain_text(
        "New or corrected evidence from Cara Candidate waits for your review"
    )
    mentor.evaluate("() => { window.notReloaded = true; }")
    mentor.get_by_role("button", name="Mark all as read").click()
    expect(mentor.locator("#bell")).to_have_attribute("aria-label", "Notifications")
    # The button went with the swap; focus stays in the list, not back at the page's top.
    expect(mentor.locator("#notifications")).to_be_focused()
    expect(mentor.locator("li.notification.is-unread")).to_have_count(0)
    expect(mentor.locator("#toast")).to_contain_text("1 notification marked as read.")
    assert mentor.evaluate("() => window.notReloaded === true")


def test_marking_one_read_keeps_the_focus_on_that_notification(
    open_as: Callable[..., Page], make_user: Callable[..., User], session: Session
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    for n in (1, 2):
        notify(
            session=session,
            kind=FEEDBACK_RECEIVED,
            recipients=[pk(cara)],
            actor=None,
            subject=f"feedback/{n}",
            title=f"Feedback number {n}",
            link="/candidate",
        )
    session.commit()
    page = open_as(cara.email)
    page.goto("/notifications")
    first = page.locator("li.notification").first
    # every such button says which notification it marks
    button = first.get_by_role("button", name="Mark as read: Feedback number 2")
    button.focus()
    page.keyboard.press("Enter")
    expect(first.locator(".badge-unread")).to_have_count(0)
    # The button went with the swap; the reader stays on the item, not the list's top.
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    expect(first.get_by_role("link")).to_be_focused()


def test_a_count_taken_before_marking_all_read_never_lands_last(
    open_as: Callable[..., Page], make_user: Callable[..., User], session: Session
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    notify(
        session=session,
        kind=FEEDBACK_RECEIVED,
        recipients=[pk(cara)],
        actor=None,
        subject="feedback/1",
        title="Feedback on your course",
        link="/candidate",
    )
    session.commit()
    page = open_as(cara.email)
    # The notifications page's bell asks for its count on load; that answer (1 unread) is
    # taken at once but held back until the candidate has marked everything read.
    held: list[tuple[Route, APIResponse]] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route("**/notifications/bell", hold_the_first)
    page.goto("/notifications")
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the bell never asked for its count"
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#toast")).to_contain_text("1 notification marked as read.")
    route, answer = held[0]
    with suppress(PlaywrightError):  # the browser may have dropped it: what this test hopes
        route.fulfill(response=answer)
    expect_bell(page, "Notifications")
    expect(page.locator("#bell .bell-count")).to_have_count(0)
