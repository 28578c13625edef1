"""Proof in a real browser: the candidate attaches a PDF to a teaching session (htmx,
in place), the mentor sees it in the review queue and opens it; an oversized file is
stopped before it is sent; the same form works with JavaScript switched off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from file_samples import PDF
from playwright.sync_api import Browser, Page, expect

from trainerpath.models import Enrollment, Role, User

from .steps import days_ago, follow, log_evidence, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def people(
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_enrollment: Callable[..., Enrollment],
) -> tuple[User, User]:
    """Cara (enrolled in CST) and her mentor Mia."""
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    make_enrollment(cara, "cst", ruleset="cst@1")
    return cara, mia


SESSION = {
    "Title": "Certified ScrumMaster, Leeds",
    "Course type": "scrum_master",
    "First day": days_ago(30),
    "Days": "2",
    "Students": "12",
    "Context": "independent",
}


def test_the_candidate_attaches_a_pdf_and_the_mentor_opens_it_from_the_review_queue(
    open_as: Callable[..., Page],
    people: tuple[User, User],
    tmp_path: Path,
    upload_dir: Path,
    screenshot: Callable[[Page, str], None],
) -> None:
    cara, mia = people
    letter = tmp_path / "sign-off letter.pdf"
    letter.write_bytes(PDF + b"%" + bytes(300_000))
    candidate = open_as(cara.email)
    log_evidence(candidate, "Teaching sessions", SESSION)
    row = candidate.locator("#evidence-list .evidence-item").first
    follow(row.get_by_role("link", name="Attach proof"))
    expect(candidate.get_by_role("heading", name="Proof")).to_be_visible()

    # Too large: the page says so next to the field and sends nothing.
    huge = tmp_path / "scan.pdf"
    huge.write_bytes(PDF + bytes(11 * 1024 * 1024))
    candidate.get_by_label("Attach a file").set_input_files(huge)
    candidate.get_by_role("button", name="Upload").click()
    expect(candidate.locator("#field-proof-file .field-error")).to_have_text(
        "✗ This file is larger than 10 MB, the most a file may be."  # marked as the server's
    )
    assert [p for p in upload_dir.rglob("*") if p.is_file()] == []

    candidate.evaluate("() => { window.notReloaded = true; }")
    candidate.get_by_label("Attach a file").set_input_files(letter)
    candidate.get_by_role("button", name="Upload").click()
    proof = candidate.locator("#proof")
    expect(proof.get_by_role("status")).to_have_text("✓ “sign-off letter.pdf” attached.")
    expect(proof.get_by_role("link", name="sign-off letter.pdf", exact=True)).to_be_visible()
    assert candidate.evaluate("() => window.notReloaded === true")  # swapped in place
    screenshot(candidate, "proof-attached")

    mentor = open_as(mia.email)
    mentor.goto("/mentor/reviews")
    entry = mentor.locator(".review-item").filter(has_text="Certified ScrumMaster, Leeds")
    link = entry.get_by_role("link", name="sign-off letter.pdf", exact=True)
    expect(link).to_be_visible()
    expect(entry).to_contain_text("PDF")
    screenshot(mentor, "review-queue-with-proof")
    with mentor.expect_download() as opened:
        link.click()
    download = opened.value
    assert download.suggested_filename == "sign-off letter.pdf"
    saved = tmp_path / "opened.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == letter.read_bytes()


def test_without_javascript_the_upload_form_posts_and_comes_back(
    browser: Browser,
    live_server: str,
    people: tuple[User, User],
    make_evidence: Callable[..., Any],
    tmp_path: Path,
) -> None:
    cara, _mia = people
    item = make_evidence(cara, "teaching-sessions", "pending", title="PSM, Bristol")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page, cara.email)
    page.goto(f"/evidence/teaching-sessions/{item.id}/proof")
    svg = tmp_path / "badge.pdf"
    svg.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    page.get_by_label("Attach a file").set_input_files(svg)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#proof-file-error")).to_contain_text(
        "Must be a PDF, PNG, JPEG or WebP file (judged by its content)."
    )
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(PDF)
    page.get_by_label("Attach a file").set_input_files(letter)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("“letter.pdf” attached.")).to_be_visible()
    expect(
        page.locator("#proof").get_by_role("link", name="letter.pdf", exact=True)
    ).to_be_visible()
    context.close()
