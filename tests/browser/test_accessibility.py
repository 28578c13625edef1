"""The accessibility audit's findings that only a browser shows: keys, focus rings,
contrast, a sticky header at 200% zoom, and pages at 320 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from trainerpath.models import Enrollment, EvidenceBase, Role, User

pytestmark = pytest.mark.browser


@pytest.fixture
def cara(make_user: Callable[..., User], assign: Callable[[User, User], Any]) -> User:
    """A candidate with a mentor."""
    candidate = make_user(name="Cara Candidate", email="cara@example.org")
    mentor = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mentor, candidate)
    return candidate


def test_space_follows_a_link_that_looks_like_a_button(
    open_as: Callable[..., Page], cara: User, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(cara, "teaching-sessions", status="rejected", title="CSM Leeds")
    page = open_as(cara.email)
    page.get_by_role("button", name="Log evidence").focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/evidence/teaching-sessions$"))

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
