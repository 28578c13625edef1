"""The accessibility audit's findings that only a browser shows: keys, focus rings,
contrast, a sticky header at 200% zoom, and pages at 320 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD
from playwright.sync_api import Browser, Page, expect

from trainerpath.models import Enrollment, EvidenceBase, Role, User

from .test_polish import contrast

pytestmark = pytest.mark.browser


@pytest.fixture
def cara(make_user: Callable[..., User], assign: Callable[[User, User], Any]) -> User:
    """A candidate with a mentor."""
    candidate = make_user(name="Cara Candidate", email="cara@example.org")
    mentor = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mentor, candidate)
    return candidate


def colour(page: Page, selector: str, prop: str) -> tuple[float, ...]:
    """A computed colour of the first element matching ``selector``, as RGB channels."""
    value = page.locator(selector).first.evaluate(f"el => getComputedStyle(el).{prop}")
    return tuple(float(c) for c in re.findall(r"[\d.]+", value)[:3])


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_space_follows_a_link_that_looks_like_a_button(
    open_as: Callable[..., Page], cara: User, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(cara, "teaching-sessions", status="rejected", title="CSM Leeds")
    page = open_as(cara.email)
    page.get_by_role("button", name="Log evidence").focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/evidence/teaching-sessions$"))
    # The address changes when the new page commits; Space below needs its scripts.
    page.wait_for_load_state("load")

    # The list's "Correct and resubmit" fetches the form with htmx; Space does that too.
    page.get_by_role("button", name=re.compile("^Correct and resubmit")).focus()
    page.keyboard.press("Space")
    expect(page.locator("#evidence-form-title")).to_be_focused()
    expect(page.locator("#evidence-form").get_by_label("Title")).to_have_value("CSM Leeds")


def test_the_header_scrolls_away_at_200_percent_zoom_and_stays_on_a_desktop(
    open_as: Callable[..., Page], cara: User, make_enrollment: Callable[..., Enrollment]
) -> None:
    make_enrollment(cara, "cst")
    make_enrollment(cara, "pst")  # a page long enough to scroll
    page = open_as(cara.email)
    header = page.locator(".site-header")
    page.set_viewport_size({"width": 640, "height": 400})  # 1280 x 800 at 200%
    page.reload()
    page.evaluate("() => window.scrollTo(0, 600)")
    assert header.evaluate("el => el.getBoundingClientRect().bottom") <= 0
    # Nothing is kept clear above an anchor for a header that is not there.
    padding = page.evaluate("() => getComputedStyle(document.documentElement).scrollPaddingTop")
    assert float(padding.removesuffix("px")) < 20, padding

    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("() => window.scrollTo(0, 600)")
    assert header.evaluate("el => el.getBoundingClientRect().top") == 0


def test_form_fields_have_borders_that_contrast_with_the_page(
    browser: Browser, live_server: str, cara: User
) -> None:
    # Without transitions: a border is read where it rests, not on its way there.
    context = browser.new_context(base_url=live_server, reduced_motion="reduce")
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail").blur()  # the login form focuses it: read the resting border
    for field in ('input[type="email"]', 'input[type="password"]', 'input[role="switch"]'):
        border = colour(page, field, "borderTopColor")
        assert contrast(border, (255, 255, 255)) >= 3, (field, border)
    page.get_by_label("E-mail").fill(cara.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()
    page.goto("/evidence/teaching-sessions/import")
    border = colour(page, 'input[type="radio"]:not(:checked)', "borderTopColor")
    assert contrast(border, (255, 255, 255)) >= 3, border
    context.close()


def test_the_account_menu_shows_the_same_focus_ring_as_everything_else(
    open_as: Callable[..., Page], cara: User
) -> None:
    page = open_as(cara.email)
    tab_to(page, ".account-menu summary")
    ring = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; }"""
    )
    assert ring == ["solid", "3px", "rgb(11, 79, 130)", "none"]


def test_the_big_error_number_contrasts_with_the_page(browser: Browser, live_server: str) -> None:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    assert contrast(colour(page, ".error-code", "color"), (255, 255, 255)) >= 3
    context.close()


def too_wide(page: Page) -> list[str]:
    """What reaches past the window's right edge (a table in a box of its own that
    scrolls sideways may), and how far."""
    width = page.evaluate("() => document.documentElement.clientWidth")
    found = page.evaluate(
        """(width) => [...document.querySelectorAll("body *")]
             .filter(el => el.getBoundingClientRect().right > width + 0.5
                           && !el.closest(".table-wrap, .table-scroll"))
             .map(el => el.tagName.toLowerCase() + "." + el.className + " ends at "
                        + Math.round(el.getBoundingClientRect().right))""",
        width,
    )
    if page.evaluate("() => document.documentElement.scrollWidth") > width:
        found.append("the page scrolls sideways")
    return list(found)


def test_the_pathway_and_the_dossier_fit_a_320_px_window(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    person = make_user(name="Cara Candidate", email="cara.featherstonehaugh@example.org")
    enrollment = make_enrollment(person, "cst")
    page = open_as(person.email)
    page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10: 1280 px at 400%
    for path in ("/pathways/cst", f"/enrollments/{enrollment.id}/dossier"):
        page.goto(path)
        assert too_wide(page) == [], path


def test_a_long_name_in_the_header_wraps_on_a_phone(
    open_as: Callable[..., Page], make_user: Callable[..., User]
) -> None:
    person = make_user(name="Bartholomew Featherstonehaugh-Cholmondeley", email="b@example.org")
    page = open_as(person.email)
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    assert too_wide(page) == []
    page.locator(".account-menu summary").click()
    expect(page.get_by_role("link", name="Change password")).to_be_visible()
    assert too_wide(page) == []
