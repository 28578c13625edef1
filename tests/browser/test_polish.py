"""Issue 12's defects, each as a person meets it in Chromium (defects 1 and 8, text that
does not wrap and tables wider than the window, are checked on every page by
test_every_page.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.models import Enrollment, EvidenceBase, Role, User

from .steps import enrol, log_evidence, log_in

pytestmark = pytest.mark.browser

CST_RULES = "Certified Scrum Trainer (April 2024) — current"
PST_RULES = "Professional Scrum Trainer (PST Candidate Journey) — current"
SESSION = {
    "Title": "CSM Leeds",
    "Course type": "ScrumMaster",
    "First day": (clock.today() - timedelta(days=40)).isoformat(),
    "Days": "2",
    "Students": "12",
    "Context": "Independent (non-certified)",
}


@pytest.fixture
def pair(make_user: Callable[..., User], assign: Callable[[User, User], Any]) -> tuple[User, User]:
    """A candidate and their mentor."""
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    mia = make_user(role=Role.MENTOR.value, name="Mia Mentor", email="mia@example.org")
    assign(mia, cara)
    return cara, mia


def tab_count(page: Page, tab: str) -> Any:
    nav = page.get_by_role("navigation", name="Kinds of evidence")
    return nav.get_by_role("link", name=re.compile(rf"^{tab}")).locator(".count")


def test_the_tab_counts_follow_an_add_and_a_delete_without_a_reload(
    open_as: Callable[..., Page], pair: tuple[User, User]
) -> None:
    page = open_as(pair[0].email)
    log_evidence(page, "Teaching sessions", SESSION)
    expect(tab_count(page, "Teaching sessions")).to_have_text("1")
    page.evaluate("() => { window.notReloaded = true; }")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#evidence-list").get_by_role("button", name=re.compile("^Delete")).click()
    expect(tab_count(page, "Teaching sessions")).to_have_text("0")
    assert page.evaluate("() => window.notReloaded === true")


def test_the_waiting_counts_and_the_feedback_card_follow_the_mentors_actions(
    open_as: Callable[..., Page],
    pair: tuple[User, User],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    cara, mia = pair
    for title in ("CSM Leeds", "CSM York"):
        make_evidence(cara, "teaching-sessions", status="pending", title=title)
    mentor = open_as(mia.email)
    mentor.goto("/mentor/reviews")
    expect(mentor.locator("#queue-waiting")).to_have_text("2 items waiting.")
    mentor.get_by_role("button", name="Verify", exact=True).first.click()
    expect(mentor.locator("#queue-waiting")).to_have_text("1 item waiting.")

    mentor.goto(f"/mentor/candidates/{cara.id}")
    expect(mentor.locator("#queue-count")).to_have_text("1")
    mentor.get_by_role("button", name="Verify", exact=True).first.click()
    expect(mentor.locator("#queue-count")).to_have_text("0")

    mentor.get_by_role("textbox", name="Feedback").fill(
        "Strong session plans; add a retrospective."
    )
    mentor.get_by_role("button", name="Send feedback").click()
    expect(mentor.locator("#feedback-summary")).to_contain_text(
        "Strong session plans; add a retrospective."
    )


def test_a_withdrawn_pathway_reads_as_paused_with_a_visible_pause_sign(
    open_as: Callable[..., Page], pair: tuple[User, User]
) -> None:
    page = open_as(pair[0].email)
    card = enrol(page, "CST", CST_RULES, "Certified Scrum Trainer")
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name=re.compile("^Withdraw")).click()
    expect(card.locator(".state-pill")).to_contain_text("Withdrawn")
    expect(card.get_by_role("status")).to_contain_text("paused at Preparing")
    stepper = card.locator("ol.stepper")
    expect(stepper).not_to_contain_text("Now")
    paused = stepper.locator('[aria-current="step"]')
    expect(paused).to_contain_text("Paused here")
    glyph = paused.locator(".step-dot .pause-glyph")
    box = glyph.bounding_box()
    assert box is not None and box["width"] > 4 and box["height"] > 4  # drawn, not a box
    assert glyph.evaluate("el => getComputedStyle(el).borderLeftStyle") == "solid"


def test_a_new_cards_title_is_not_hidden_under_the_sticky_header(
    open_as: Callable[..., Page], pair: tuple[User, User]
) -> None:
    page = open_as(pair[0].email)
    page.set_viewport_size({"width": 1280, "height": 700})
    enrol(page, "CST", CST_RULES, "Certified Scrum Trainer")
    card = enrol(page, "PST", PST_RULES, "Professional Scrum Trainer")
    heading = card.get_by_role("heading", name="Professional Scrum Trainer", exact=True)
    # app.js focuses the new title and scrolls to it once the swap has settled (one
    # handler): until then the card lies below the window, where it is under no header.
    expect(heading).to_be_focused()
    header_bottom = page.locator(".site-header").evaluate("el => el.getBoundingClientRect().bottom")
    top = heading.evaluate("el => el.getBoundingClientRect().top")
    assert top >= header_bottom, (top, header_bottom)


def test_saving_an_edit_puts_the_address_back_to_the_list(
    open_as: Callable[..., Page],
    pair: tuple[User, User],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    item = make_evidence(pair[0], "teaching-sessions", status="rejected", title="CSM Leeds")
    page = open_as(pair[0].email)
    page.goto(f"/evidence/teaching-sessions/{item.id}/edit")
    form = page.locator("#evidence-form")
    form.get_by_label("Title").fill("CSM Leeds, corrected")
    form.get_by_role("button", name="Save and resubmit").click()
    expect(form).to_contain_text("sent back for review")
    expect(form.get_by_role("button", name="Add")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/evidence/teaching-sessions$"))


def test_edit_from_the_list_takes_the_reader_to_the_form(
    open_as: Callable[..., Page],
    pair: tuple[User, User],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    make_evidence(pair[0], "teaching-sessions", status="pending", title="CSM Leeds")
    page = open_as(pair[0].email)
    page.goto("/evidence/teaching-sessions")
    page.get_by_role("button", name=re.compile("^Edit")).click()
    expect(page.locator("#evidence-form-title")).to_be_focused()
    expect(page.locator("#evidence-form").get_by_label("Title")).to_have_value("CSM Leeds")


def test_a_rejection_shows_once_on_the_dashboard(
    open_as: Callable[..., Page],
    session: Session,
    pair: tuple[User, User],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    item = make_evidence(pair[0], "teaching-sessions", status="rejected")
    item.review_note = "Add the sign-off letter."
    session.commit()
    page = open_as(pair[0].email)
    expect(page.get_by_text("Add the sign-off letter.")).to_have_count(1)


def test_counts_agree_with_their_nouns_and_dates_read_one_way(
    open_as: Callable[..., Page],
    pair: tuple[User, User],
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    cara, mia = pair
    make_enrollment(cara, "cst", ruleset="cst@1")
    make_evidence(cara, "teaching-sessions", status="pending", first_day=date(2026, 3, 4))
    page = open_as(cara.email)
    body = page.locator("main").inner_text()
    assert not re.search(r"\bof 1 [a-z ]*s\b", body), body
    assert not re.search(r"\b1 (items|students|teaching sessions|days)\b", body)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", body), "an ISO date on a page"
    mentor = open_as(mia.email)
    mentor.goto(f"/mentor/candidates/{cara.id}")
    card = mentor.locator("article.enrollment").first
    expect(card).to_contain_text("the candidate's evidence is waiting for review")
    expect(card).not_to_contain_text("your mentor verifies it")
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", mentor.locator("main").inner_text())


def test_the_login_form_starts_in_the_email_field_and_says_what_is_missing(
    browser: Any, live_server: str
) -> None:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#email-error")).to_contain_text("This field is required.")
    expect(page.locator("#password-error")).to_contain_text("This field is required.")
    expect(page.get_by_text("do not match")).to_have_count(0)
    context.close()


def test_a_form_refused_without_htmx_comes_back_focused_on_its_first_error(
    browser: Any, live_server: str
) -> None:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/signup")
    page.get_by_label("Your name").fill("Pat Person")
    page.get_by_label("E-mail").fill("pat@example.org")
    page.get_by_label("Password", exact=True).fill("long enough 1")
    page.get_by_label("Repeat the password").fill("long enough 2")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_label("Repeat the password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Repeat the password")).to_be_focused()
    context.close()


def contrast(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours (0-255 channels)."""

    def luminance(rgb: tuple[float, ...]) -> float:
        linear = [
            c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
            for c in rgb[:3]
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_keyboard_focus_ring_is_solid_and_contrasts_and_esc_closes_the_menu(
    open_as: Callable[..., Page], pair: tuple[User, User]
) -> None:
    page = open_as(pair[0].email)
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link
    ring = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"""
    )
    style, width, colour = ring
    channels = tuple(float(c) for c in re.findall(r"[\d.]+", colour)[:3])
    assert style == "solid" and width >= 2
    assert contrast(channels, (255, 255, 255)) >= 3

    menu = page.locator("details.account-menu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()


def test_times_show_in_the_browsers_zone_from_the_first_login(
    browser: Any, live_server: str, pair: tuple[User, User]
) -> None:
    context = browser.new_context(base_url=live_server, timezone_id="Asia/Tokyo")
    page = context.new_page()
    log_in(page, pair[0].email)
    page.goto("/account/time-zone")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Times now show in Europe/Berlin")
    context.close()


def test_on_a_phone_a_review_items_title_takes_the_width_of_its_card(
    open_as: Callable[..., Page], pair: tuple[User, User], make_evidence: Callable[..., Any]
) -> None:
    """Beside the badge and the "Select" box, the title was squeezed into a third of
    the card, five short lines for "Certified ScrumMaster (CSM): 12 students, …"."""
    cara, mia = pair
    make_evidence(cara, "teaching-sessions", status="pending", title="Certified ScrumMaster (CSM)")
    page = open_as(mia.email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/mentor/reviews")
    item = page.locator("article.review-item").first
    title = item.locator("h3")
    expect(title).to_contain_text("Certified ScrumMaster (CSM)")
    head_width = item.locator(".review-item-head").bounding_box()["width"]  # type: ignore[index]
    assert title.bounding_box()["width"] > 0.9 * head_width  # type: ignore[index]

    page = open_as(cara.email)  # the candidate's own list draws its items the same way
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/evidence/teaching-sessions")
    head = page.locator("#evidence-list .evidence-item-head").first
    title = head.locator("strong")
    assert title.bounding_box()["width"] > 0.9 * head.bounding_box()["width"]  # type: ignore[index]


def test_on_a_phone_the_audit_trails_details_are_not_squeezed_to_a_word_a_line(
    open_as: Callable[..., Page], pair: tuple[User, User], make_user: Callable[..., User]
) -> None:
    """The table scrolls sideways on a phone; its last column, the entry's details (free
    text, which may break anywhere), had been squeezed to some 95 px, words cut in two."""
    cara, _mia = pair
    make_user(role=Role.ADMIN.value, name="Ada Admin", email="ada@example.org")
    page = open_as(cara.email)
    log_evidence(page, "Teaching sessions", {**SESSION, "Title": "Scrum Fundamentals for Teams"})
    admin = open_as("ada@example.org")
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.goto("/admin/audit")
    row = admin.locator(".audit-table tbody tr").filter(has_text="evidence.logged")
    details = row.locator("td").last
    expect(details).to_contain_text("Scrum Fundamentals for Teams")
    assert details.bounding_box()["width"] >= 200  # type: ignore[index]


def test_the_import_and_template_links_start_at_the_same_edge(
    open_as: Callable[..., Page], pair: tuple[User, User]
) -> None:
    """Under the heading (where the links sit at 1280 px and narrower) the template link
    was pushed right under the import link, as if it belonged to something else."""
    cara, _mia = pair
    page = open_as(cara.email)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/evidence/teaching-sessions")
        links = page.locator(".import-links a")
        lefts = [links.nth(i).bounding_box()["x"] for i in range(2)]  # type: ignore[index]
        assert abs(lefts[0] - lefts[1]) < 1, (width, lefts)


def test_the_eight_step_stepper_breaks_no_word_and_its_line_runs_unbroken(
    open_as: Callable[..., Page],
    pair: tuple[User, User],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    make_enrollment(pair[0], "pst", state="pspo2")
    page = open_as(pair[0].email)
    steps = page.locator(".stepper .step")
    expect(steps).to_have_count(8)
    # Every word of every step label on one line: "Application" was drawn "Applicati" / "on".
    broken = page.evaluate(
        """() => [...document.querySelectorAll(".stepper .step-label")].flatMap(label => {
             const words = label.textContent.trim().split(/\\s+/);
             label.replaceChildren(...words.flatMap((w, i) => {
               const span = document.createElement("span"); span.textContent = w;
               return i ? [" ", span] : [span]; }));
             return [...label.children].filter(s => s.getClientRects().length > 1)
                                       .map(s => s.textContent); })"""
    )
    assert broken == []
    # Where one step's line ends the next one's begins, in the same colour: green up to the
    # current step (PSPO II), grey after it.
    halves = page.evaluate(
        """() => [...document.querySelectorAll(".stepper .step")].map(step => [
             getComputedStyle(step, "::before").backgroundColor,
             getComputedStyle(step, "::after").backgroundColor])"""
    )
    green, grey = halves[1][0], halves[-1][0]
    assert green != grey
    joins = [(halves[i][1], halves[i + 1][0]) for i in range(7)]
    assert joins == [(green, green)] * 3 + [(grey, grey)] * 4


def test_the_filter_forms_draw_square_checkboxes_and_whole_fields(
    open_as: Callable[..., Page], pair: tuple[User, User], make_user: Callable[..., User]
) -> None:
    """The filter forms are search landmarks, and Pico draws a role="search" element as one
    joined pill: the dashboard's checkboxes came out round, like radio buttons; each box
    and button was square on one side and round on the other; the audit trail's box sat
    lower than its Show button; focusing a button wiped the boxes' borders."""
    _cara, mia = pair
    make_user(role=Role.ADMIN.value, name="Ada Admin", email="ada@example.org")
    controls = """form => [...form.querySelectorAll("input:not([type=hidden]), select, button")]
        .map(c => { const s = getComputedStyle(c), box = c.getBoundingClientRect();
                    return {type: c.type, width: box.width, bottom: box.bottom,
                            border: s.borderTopColor,
                            corners: [s.borderTopLeftRadius, s.borderTopRightRadius,
                                      s.borderBottomRightRadius, s.borderBottomLeftRadius]}; })"""
    for email, paths in (
        (mia.email, ["/mentor/", "/mentor/reviews"]),
        ("ada@example.org", ["/admin/users", "/admin/audit"]),
    ):
        page = open_as(email)
        for path in paths:
            page.goto(path)
            form = page.locator("main :is(form.filters, form.queue-filters)")
            seen = form.evaluate(controls)
            # Each control a whole shape: all four corners alike.
            assert all(len(set(c["corners"])) == 1 for c in seen), (path, seen)
            boxes = [c for c in seen if c["type"] == "checkbox"]
            assert all(float(c["corners"][0][:-2]) < c["width"] / 4 for c in boxes), path
            # The last box before the button ends on the button's line.
            fields = [c for c in seen if c["type"] not in ("checkbox", "submit")]
            button = next(c for c in seen if c["type"] == "submit")
            assert abs(fields[-1]["bottom"] - button["bottom"]) < 1, (path, seen)
            form.get_by_role("button").first.focus()
            seen = form.evaluate(controls)
            assert all(c["border"] != "rgba(0, 0, 0, 0)" for c in seen), (path, seen)


