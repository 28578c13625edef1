"""Public pathway pages, rendered from the rulesets (every version), and the comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from trainerpath import clock
from trainerpath.dashboards.common import format_day
from trainerpath.models import Enrollment
from trainerpath.pathways import CURRENT, REGISTERED, RULESETS, Ruleset, is_current, rulesets_of
from trainerpath.pathways.calendar import window_start
from trainerpath.services.pathways import state_label, who_phrase

from .conftest import Cast, fetch_one, log_in, page, text
from .dom import Node


def url_of(ruleset: Ruleset) -> str:
    """The page of one version of a pathway's rules (the current one at the pathway's URL)."""
    if is_current(ruleset):
        return f"/pathways/{ruleset.pathway}"
    return f"/pathways/{ruleset.pathway}?ruleset={ruleset.id}"


@pytest.mark.parametrize("ruleset", REGISTERED, ids=lambda r: r.id)
def test_a_pathway_page_shows_every_step_and_who_decides_it(
    client: FlaskClient, ruleset: Ruleset
) -> None:
    html = page(client.get(url_of(ruleset)))
    assert ruleset.title in html.find("h1").text
    assert f"rules {ruleset.id}" in html.find("header", class_="page-head").text
    steps = html.find("ol", class_="route").find_all("li", class_="route-step")
    expected = [s for s in ruleset.states if s.value != ruleset.withdrawn_state]
    assert [step.get("id") for step in steps] == [f"step-{s.value}" for s in expected]
    # a step's heading is its name, not the name and the identifier the API uses, which
    # only the full rules table shows
    assert [step.find("h2").text for step in steps] == [
        state_label(ruleset, s.value) for s in expected
    ]
    table = html.find("details").find("tbody").text
    assert all(s.value in table for s in expected if not s.final)
    for step, state in zip(steps, expected, strict=True):
        for event in ruleset.event_names(state.value):
            if event != "withdraw":
                assert who_phrase(ruleset, event) in step.text
                target = ruleset.target(state.value, event) or state.value
                assert state_label(ruleset, target) in step.text
            for key in ruleset.guards(state.value, event):
                need = ruleset.requirements[key]
                assert need.label in step.text and need.rule() in step.text


@pytest.mark.parametrize("pathway", list(CURRENT))
def test_every_version_of_a_pathways_rules_is_listed_the_current_first(
    client: FlaskClient, pathway: str
) -> None:
    rulesets = rulesets_of(pathway)
    for shown in rulesets:
        html = page(client.get(url_of(shown)))
        switcher = html.find("nav", class_="version-switch")
        links = switcher.find_all("a")
        assert [link.get("href") for link in links] == [url_of(r) for r in rulesets]
        assert [link.get("href") for link in links if link.get("aria-current")] == [url_of(shown)]
        assert "current" in links[0].text
        versions = html.find("section", aria_labelledby="versions-title")
        cards = versions.find_all("article", class_="version-card")
        assert [card.find("h3").text for card in cards] == [r.label for r in rulesets]
        assert "Current" in cards[0].find("header").text
        assert all("Current" not in card.find("header").text for card in cards[1:])
        for card, ruleset in zip(cards, rulesets, strict=True):
            for key in ruleset.guards_leaving(ruleset.initial_state):
                assert ruleset.requirements[key].rule() in card.text


def test_an_older_version_says_it_is_not_the_current_one(client: FlaskClient) -> None:
    html = page(client.get("/pathways/cst?ruleset=cst@1"))
    assert "These are older rules" in html.find("p", class_="notice").text
    assert page(client.get("/pathways/cst")).find("p", class_="notice") is None
    assert client.get("/pathways/cst?ruleset=pst@1").status_code == 404


def test_the_first_cst_rules_name_each_requirement_and_the_note_rule(client: FlaskClient) -> None:
    html = page(client.get("/pathways/cst?ruleset=cst@1"))
    preparing = html.by_id("step-preparing")
    for label in ["Active CSP-SM or CSP-PO", "Students taught", "Multi-day ScrumMaster sessions",
                  "Course materials reviewed", "Hands-on Scrum experience"]:  # fmt: skip
        assert label in preparing.text
    assert "≥ 100 students" in preparing.text
    assert "At least 100 students across all teaching sessions." in preparing.text
    assert "note required" in html.by_id("step-tac_review").text
    assert "the candidate or an admin can withdraw" in html.text


def test_the_current_cst_rules_show_their_numbers_and_windows(client: FlaskClient) -> None:
    preparing = page(client.get("/pathways/cst")).by_id("step-preparing")
    items = {
        item.find("strong").text: item.find(class_="rule-tag").text
        for item in preparing.find("ul", class_="requirement-list").find_all("li")
    }
    assert items == {
        "Active CSP of the track": "required",
        "Qualifying training events": "≥ 10 qualifying training events in the last 60 months",
        "Qualifying events with current materials":
            "≥ 5 qualifying events with current materials in the last 60 months",
        "Scrum experience in the last 84 months": "≥ 60 months in the last 84 months",
        "Learning objectives mapped": "required",
    }  # fmt: skip


def compare_columns(html: Node) -> list[Node]:
    """The comparison's ruleset headers, left to right."""
    return html.find("thead").find_all("th", scope="col")


