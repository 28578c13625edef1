"""The accessibility audit's findings that only a browser shows: keys, focus rings,
contrast, a sticky header at 200% zoom, and pages at 320 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from trainerpath.models import EvidenceBase, Role, User

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