def test_a_sort_mark_stays_on_the_line_of_its_column_heading(
    open_as: Callable[..., Page], pair: tuple[User, User], make_enrollment: Callable[..., Any]
) -> None:
    """Where a heading wrapped ("Pathway", "To review", "Last active"), its ↕ fell to a
    line of its own under the words, like a stray character."""
    cara, mia = pair
    make_enrollment(cara, "cst")
    page = open_as(mia.email)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/mentor/")
        expect(page.locator("#candidates tbody tr")).to_have_count(1)
        alone = page.evaluate(
            """() => [...document.querySelectorAll("#candidates th .sort-mark")].filter(mark => {
                 const th = mark.closest("th"), start = th.getBoundingClientRect().left
                   + parseFloat(getComputedStyle(th).paddingLeft);
                 return mark.getBoundingClientRect().left < start + 1; })
               .map(mark => mark.closest("th").textContent.trim())"""
        )
        assert alone == [], width


def test_on_a_phone_the_dossiers_back_link_and_pdf_button_keep_to_one_line(
    open_as: Callable[..., Page], pair: tuple[User, User], make_enrollment: Callable[..., Any]
) -> None:
    """At 390 px the dossier's top row squeezed "← Back" into "←" over "Back", and the
    button into "Download" over "PDF", to leave room for the print hint beside them."""
    enrollment = make_enrollment(pair[0], "cst")
    page = open_as(pair[0].email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/enrollments/{enrollment.id}/dossier")
    lines = page.locator(".dossier-actions a").evaluate_all(
        """links => links.map(a => { const words = document.createRange();
             words.selectNodeContents(a);  // one rectangle a line
             return [a.textContent, words.getClientRects().length]; })"""
    )
    assert lines == [["← Back", 1], ["Download PDF", 1]]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_a_radio_label_that_wraps_goes_on_under_its_text_not_under_the_button(
    open_as: Callable[..., Page],
    pair: tuple[User, User],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    make_enrollment(pair[0], "pst")  # CST is then offered in the narrow side column
    page = open_as(pair[0].email)
    lines = page.evaluate(
        """() => [...document.querySelectorAll(".radio-group label")]
             .filter(label => label.offsetParent !== null).map(label => {
               const button = label.querySelector("input[type=radio]").getBoundingClientRect();
               const range = document.createRange();
               range.selectNodeContents(label);
               range.setStartAfter(label.querySelector("input"));
               const rects = [...range.getClientRects()].filter(r => r.width > 0);
               const first = rects[0];
               return {text: label.textContent.trim(), lines: rects.length,
                       under_button: rects.filter(r => r.left < button.right).length,
                       off_centre: Math.abs((first.top + first.bottom) / 2
                                            - (button.top + button.bottom) / 2)};
             })"""
    )
    assert any(label["lines"] > 1 for label in lines), lines  # the case this test is about
    assert [label["text"] for label in lines if label["under_button"]] == []
    assert [label["text"] for label in lines if label["off_centre"] > 2] == []