def compare_row(html: Node, heading: str) -> list[Node]:
    """The cells of the comparison row with this heading."""
    for row in html.find("tbody").find_all("tr"):
        if row.find("th").text == heading:
            return row.find_all("td")
    raise AssertionError(f"no row {heading!r}")


def test_the_comparison_puts_every_ruleset_side_by_side_the_current_first(
    client: FlaskClient,
) -> None:
    html = page(client.get("/pathways/compare"))
    rulesets = [RULESETS[r] for r in ("cst@2", "cst@1", "pst@2", "pst@1")]
    groups = html.find("thead").find_all("th", scope="colgroup")
    assert [(g.text.split(" ")[0], g.get("colspan")) for g in groups] == [
        ("CST", "2"),
        ("PST", "2"),
    ]
    columns = compare_columns(html)
    assert [column.find("a").text for column in columns] == [r.label for r in rulesets]
    assert [column.find("a").get("href") for column in columns] == [url_of(r) for r in rulesets]
    assert ["Current" in column.text for column in columns] == [True, False, True, False]
    awarded = [cell.text for cell in compare_row(html, "Awarded by")]
    assert awarded == ["Scrum Alliance", "Scrum Alliance", "Scrum.org", "Scrum.org"]
    to_apply = compare_row(html, "To apply")
    assert "≥ 10 qualifying training events in the last 60 months" in to_apply[0].text
    assert "≥ 100 students" in to_apply[1].text
    assert "Years of Scrum experience ≥ 4 years" in to_apply[2].text
    assert "Years as Product Owner ≥ 4 years" in to_apply[3].text
    decides = compare_row(html, "Who decides each step")
    pairs = [(d.find("dt").text, d.find("dd").text) for d in decides[1].find_all("div")]
    assert pairs == [("Preparing", "the candidate"), ("TAC review", "a mentor or an admin"),
                     ("Interview", "a mentor or an admin")]  # fmt: skip
    assert "Where you stand" not in html.text


def test_a_candidate_sees_where_they_stand_under_every_ruleset(
    client: FlaskClient,
    cast: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., Any],
) -> None:
    make_enrollment(cast.candidate, "pst", ruleset="pst@1", state="ttt")
    make_evidence(cast.candidate, "credentials")
    log_in(client, cast.candidate)
    html = page(client.get("/pathways/compare"))
    cells = html.find("tr", class_="standing-row").find_all("td")
    assert "Not enrolled. You already meet 1 of 5 requirements to apply." in cells[0].text
    assert cells[0].find("button").text == "Enrol in CST"
    assert "Not enrolled. You already meet 1 of 5 requirements to apply." in cells[1].text
    assert cells[1].find("button").text == "Enrol in CST under these rules"
    assert (
        "You follow Professional Scrum Trainer (Product Owner track, first published rules). "
        "Under these rules you would meet 0 of 4 requirements to apply." in cells[2].text
    )
    assert "Train the Trainer: 0 of 1 requirement met for the next step." in cells[3].text
    to_apply = compare_row(html, "To apply")
    assert "Met: Active CSP of the track" in to_apply[0].text
    assert "Met: Active CSP-SM or CSP-PO" in to_apply[1].text
    assert "1 verified + 0 pending of 1 needed" in to_apply[1].text
    # the same words as the dashboard's side-by-side of rules: Met / Not met
    assert "Not met: Students taught" in to_apply[1].text
    assert not any("Not yet" in cell.text for cell in to_apply)


