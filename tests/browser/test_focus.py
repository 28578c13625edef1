"""Where focus goes after an htmx answer that replaces what had it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from trainerpath.models import Enrollment, User

pytestmark = pytest.mark.browser


def test_enrolling_in_a_second_pathway_takes_the_reader_to_its_new_card(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    make_enrollment(cara, "cst")
    candidate = open_as(cara.email)
    candidate.goto("/candidate")
    candidate.evaluate("() => { window.notReloaded = true; }")
    candidate.get_by_role("button", name="Enrol in PST").click()
    title = candidate.get_by_role("heading", level=2, name="Professional Scrum Trainer")
    expect(title).to_be_focused()
    expect(title).to_be_in_viewport()
    assert candidate.evaluate("() => window.notReloaded === true")  # swapped in place
