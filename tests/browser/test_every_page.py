"""Every page of every role, at desktop and phone widths, on the demo data.

For each page: no serious or critical axe-core violation, nothing wider than the window
(a wide table scrolls inside its own box, never the whole page), and a full-page
screenshot in artifacts/screenshots/tour/ to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.demo import DEMO_DOMAIN, DEMO_PASSWORD, seed
from trainerpath.models import Enrollment, TeachingSession, User
from trainerpath.services.evidence import log_evidence, review_evidence
from trainerpath.services.feedback import leave_feedback

from .conftest import SCREENSHOTS
from .steps import log_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 390}
# Who sees which pages; {candidate} is a demo candidate of the mentor's, {enrollment}
# one of the candidate's enrollments, {item} one of their teaching sessions.
PAGES = {
    "anonymous": ["/", "/login", "/signup", "/password/forgot", "/pathways/cst",
                  "/pathways/pst", "/pathways/compare", "/api/v1/docs"],
    "hannah": ["/candidate", "/evidence/teaching-sessions", "/evidence/assessments",
               "/evidence/credentials", "/evidence/experience", "/evidence/milestones",
               "/evidence/teaching-sessions/{item}/edit",
               "/evidence/teaching-sessions/{item}/proof",
               "/notifications", "/account/notifications", "/account/password",
               "/account/time-zone", "/evidence/teaching-sessions/import",
               "/enrollments/{enrollment}/dossier", "/pathways/compare"],
    "priya": ["/mentor/", "/mentor/?ageing=1", "/mentor/reviews", "/mentor/candidates/{candidate}",
              "/mentor/candidates/{candidate}/evidence", "/notifications",
              "/account/notifications"],
    "admin": ["/admin/users", "/admin/mentorships", "/admin/audit", "/mentor/",
              "/mentor/reviews", "/mentor/candidates/{candidate}", "/notifications"],
}  # fmt: skip


LONG_WORD = "unbroken" * 625  # 5,000 characters without a space
LONG_URL = "https://example.org/" + "a-very-long-path/" * 40 + "sign-off.pdf"


@pytest.fixture
def demo(app: Flask, session: Session) -> dict[str, int]:
    """Seed the demo, plus texts that do not wrap by themselves; return the ids the
    page addresses need."""
    seed(session)
    session.commit()
    hannah = session.scalars(select(User).where(User.email == f"hannah@{DEMO_DOMAIN}")).one()
    priya = session.scalars(select(User).where(User.email == f"priya@{DEMO_DOMAIN}")).one()
    awkward(session, hannah, priya)
    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.candidate_id == hannah.id)
    ).first()
    item = session.scalars(
        select(TeachingSession).where(TeachingSession.candidate_id == hannah.id)
    ).first()
    assert enrollment is not None and item is not None
    ids = {"candidate": pk(hannah), "enrollment": pk(enrollment), "item": pk(item)}
    session.rollback()  # on SQLite, a read left open would hold the write lock
    return ids


def awkward(session: Session, candidate: User, mentor: User) -> None:
    """Give ``candidate`` items whose title, note or URL runs on without a break."""
    assert candidate.id is not None
    rejected = log_evidence(
        session=session,
        actor=candidate,
        candidate_id=candidate.id,
        kind="teaching-sessions",
        data={
            "title": "Scrum" + "Mastery" * 25,
            "course_type": "scrum_master",
            "first_day": clock.today() - timedelta(days=12),
            "days": 2,
            "students": 12,
            "context": "independent",
            "notes": LONG_WORD,
            "co_trainer": LONG_URL[:200],
        },
    )
    log_evidence(
        session=session,
        actor=candidate,
        candidate_id=candidate.id,
        kind="milestones",
        data={"kind": "other", "achieved_on": clock.today() - timedelta(days=3), "note": LONG_URL},
    )
    assert rejected.id is not None
    review_evidence(
        session=session,
        actor=mentor,
        kind="teaching-sessions",
        item_id=rejected.id,
        decision="rejected",
        note=LONG_WORD[:2000],
    )
    leave_feedback(session=session, actor=mentor, candidate_id=candidate.id, body=LONG_URL)
    session.commit()


def pk(row: Any) -> int:
    assert row.id is not None
    return int(row.id)


@pytest.fixture
def contexts(browser: Browser, live_server: str) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def signed_in(
    browser: Browser, live_server: str, who: str, width: int, made: list[BrowserContext]
) -> Page:
    """A page at ``width`` px, logged in as the demo user ``who`` (or nobody)."""
    # axe-core is injected as a script of the test's own: the app's CSP would refuse it.
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    made.append(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    if who != "anonymous":
        log_in(page, f"{who}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        expect(page.get_by_text("Welcome back")).to_be_visible()
    return page


def axe_violations(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
              .filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => v.id + ": " + v.help + " — " +
                   v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
        }"""
    )
    return list(found)


