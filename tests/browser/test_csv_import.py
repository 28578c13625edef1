"""CSV import in a real browser: the candidate uploads a 30-row teaching log with two bad
rows, sees each error beside its row, uploads the corrected file and imports all 30; the
mentor is told once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.models import Role, TeachingSession, User

pytestmark = pytest.mark.browser

HEADER = "title;course_type;first_day;days;students;context;notes"


def teaching_log(bad_rows: dict[int, str]) -> str:
    """30 sessions, one a week back from last month, day first, the first with a two-line
    note (so session n starts on line n + 2); the sessions in ``bad_rows`` replaced."""
    start = clock.today() - timedelta(days=40)
    lines = [HEADER]
    for n in range(30):
        day = start - timedelta(weeks=n)
        notes = '"Two rooms;\nsplit on day two"' if n == 0 else ""
        lines.append(f"CSM {n + 1};scrum_master;{day:%d/%m/%Y};2;{10 + n};independent;{notes}")
    for n, text in bad_rows.items():
        lines[n] = text
    return "\n".join(lines) + "\n"


def test_the_candidate_imports_a_30_row_log_after_fixing_two_bad_rows(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    tmp_path: Path,
    engine: Engine,
    screenshot: Callable[[Page, str], None],
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    page = open_as(cara.email)
    page.goto("/evidence/teaching-sessions")
    page.get_by_role("link", name="Import teaching sessions from CSV").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV template").click()
    assert download.value.suggested_filename == "teaching-sessions-template.csv"

    log = tmp_path / "log.csv"
    log.write_text(
        teaching_log(
            {
                4: "CSM 4;scrum_master;31/02/2025;2;13;independent;",
                11: "CSM 11;scrum-master;01/01/2025;two;20;independent;",
            }
        )
    )
    page.get_by_label("CSV file").set_input_files(log)
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("#preview")).to_contain_text("30 rows, 2 with errors")
    expect(page.locator("#line-6")).to_contain_text("First day: Must be a date")
    expect(page.locator("#line-13")).to_contain_text("Course type: Must be one of")
    expect(page.locator("#line-13")).to_contain_text("Days: Must be a whole number")
    expect(page.locator("#line-2")).to_contain_text("✓ Ready")
    expect(page.get_by_role("button", name="Import 30 teaching sessions")).to_have_count(0)
    screenshot(page, "csv-import-errors")

    log.write_text(teaching_log({}))
    page.get_by_label("CSV file").set_input_files(log)
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("#preview")).to_contain_text("30 rows, all ready to import")
    screenshot(page, "csv-import-clean")
    page.get_by_role("button", name="Import 30 teaching sessions").click()
    expect(page.get_by_role("status").first).to_contain_text("Imported 30 teaching sessions")
    tab = page.get_by_role("navigation", name="Kinds of evidence")
    expect(tab.get_by_role("link", name="Teaching sessions 30 items")).to_be_visible()
    expect(page.locator("#evidence-list")).to_contain_text("Waiting for review")
    # The two-line note came back through the preview's hidden field as it was written.
    with Session(engine) as session:
        first = session.scalars(select(TeachingSession).where(TeachingSession.title == "CSM 1"))
        assert first.one().notes == "Two rooms;\nsplit on day two"

    mentor = open_as(mia.email)
    mentor.goto("/notifications")
    expect(mentor.locator("main")).to_contain_text("(30 items)")
