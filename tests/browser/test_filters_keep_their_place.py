"""Filters with htmx keep what the page says in step with what it shows: the candidates
table keeps its order when a filter changes, and the review queue's heading and the
reason a candidate filter matched no one come with the filtered queue, while the
search box's suggestions never take the address bar."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from trainerpath.models import EvidenceBase, Role, User

pytestmark = pytest.mark.browser


def test_a_filter_change_keeps_the_order_the_table_was_sorted_in(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
) -> None:
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    for name in ("Ann Able", "Bob Baker", "Cy Cole"):
        assign(mia, make_user(name=name, email=f"{name.split()[0].lower()}@example.org"))
    mentor = open_as(mia.email)
    mentor.goto("/mentor/")
    names = mentor.locator("#candidates tbody tr th a")
    expect(names).to_have_text(["Ann Able", "Bob Baker", "Cy Cole"])
    mentor.locator("#candidates").get_by_role("link", name=re.compile("^Candidate")).click()
    expect(names).to_have_text(["Cy Cole", "Bob Baker", "Ann Able"])  # name, descending
    # Each change's answer is awaited: checked before the table changed, the address and
    # the names would still be the sort link's, whatever order the filter asked for.
    mentor.get_by_label("Only with evidence to review").check()
    expect(mentor).to_have_url(re.compile(r"waiting=1.*dir=desc"))
    expect(names).to_have_count(0)  # nobody has evidence to review
    mentor.get_by_label("Only with evidence to review").uncheck()
    expect(names).to_have_text(["Cy Cole", "Bob Baker", "Ann Able"])
    expect(mentor).to_have_url(re.compile(r"dir=desc"))
    expect(mentor).not_to_have_url(re.compile(r"waiting=1"))


def test_the_admins_queue_filter_says_whom_it_shows_or_why_it_shows_everyone(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    make_user(role=Role.ADMIN.value, name="Ada Admin", email="ada@example.org")
    lena = make_user(name="Lena Vogt", email="lena@example.org")
    otto = make_user(name="Otto Other", email="otto@example.org")
    make_evidence(lena, "milestones", status="pending")
    make_evidence(otto, "milestones", status="pending")
    admin = open_as("ada@example.org")
    admin.goto("/mentor/reviews")
    box = admin.get_by_label("Candidate", exact=True)
    box.press_sequentially("Len", delay=50)
    expect(admin.locator("#filter-candidate-matches option")).to_have_count(1)
    expect(admin).to_have_url(re.compile(r"/mentor/reviews$"))  # suggestions: not a page
    box.fill("Lena")
    admin.get_by_role("button", name="Show").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Review queue: Lena Vogt")
    expect(admin.locator("article.review-item")).to_have_count(1)
    expect(admin.get_by_role("button", name="Everyone's evidence")).to_be_visible()
    admin.get_by_label("Candidate", exact=True).fill("nobody-zzz")
    admin.get_by_role("button", name="Show").click()
    expect(admin.locator("#filter-candidate-error")).to_have_text("✗ matches no candidate")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(admin.locator("article.review-item")).to_have_count(2)


def test_a_filter_change_reads_out_the_new_count_in_a_live_region_that_stays(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    ann = make_user(name="Ann Able", email="ann@example.org")
    for candidate in (ann, make_user(name="Bob Baker", email="bob@example.org")):
        assign(mia, candidate)
    make_evidence(ann, "milestones", status="pending")
    mentor = open_as(mia.email)
    mentor.goto("/mentor/")
    announcer = mentor.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    mentor.get_by_label("Only with evidence to review").check()
    expect(mentor.locator("#candidates tbody tr")).to_have_count(1)
    # The table's own count was redrawn with it, where a screen reader seldom reads it.
    expect(announcer).to_have_text("1 row matches the filters · clear filters")


def test_one_search_is_one_step_back(
    open_as: Callable[..., Page],
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
) -> None:
    """Typing a name, then pressing Apply (which also leaves the box), asks for the same
    address up to three times: it is one entry in the history, so one Back undoes it."""
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    for name in ("Ann Able", "Bob Baker"):
        assign(mia, make_user(name=name, email=f"{name.split()[0].lower()}@example.org"))
    mentor = open_as(mia.email)
    mentor.goto("/mentor/")
    names = mentor.locator("#candidates tbody tr th a")
    mentor.locator("#candidates").get_by_role("link", name=re.compile("^Candidate")).click()
    expect(mentor).to_have_url(re.compile(r"dir=desc"))
    mentor.get_by_label("Search").press_sequentially("bob", delay=50)
    expect(names).to_have_text(["Bob Baker"])
    mentor.get_by_role("button", name="Apply").click()
    expect(mentor).to_have_url(re.compile(r"q=bob"))
    # Apply sends the search again (twice when leaving the box changed it); go back once
    # those answers are in, which htmx marks on the form while it waits for them. (The
    # page's networkidle was no such wait: it had fired long before, and stays fired.)
    filters = mentor.get_by_role("search", name="Filter candidates")
    expect(filters).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    mentor.go_back()
    expect(mentor).to_have_url(re.compile(r"/mentor/\?sort=name&dir=desc$"))
    expect(names).to_have_text(["Bob Baker", "Ann Able"])
