"""Public pathway pages, rendered from the rulesets, and the CST/PST comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from trainerpath.models import Enrollment
from trainerpath.pathways import CURRENT
from trainerpath.services.pathways import state_label, who_phrase

from .conftest import Cast, log_in, page, text


@pytest.mark.parametrize("pathway", list(CURRENT))
def test_a_pathway_page_shows_every_step_and_who_decides_it(
    client: FlaskClient, pathway: str
) -> None:
    ruleset = CURRENT[pathway]
    html = page(client.get(f"/pathways/{pathway}"))
    assert ruleset.title in html.find("h1").text
    steps = html.find("ol", class_="route").find_all("li", class_="route-step")
    expected = [s for s in ruleset.states if s.value != "withdrawn"]
    assert [step.find("h2").text.split(" ")[0] for step in steps] == [
        str(s.name).split(" ")[0] for s in expected
    ]
    for step, state in zip(steps, expected, strict=True):
        for event in ruleset.event_names(state.value):
            if event != "withdraw":
                assert who_phrase(ruleset, event) in step.text
                target = ruleset.target(state.value, event) or state.value
                assert state_label(ruleset, target) in step.text


def test_the_cst_page_names_each_requirement_and_the_note_rule(client: FlaskClient) -> None:
    html = page(client.get("/pathways/cst"))
    preparing = html.by_id("step-preparing")
    for label in ["Active CSP-SM or CSP-PO", "Students taught", "Multi-day ScrumMaster sessions",
                  "Course materials reviewed", "Hands-on Scrum experience"]:  # fmt: skip
        assert label in preparing.text
    assert "(target: 100 students)" in preparing.text
    assert "At least 100 students across all teaching sessions." in preparing.text
    assert "note required" in html.by_id("step-tac_review").text
    assert "the candidate or an admin can withdraw" in html.text


def test_the_comparison_puts_both_routes_side_by_side(client: FlaskClient) -> None:
    html = page(client.get("/pathways/compare"))
    headers = [th.text for th in html.find("thead").find_all("th")]
    assert headers[0].startswith("Certified Scrum Trainer")
    assert headers[1].startswith("Professional Scrum Trainer (Product Owner track)")
    rows = {row.find("th").text: row for row in html.find("tbody").find_all("tr")}
    assert set(rows) >= {"Awarded by", "The route", "To apply", "Who decides each step"}
    assert "Scrum Alliance" in rows["Awarded by"].text and "Scrum.org" in rows["Awarded by"].text
    assert "Years as Product Owner" in rows["To apply"].text
    decides = rows["Who decides each step"].find_all("td")[0]
    pairs = [(d.find("dt").text, d.find("dd").text) for d in decides.find_all("div")]
    assert pairs == [("Preparing", "the candidate"), ("TAC review", "a mentor or an admin"),
                     ("Interview", "a mentor or an admin")]  # fmt: skip
    assert "Where you stand" not in html.text


def test_a_candidate_sees_where_they_stand_on_each_route(
    client: FlaskClient,
    cast: Cast,
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., Any],
) -> None:
    make_enrollment(cast.candidate, "pst", state="ttt")
    make_evidence(cast.candidate, "credentials")
    log_in(client, cast.candidate)
    html = page(client.get("/pathways/compare"))
    standing = html.find("tr", class_="standing-row")
    cells = standing.find_all("td")
    assert "Not enrolled. You already meet 1 of 5 requirements to apply." in cells[0].text
    assert cells[0].find("button").text == "Enrol in CST"
    assert "Train the Trainer: 0 of 1 requirements met for the next step." in cells[1].text
    apply_row = next(
        r for r in html.find_all("tr") if r.find("th") and r.find("th").text == "To apply"
    )
    assert "Met: Active CSP-SM or CSP-PO" in apply_row.text
    assert "1 verified + 0 pending of 1 needed" in apply_row.text


def test_a_candidates_pathway_page_measures_their_evidence(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., Any]
) -> None:
    make_evidence(cast.candidate, "teaching-sessions", students=40)
    log_in(client, cast.candidate)
    html = page(client.get("/pathways/cst"))
    assert "40 verified + 0 pending of 100 students" in html.by_id("step-preparing").text
    banner = html.find("aside", class_="standing-banner")
    assert "Not enrolled. You already meet 0 of 5 requirements to apply." in banner.text
    assert banner.find("button").text == "Enrol in CST"


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