def overflow(page: Page) -> list[str]:
    """What makes the page wider than the window (empty when nothing does)."""
    return list(
        page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                if (document.documentElement.scrollWidth <= width) return [];
                // What reaches past the window: outside a scrolling box first (inside one,
                // only what escapes it, such as an absolutely placed label).
                const wide = [];
                const nodes = [...document.querySelectorAll("body *")].sort(
                    (a, b) => !!a.closest(".table-wrap") - !!b.closest(".table-wrap"));
                for (const node of nodes) {
                    const box = node.getBoundingClientRect();
                    if (box.right > width + 1) {
                        wide.push(node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") +
                                  (node.className && typeof node.className === "string"
                                     ? "." + node.className.split(" ").join(".") : "") +
                                  " ends at " + Math.round(box.right) + "px");
                    }
                }
                return wide.slice(0, 5);
            }"""
        )
    )


def spills(page: Page, desktop: bool) -> list[str]:
    """Boxes whose content runs out of them: text under a neighbouring column, or (on a
    desktop) a table that must be scrolled sideways to see its last columns."""
    return list(
        page.evaluate(
            """(desktop) => {
                const found = [];
                for (const node of document.querySelectorAll("main *, header *")) {
                    const style = getComputedStyle(node);
                    if (style.display === "inline" || node.closest("pre, code")) continue;
                    const scrolls = ["auto", "scroll"].includes(style.overflowX);
                    // Pico's lists and navs reach a few pixels past their box by design.
                    const width = node.clientWidth;
                    if (node.scrollWidth <= width + 16 || width === 0) continue;
                    if (scrolls && !desktop) continue;  // a phone may scroll a wide table
                    if (style.overflowX === "hidden" || style.overflowX === "clip") continue;
                    found.push(node.tagName.toLowerCase() +
                               (node.className && typeof node.className === "string"
                                  ? "." + node.className.trim().split(/\\s+/).join(".") : "") +
                               (scrolls ? " scrolls sideways" : " spills") +
                               ` (${node.scrollWidth} > ${node.clientWidth}px)`);
                }
                return found.slice(0, 5);
            }""",
            desktop,
        )
    )


@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_is_accessible_and_fits_desktop_and_phone(
    browser: Browser,
    live_server: str,
    demo: dict[str, int],
    contexts: list[BrowserContext],
    who: str,
) -> None:
    folder = SCREENSHOTS / "tour"
    folder.mkdir(parents=True, exist_ok=True)
    problems: dict[str, Any] = {}
    for device, width in WIDTHS.items():
        page = signed_in(browser, live_server, who, width, contexts)
        for path in PAGES[who]:
            url = path.format(**demo)
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            found = {
                "axe": axe_violations(page),
                "too wide": overflow(page),
                "spills": spills(page, desktop=device == "desktop"),
            }
            if any(found.values()):
                problems[f"{device} {url}"] = {k: v for k, v in found.items() if v}
            name = f"{who}-{device}-" + (
                url.strip("/").replace("/", "_").replace("?", "_") or "home"
            )
            page.evaluate("() => window.scrollTo(0, 0)")
            # The whole page, but the first screens of a very long one (the API reference).
            tall = page.evaluate("() => document.documentElement.scrollHeight") > 12_000
            page.screenshot(path=str(folder / f"{name}.png"), full_page=not tall, timeout=30_000)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
