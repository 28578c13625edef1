"""The application dossier in a real browser: from the enrollment card to the printable
page, then the PDF it links to, fetched with the browser's own session and read back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dossier_record import CO_TRAINER, STUDENTS_TOTAL, cst_record, pdf_words
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from trainerpath.models import EvidenceBase, Role, User

pytestmark = pytest.mark.browser


def test_the_mentor_opens_the_dossier_and_downloads_its_pdf(
    open_as: Callable[..., Page],
    session: Session,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
    screenshot: Callable[[Page, str], None],
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    enrollment = cst_record(session, make_evidence, make_enrollment, cara, mia)

    mentor = open_as(mia.email)
    mentor.goto(f"/mentor/candidates/{cara.id}")
    card = mentor.locator(f"#enrollment-{enrollment.id}")
    card.get_by_role("link", name="Application dossier").click()

    expect(mentor.get_by_role("heading", name="Cara Candidate", level=1)).to_be_visible()
    log = mentor.locator("table.log")
    expect(log.locator("tbody tr")).to_have_count(3)
    expect(log.locator("tfoot")).to_contain_text(f"Students total: {STUDENTS_TOTAL}")
    expect(mentor.locator("section.unmet")).to_contain_text("Learning objectives mapped")
    screenshot(mentor, "dossier")

    href = mentor.get_by_role("link", name="Download PDF").get_attribute("href")
    assert href == f"/enrollments/{enrollment.id}/dossier.pdf"
    response = mentor.context.request.get(href)  # the browser's cookies: Mia's session

    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    words = pdf_words(response.body())
    assert f"Students total: {STUDENTS_TOTAL}" in words and CO_TRAINER in words
    assert "Mia Mentor" in words and "Learning objectives mapped" in words
