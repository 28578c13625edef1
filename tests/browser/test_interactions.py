"""htmx in a real browser: inline errors, live lists and bars, inline reviews, no reloads;
and the same forms with JavaScript switched off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from trainerpath import clock
from trainerpath.models import Enrollment, Role, User

from .steps import follow, log_in

pytestmark = pytest.mark.browser


def iso(days: int) -> str:
    """An ISO date ``days`` ago."""
    return (clock.today() - timedelta(days=days)).isoformat()


def mark_page(page: Page) -> None:
    """Leave a marker in the window; it survives htmx swaps but not a page load."""
    page.evaluate("() => { window.notReloaded = true; }")


def not_reloaded(page: Page) -> bool:
    """Whether the page was updated in place since ``mark_page``."""
    return bool(page.evaluate("() => window.notReloaded === true"))


@pytest.fixture
def people(
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_enrollment: Callable[..., Enrollment],
) -> tuple[User, User]:
    """Cara (enrolled in CST, first published rules) and her mentor Mia."""
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    make_enrollment(cara, "cst", ruleset="cst@1")
    return cara, mia


def test_evidence_forms_validate_inline_and_update_the_page_without_reloading(
    open_as: Callable[..., Page], people: tuple[User, User]
) -> None:
    cara, _mia = people
    page = open_as(cara.email)
    page.goto("/evidence/teaching-sessions")
    mark_page(page)
    form = page.locator("#evidence-form")

    form.get_by_label("Students", exact=True).fill("900")
    form.get_by_label("Students", exact=True).press("Tab")
    expect(page.locator("#field-students .field-error")).to_have_text(
        "✗ Must be between 1 and 500."
    )
    expect(form.get_by_label("Students", exact=True)).to_have_attribute("aria-invalid", "true")

    form.get_by_label("Title", exact=True).fill("Certified ScrumMaster")
    form.get_by_label("Course type").select_option("scrum_master")
    form.get_by_label("First day").fill(iso(10))
    form.get_by_label("Days", exact=True).fill("2")
    form.get_by_label("Students", exact=True).fill("14")
    form.get_by_label("Context").select_option("co_trained")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#field-co_trainer .field-error")).to_contain_text(
        "Required when the session was co-trained with a CST"
    )
    expect(page.locator("#field-students .field-error")).to_have_count(0)

    page.locator("#evidence-form").get_by_label("Co-trainer").fill("Tom Trainer")
    page.locator("#evidence-form").get_by_role("button", name="Add").click()
    expect(page.locator("#toast")).to_contain_text("Teaching session added.")
    expect(page.locator("#evidence-list .evidence-item")).to_have_count(1)
    expect(page.locator("#progress")).to_contain_text("0 verified + 14 pending of 100 students")
    assert not_reloaded(page)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#evidence-list").get_by_role("button", name="Delete").click()
    expect(page.locator("#evidence-list")).to_contain_text("No teaching sessions logged yet.")
    expect(page.locator("#progress")).to_contain_text("0 verified + 0 pending of 100 students")
    assert not_reloaded(page)


def test_a_rejected_item_is_corrected_and_resubmitted(
    open_as: Callable[..., Page], people: tuple[User, User]
) -> None:
    cara, mia = people
    candidate = open_as(cara.email)
    candidate.goto("/evidence/credentials")
    form = candidate.locator("#evidence-form")
    form.get_by_label("Credential").select_option("csm")
    form.get_by_label("Issued on").fill(iso(300))
    form.get_by_role("button", name="Add").click()
    expect(candidate.locator("#evidence-list .evidence-item")).to_have_count(1)

    mentor = open_as(mia.email)
    mentor.goto("/mentor/reviews")
    mark_page(mentor)
    mentor.get_by_role("button", name="Reject").click()
    expect(mentor.locator(".review-item .field-error")).to_contain_text("Is required to reject")
    mentor.get_by_label("Note for Cara Candidate").fill("A CSM is not a CSP: log your CSP-SM.")
    mentor.get_by_role("button", name="Reject").click()
    expect(mentor.locator(".review-item")).to_contain_text("Credential rejected.")
    assert not_reloaded(mentor)

    candidate.goto("/candidate")
    attention = candidate.locator("section.attention")
    expect(attention).to_contain_text("A CSM is not a CSP: log your CSP-SM.")
    follow(attention.get_by_role("link", name="Correct and resubmit"))
    form = candidate.locator("#evidence-form")
    expect(form).to_contain_text("Rejected: “A CSM is not a CSP: log your CSP-SM.”")
    form.get_by_label("Credential").select_option("csp_sm")
    form.get_by_role("button", name="Save and resubmit").click()
    expect(candidate.locator("#evidence-form")).to_contain_text("sent back for review")
    expect(candidate.locator("#evidence-list")).to_contain_text("Waiting for review")

    mentor.goto("/mentor/reviews")
    expect(mentor.locator(".review-item")).to_contain_text("CSP-SM issued")
    expect(mentor.locator(".review-item")).to_contain_text("updated today")


def test_the_candidates_table_filters_and_sorts_in_place(
    open_as: Callable[..., Page],
    people: tuple[User, User],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
) -> None:
    _cara, mia = people
    assign(mia, make_user(name="Bea Busy", email="bea@example.org"))
    page = open_as(mia.email)
    page.goto("/mentor/")
    mark_page(page)
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Search").fill("bea")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bea Busy")
    assert "q=bea" in page.url
    page.get_by_label("Search").fill("")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Candidate", exact=True).click()
    expect(rows.first).to_contain_text("Cara Candidate")  # name, descending
    assert not_reloaded(page)


def test_the_forms_work_without_javascript(
    browser: Browser, live_server: str, people: tuple[User, User]
) -> None:
    cara, _mia = people
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, cara.email)
    page.goto("/evidence/milestones")
    form = page.locator("#evidence-form")
    form.get_by_label("Milestone").select_option("course_materials_reviewed")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#field-achieved_on .field-error")).to_have_text(
        "✗ This field is required."
    )
    page.locator("#evidence-form").get_by_label("Achieved on").fill(iso(3))
    page.locator("#evidence-form").get_by_role("button", name="Add").click()
    expect(
        page.get_by_text("Milestone added. It now waits for your mentor's review.")
    ).to_be_visible()
    expect(page.locator("#evidence-list .evidence-item")).to_have_count(1)
    assert page.url.endswith("/evidence/milestones")
    context.close()


def test_enrolling_under_chosen_rules_and_switching_work_without_javascript(
    browser: Browser, live_server: str, make_user: Callable[..., User]
) -> None:
    olga = make_user(name="Olga Owner", email="olga@example.org")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, olga.email)
    page.goto("/candidate")
    enrol_form = page.locator("form").filter(has=page.get_by_role("button", name="Enrol in CST"))
    product_owner = enrol_form.get_by_role("radio", name="Product Owner (CSPO courses)")
    enrol_form.get_by_role("radio", name="Certified Scrum Trainer (first published rules)").check()
    expect(product_owner).to_be_hidden()  # the first rules have no tracks
    enrol_form.get_by_role("radio", name="Certified Scrum Trainer (April 2024) — current").check()
    product_owner.check()
    enrol_form.get_by_role("button", name="Enrol in CST").click()
    card = page.locator("article.enrollment")
    expect(card).to_contain_text("rules cst@2")
    standing = card.get_by_role("region", name="Your standing under each version of these rules")
    current = standing.get_by_role("region", name="Certified Scrum Trainer (April 2024)")
    expect(current).to_contain_text("Track: Product Owner (CSPO courses)")

    first = standing.get_by_role("region", name="Certified Scrum Trainer (first published rules)")
    first.get_by_role("button", name="Switch to these rules").click()
    expect(
        page.get_by_text("You now follow Certified Scrum Trainer (first published rules).")
    ).to_be_visible()
    expect(card).to_contain_text("rules cst@1")
    expect(card.locator(".stepper")).to_contain_text("TAC review")
    context.close()


def test_pages_and_htmx_swaps_break_no_content_security_rule(
    open_as: Callable[..., Page], people: tuple[User, User]
) -> None:
    cara, mia = people
    problems: list[str] = []
    for user, urls in [
        (cara, ["/", "/candidate", "/evidence/milestones", "/pathways/compare"]),
        (mia, ["/mentor/", "/mentor/reviews", f"/mentor/candidates/{cara.id}"]),
    ]:
        page = open_as(user.email)
        page.on("console", lambda message: problems.append(message.text)
                if message.type in ("error", "warning") else None)  # fmt: skip
        page.on("pageerror", lambda error: problems.append(str(error)))
        for url in urls:
            page.goto(url)
            expect(page.locator("main h1")).to_be_visible()
        if user is cara:
            page.goto("/evidence/milestones")
            page.locator("#evidence-form").get_by_label("Milestone").select_option("other")
            expect(page.locator("#field-kind .field-error")).to_have_count(0)
            page.locator("#evidence-form").get_by_role("button", name="Add").click()
            expect(page.locator("#field-achieved_on .field-error")).to_be_visible()
        # htmx loaded and read its configuration from the meta tag
        assert page.evaluate("() => htmx.config.allowEval") is False
        assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False
        assert page.evaluate("() => document.querySelectorAll('style').length") == 0
    # A 422 answer to a refused form is logged as a failed load: that is not a problem.
    assert [p for p in problems if not p.startswith("Failed to load resource")] == []


def test_a_date_typed_digit_by_digit_is_kept_and_checked_once_left(
    open_as: Callable[..., Page], people: tuple[User, User]
) -> None:
    page = open_as(people[0].email)
    page.goto("/evidence/milestones")
    form = page.locator("#evidence-form")
    when = form.get_by_label("Achieved on")
    when.click()
    # Chromium fires "change" as soon as the first digit of the year makes a date
    # (0002-05-05); a check then would redraw the field and lose the other digits.
    page.keyboard.type("05052025", delay=30)
    expect(when).to_have_value("2025-05-05")
    when.blur()  # leaving the field checks it
    expect(when).to_have_attribute("value", "2025-05-05")  # redrawn by the check
    expect(form.locator(".field-error")).to_have_count(0)
    expect(when).to_have_value("2025-05-05")
    # a year left short is refused by the check once the field is left
    when.click()
    page.keyboard.type("05052", delay=30)
    expect(when).to_have_value("0002-05-05")
    when.blur()
    expect(form.locator("#field-achieved_on .field-error")).to_have_text(
        "✗ Must be on or after 1 Jan 1900."
    )


@pytest.fixture
def phone_without_script(browser: Browser, live_server: str) -> Iterator[Callable[[str], Page]]:
    """Sign someone in on a phone-sized window with JavaScript off: ``open(email)``."""
    contexts: list[BrowserContext] = []

    def open_page(email: str) -> Page:
        context = browser.new_context(
            base_url=live_server, java_script_enabled=False, viewport={"width": 390, "height": 844}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, email)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_without_javascript_a_refused_note_is_brought_into_view_with_its_reason(
    phone_without_script: Callable[[str], Page],
    people: tuple[User, User],
    make_evidence: Callable[..., Any],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    """The page drawn again after a refused reject or outcome opens at the top; the
    note box that says why is far below it, so it takes the focus (and the view)."""
    cara, mia = people
    for n in range(6):  # enough items that the last one's note is below the fold
        make_evidence(cara, "milestones", status="pending", kind="other", note=f"item {n}")
    make_enrollment(cara, "pst", ruleset="pst@1", state="staff_interview")
    page = phone_without_script(mia.email)

    page.goto("/mentor/reviews")
    page.get_by_role("button", name="Reject").last.click()
    note = page.locator("textarea[aria-invalid=true]")
    expect(note).to_be_focused()
    expect(note).to_be_in_viewport()

    page.goto(f"/mentor/candidates/{cara.id}")
    card = page.locator("article.enrollment").filter(has_text="Staff interview")
    card.get_by_role("button", name="not passed").click()
    note = page.locator("textarea[aria-invalid=true]")
    expect(note).to_be_focused()
    expect(note).to_be_in_viewport()


def test_without_javascript_a_refused_form_low_on_its_page_opens_at_its_first_error(
    phone_without_script: Callable[[str], Page],
    people: tuple[User, User],
    make_user: Callable[..., User],
) -> None:
    """The users page draws its "Create a user" form under the table of users: refused,
    the page comes back from the top unless the first invalid field takes the focus."""
    cara, _mia = people
    admin = make_user(role=Role.ADMIN.value, name="Ada Admin", email="ada@example.org")
    for n in range(8):
        make_user(name=f"Extra Person {n}", email=f"extra{n}@example.org")
    page = phone_without_script(admin.email)
    page.goto("/admin/users")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Create user"))
    form.get_by_label("Name").fill("Second Cara")
    form.get_by_label("E-mail").fill(cara.email)
    form.locator("input[type=password]").fill("short")
    form.get_by_role("button", name="Create user").click()
    email = page.locator("#email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()  # the first of the two invalid fields
    expect(email).to_be_in_viewport()