def test_enrolling_from_the_comparison_follows_the_rules_of_that_column(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    log_in(client, cast.candidate)
    cells = page(client.get("/pathways/compare")).find("tr", class_="standing-row").find_all("td")
    form = cells[1].find("form")
    fields = {field.get("name"): field.get("value") for field in form.find_all("input")}
    assert client.post(form.get("action"), data=fields).status_code == 303
    enrollment = fetch_one(engine, select(Enrollment))
    assert (enrollment.pathway, enrollment.ruleset) == ("cst", "cst@1")


def test_a_candidate_on_the_product_owner_track_is_measured_on_it(
    client: FlaskClient,
    cast: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., Any],
) -> None:
    make_enrollment(cast.candidate, "cst", ruleset="cst@2", track="product_owner")
    make_evidence(cast.candidate, "credentials", kind="csp_po")
    log_in(client, cast.candidate)
    html = page(client.get("/pathways/compare"))
    cells = html.find("tr", class_="standing-row").find_all("td")
    assert "Preparing: 1 of 5 requirements met for the next step." in cells[0].text
    assert "Met: Active CSP of the track" in compare_row(html, "To apply")[0].text


def test_the_comparison_offers_a_switch_only_while_preparing_and_says_withdrawn_is_paused(
    client: FlaskClient, cast: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    make_enrollment(
        cast.candidate, "cst", ruleset="cst@1", state="withdrawn", withdrawn_from="preparing"
    )
    make_enrollment(cast.candidate, "pst", ruleset="pst@1", state="pspo3")
    log_in(client, cast.candidate)
    cells = page(client.get("/pathways/compare")).find("tr", class_="standing-row").find_all("td")
    cst_2, cst_1, pst_2, _followed = (cell.text for cell in cells)
    assert "Withdrawn: paused at Preparing; resume it to carry on." in cst_1
    assert "waiting for an outcome" not in cst_1
    for other in (cst_2, pst_2):  # rules they cannot switch to from where they stand
        assert "Compare or switch" not in other and "See your enrollment" in other


def test_a_candidates_pathway_page_measures_their_evidence(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., Any]
) -> None:
    make_evidence(cast.candidate, "teaching-sessions", students=40, reflection="Went well")
    log_in(client, cast.candidate)
    first = page(client.get("/pathways/cst?ruleset=cst@1"))
    assert "40 verified + 0 pending of 100 students" in first.by_id("step-preparing").text
    banner = first.find("aside", class_="standing-banner")
    # nothing met yet: not "you already meet 0"
    assert "Not enrolled. You meet none of the 5 requirements to apply yet." in banner.text
    to_apply = first.find("ul", class_="check-list").text
    assert "Not met: Active CSP of the track" in to_apply and "Not yet" not in to_apply
    assert banner.find("button").text == "Enrol in CST under these rules"
    current = page(client.get("/pathways/cst")).by_id("step-preparing")
    since = format_day(window_start(clock.today(), 60))
    assert "1 verified + 0 pending of 10 qualifying training events" in current.text
    assert f"Counted in the last 60 months, since {since}" in current.text


def test_mentors_see_the_rules_without_a_standing(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.mentor)
    html = page(client.get("/pathways/pst"))
    assert html.find("aside", class_="standing-banner") is None
    assert "Where you stand" not in text(client.get("/pathways/compare"))


def test_the_home_page_introduces_both_pathways(client: FlaskClient) -> None:
    html = page(client.get("/"))
    cards = html.find_all("article", class_="pathway-card")
    assert [card.find("h3").text for card in cards] == [r.title for r in CURRENT.values()]
    assert html.find("a", href="/signup") is not None
