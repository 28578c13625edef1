"""What people do in the browser, step by step, shared by the journeys.

Every step goes through the pages as a person does, and waits for what the page shows.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from conftest import PASSWORD
from playwright.sync_api import Locator, Page, expect

from trainerpath import clock


def days_ago(days: int) -> str:
    """An ISO date ``days`` before today, as a date input takes it."""
    return (clock.today() - timedelta(days=days)).isoformat()


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier, clamped to that month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def first_of_month_after(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, 1)


def leaves_window(dated: date, months: int, today: date) -> date:
    """The first day after today on which evidence ``dated`` is out of an N-month window."""
    day = today + timedelta(days=1)
    while dated >= months_before(day, months):
        day += timedelta(days=1)
    return day


def as_day(day: date) -> str:
    """A date as the pages write it: 1 Dec 2021."""
    return f"{day.day} {day:%b %Y}"


def follow(target: Locator) -> None:
    """Click what leads to another page, and wait until that page has loaded.

    The click waits only for the new page to commit: htmx and app.js are deferred scripts
    and may not have run yet, and a form sent before they have is sent without them, as
    if JavaScript were off (a full page comes back, not the part htmx swaps in).
    """
    target.click()
    target.page.wait_for_load_state("load")


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def sign_up(page: Page, name: str, email: str) -> None:
    """Create a candidate account through the sign-up page."""
    page.goto("/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()
    page.wait_for_load_state("load")  # htmx and app.js too, as follow() waits


def enrollment_card(page: Page, title: str) -> Locator:
    """The dashboard card of the enrollment whose heading is ``title``."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return page.locator("article.enrollment").filter(has=heading)


def enrol(page: Page, pathway: str, rules: str, title: str, track: str | None = None) -> Locator:
    """Enrol from the dashboard, choosing the rules (and the track) by their labels."""
    button = page.get_by_role("button", name=f"Enrol in {pathway}")
    form = page.locator("form").filter(has=button)
    form.get_by_role("radio", name=rules, exact=True).check()
    if track is not None:
        form.get_by_role("radio", name=track, exact=True).check()
    button.click()
    card = enrollment_card(page, title)
    expect(card.get_by_text("Current state: Preparing")).to_be_attached()
    return card


def log_evidence(page: Page, tab: str, values: dict[str, str | bool]) -> None:
    """Add one evidence item with the form of a kind's tab; htmx updates the list in place.

    Fields are found by their labels, "(optional)" left out. A text value is typed (or
    chosen, in a list); True or False ticks a checkbox or not.
    """
    page.goto("/evidence")
    follow(page.get_by_role("navigation", name="Kinds of evidence").get_by_role("link", name=tab))
    form = page.locator("#evidence-form")
    for label, value in values.items():
        field = form.get_by_label(re.compile(rf"^\s*{re.escape(label)}(\s*\(optional\))?\s*$"))
        if isinstance(value, bool):
            field.set_checked(value)
        elif field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    before = page.locator("#evidence-list .evidence-item").count()
    form.get_by_role("button", name="Add").click()
    expect(form.get_by_role("status")).to_contain_text("added")
    expect(page.locator("#evidence-list .evidence-item")).to_have_count(before + 1)
    expect(page.locator("#evidence-list .evidence-item").first).to_contain_text(
        "Waiting for review"
    )


def verify_everything(page: Page) -> None:
    """Verify every item in the review queue, one inline form after another."""
    page.goto("/mentor/reviews")
    buttons = page.get_by_role("button", name="Verify", exact=True)
    while (count := buttons.count()) > 0:
        buttons.first.click()
        expect(buttons).to_have_count(count - 1)
    expect(page.locator(".review-item.is-reviewed").first).to_contain_text("verified")


def fire(page: Page, enrollment_title: str, button: str, expected_state: str) -> None:
    """Press an event button of an enrollment and wait for its new state."""
    card = enrollment_card(page, enrollment_title)
    card.get_by_role("button", name=button).click()
    expect(card.locator(".state-pill")).to_contain_text(expected_state)
