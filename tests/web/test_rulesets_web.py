"""Rulesets in the browser: the choice at enrolment, switching, qualifying courses (§6)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from conftest import TODAY, days_ago
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select

from trainerpath.models import Enrollment, TransitionRecord
from trainerpath.pathways.calendar import add_months, window_start

from .conftest import HTMX, Cast, fetch_all, fetch_one, log_in, page, text
from .dom import Node

MakeEvidence = Callable[..., Any]
MakeEnrollment = Callable[..., Enrollment]


@pytest.fixture
def cara(client: FlaskClient, cast: Cast) -> Cast:
    """The cast, with Cara logged in."""
    log_in(client, cast.candidate)
    return cast


def options(node: Node, name: str) -> list[tuple[str | None, str, bool]]:
    """The radio buttons called ``name``: (value, label, checked)."""
    return [
        (
            radio.get("value"),
            node.find("label", for_=radio.get("id")).text,
            "checked" in radio.attrs,
        )
        for radio in node.find_all("input", type="radio", name=name)
    ]


# -- Enrolling under the rules of one's choice ----------------------------------------------


def test_the_enrol_form_offers_every_ruleset_with_the_current_one_preselected(
    client: FlaskClient, cara: Cast
) -> None:
    html = page(client.get("/candidate"))
    cst = html.by_id("enrol-cst")
    assert options(cst, "ruleset") == [
        ("cst@2", "Certified Scrum Trainer (April 2024) — current", True),
        ("cst@1", "Certified Scrum Trainer (first published rules)", False),
    ]
    assert options(cst, "track") == [
        ("scrum_master", "ScrumMaster (CSM courses)", True),
        ("product_owner", "Product Owner (CSPO courses)", False),
    ]
    assert "Applies to the April 2024 rules only." in cst.by_id("field-enrol-cst-track").text
    pst = html.by_id("enrol-pst")
    assert [value for value, _label, checked in options(pst, "ruleset") if checked] == ["pst@2"]
    assert options(pst, "track") == []  # no version of the PST rules has tracks


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_candidate_enrols_in_cst_2_on_the_product_owner_track(
    client: FlaskClient, cara: Cast, engine: Engine, headers: dict[str, str]
) -> None:
    data = {"pathway": "cst", "ruleset": "cst@2", "track": "product_owner"}
    response = client.post("/candidate/enrol", data=data, headers=headers)
    enrollment = fetch_one(engine, select(Enrollment))
    assert (enrollment.ruleset, enrollment.track) == ("cst@2", "product_owner")
    if headers:
        assert response.status_code == 200
        assert response.get_data(as_text=True).lstrip().startswith('<div id="overview"')
        notify = json.loads(response.headers["HX-Trigger"])["notify"]
        assert notify == {
            "message": "You are enrolled in the Certified Scrum Trainer pathway. "
            "Here is what it takes."
        }
        card = page(response).by_id(f"enrollment-{enrollment.id}")
    else:
        assert response.headers["Location"] == f"/candidate#enrollment-{enrollment.id}"
        card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert "rules cst@2" in card.find("hgroup").text
    followed = card.find(class_="rules-column", id=f"switch-{enrollment.id}-cst-2")
    assert "Track: Product Owner (CSPO courses)" in followed.text


def test_a_candidate_may_enrol_under_the_first_rules_and_the_track_is_ignored(
    client: FlaskClient, cara: Cast, engine: Engine
) -> None:
    # The form always carries a track; it means nothing to rules without tracks.
    data = {"pathway": "cst", "ruleset": "cst@1", "track": "scrum_master"}
    assert client.post("/candidate/enrol", data=data).status_code == 303
    enrollment = fetch_one(engine, select(Enrollment))
    assert (enrollment.ruleset, enrollment.track) == ("cst@1", None)
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert "Students taught" in card.find(class_="requirements-section").text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ruleset": "pst@2"}, "ruleset", "Must be one of: cst@1, cst@2."),
        ({"track": "karate"}, "track", "Must be one of: scrum_master, product_owner."),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_choice_is_explained_next_to_its_field(
    client: FlaskClient,
    cara: Cast,
    engine: Engine,
    headers: dict[str, str],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = {"pathway": "cst", "ruleset": "cst@2", "track": "scrum_master"} | changes
    response = client.post("/candidate/enrol", data=data, headers=headers)
    assert response.status_code == 422
    if headers:
        assert response.headers["HX-Retarget"] == "#enrol-cst"
        assert response.get_data(as_text=True).lstrip().startswith("<form")
    wrapper = page(response).by_id(f"field-enrol-cst-{field}")
    assert wrapper.find("small", class_="field-error").text == f"✗ {message}"
    assert wrapper.get("aria-describedby") == f"enrol-cst-{field}-error"
    assert fetch_all(engine, select(Enrollment)) == []


def test_enrolling_twice_with_htmx_says_why_inside_the_form(
    client: FlaskClient, cara: Cast, engine: Engine
) -> None:
    client.post("/candidate/enrol", data={"pathway": "cst"})
    response = client.post("/candidate/enrol", data={"pathway": "cst"}, headers=HTMX)
    assert response.status_code == 409
    alert = page(response).by_id("enrol-cst").find(role="alert")
    assert "Already enrolled in the Certified Scrum Trainer pathway." in alert.text
    assert len(fetch_all(engine, select(Enrollment))) == 1


# -- Standing under each ruleset, and switching ---------------------------------------------


def give_cst_1_evidence(make_evidence: MakeEvidence, candidate: Any) -> None:
    """A CSP-SM, 40 students in 2 two-day ScrumMaster courses, and Scrum experience."""
    make_evidence(candidate, "credentials", kind="csp_sm")
    make_evidence(candidate, "teaching-sessions", students=20, reflection="Shorter labs")
    make_evidence(candidate, "teaching-sessions", students=20)
    make_evidence(candidate, "experience", role="scrum_master", started_on=days_ago(3 * 365))


def standing_of(card: Node, enrollment: Enrollment, ruleset: str) -> list[tuple[str, str]]:
    """A column of the side-by-side standing: (Met/Not met, label) per requirement."""
    column = card.by_id(f"switch-{enrollment.id}-{ruleset.replace('@', '-')}")
    return [
        (item.find(class_="visually-hidden").text.rstrip(":"), item.find("strong").text)
        for item in column.find("ul", class_="rules-list").find_all("li")
    ]


def test_the_standing_under_each_ruleset_shows_met_and_unmet_requirements_side_by_side(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@1")
    give_cst_1_evidence(make_evidence, cara.candidate)
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    section = card.by_id(f"switch-{enrollment.id}")
    assert "Your standing under each version of these rules" in section.find("h3").text
    headings = [h.text for h in section.find_all("h4")]
    assert headings == [
        "Certified Scrum Trainer (April 2024)",
        "Certified Scrum Trainer (first published rules)",
    ]
    assert standing_of(card, enrollment, "cst@2") == [
        ("Met", "Active CSP of the track"),
        ("Not met", "Qualifying training events"),
        ("Not met", "Qualifying events with current materials"),
        ("Not met", "Scrum experience in the last 84 months"),
        ("Not met", "Learning objectives mapped"),
    ]
    assert standing_of(card, enrollment, "cst@1") == [
        ("Met", "Active CSP-SM or CSP-PO"),
        ("Not met", "Students taught"),
        ("Not met", "Multi-day ScrumMaster sessions"),
        ("Not met", "Course materials reviewed"),
        ("Met", "Hands-on Scrum experience"),
    ]
    new = card.by_id(f"switch-{enrollment.id}-cst-2")
    assert "1 of 5 met to apply" in new.text
    assert "9 more qualifying training events needed" in new.text  # one has a reflection
    assert "Track: ScrumMaster (CSM courses)" in new.text
    assert "Current" in new.find(class_="rules-tags").text
    old = card.by_id(f"switch-{enrollment.id}-cst-1")
    assert "Your rules" in old.find(class_="rules-tags").text
    assert "60 more students needed" in old.text
    # one switch button, under the rules not followed, with a track choice
    buttons = [b.text for b in section.find_all("button")]
    assert buttons == ["Switch to these rules"]
    assert [value for value, _label, checked in options(new, "track") if checked] == [
        "scrum_master"
    ]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_switching_from_cst_1_to_cst_2_writes_the_history_and_shows_the_new_rules(
    client: FlaskClient,
    cara: Cast,
    engine: Engine,
    make_enrollment: MakeEnrollment,
    headers: dict[str, str],
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@1")
    url = f"/enrollments/{enrollment.id}/ruleset"
    data = {"ruleset": "cst@2", "track": "product_owner", "next": "/candidate"}
    response = client.post(url, data=data, headers=headers)
    message = (
        "You now follow Certified Scrum Trainer (April 2024), Product Owner (CSPO courses) track."
    )
    if headers:
        assert response.status_code == 200
        assert response.get_data(as_text=True).lstrip().startswith("<article")
        card = page(response).by_id(f"enrollment-{enrollment.id}")
        assert message in card.find(role="status").text
    else:
        assert response.headers["Location"] == f"/candidate#enrollment-{enrollment.id}"
        html = page(client.get("/candidate"))
        assert message in html.text
        card = html.by_id(f"enrollment-{enrollment.id}")
    assert "rules cst@2" in card.find("hgroup").text
    requirements = card.find(class_="requirements-section").text
    assert "Qualifying training events" in requirements and "Students taught" not in requirements
    assert "Switched to other rules" in card.find("details", class_="history").text
    (record,) = fetch_all(engine, select(TransitionRecord))
    assert (record.event, record.from_state, record.to_state) == (
        "switch_ruleset",
        "preparing",
        "preparing",
    )
    assert record.note == "cst@1 → cst@2 (product_owner)"
    stored = fetch_one(engine, select(Enrollment))
    assert (stored.ruleset, stored.track, stored.state) == ("cst@2", "product_owner", "preparing")


def test_a_candidate_changes_the_track_of_their_own_rules(
    client: FlaskClient, cara: Cast, engine: Engine, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@2")
    own = page(client.get("/candidate")).by_id(f"switch-{enrollment.id}-cst-2")
    assert [b.text for b in own.find_all("button")] == [
        "Change to the Product Owner (CSPO courses) track"
    ]
    form = own.find("form")
    # asked first, as a switch of rules is: which courses count changes
    assert form.get("hx-confirm") == (
        "Follow the Product Owner (CSPO courses) track from now on? Your evidence stays; "
        "which courses count changes."
    )
    data = {i.get("name"): i.get("value") for i in form.find_all("input")}
    response = client.post(form.get("action"), data=data, headers=HTMX)
    assert response.status_code == 200
    assert fetch_one(engine, select(Enrollment)).track == "product_owner"
    assert fetch_one(engine, select(TransitionRecord)).note == "cst@2: scrum_master → product_owner"
    # the timeline says what changed: the track, not the rules
    history = page(response).by_id(f"enrollment-{enrollment.id}").find("details", class_="history")
    assert "Switched track" in history.text and "other rules" not in history.text


def test_the_switch_is_refused_outside_preparing_and_not_offered(
    client: FlaskClient, cara: Cast, engine: Engine, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@1", state="tac_review")
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert card.find(id=f"switch-{enrollment.id}") is None
    url = f"/enrollments/{enrollment.id}/ruleset"
    refusal = (
        "The rules can be switched only while preparing, before the application "
        "(this enrollment is in TAC review)."
    )
    response = client.post(url, data={"ruleset": "cst@2"}, headers=HTMX)
    assert response.status_code == 409
    assert refusal in page(response).by_id(f"enrollment-{enrollment.id}").find(role="alert").text
    assert client.post(url, data={"ruleset": "cst@2"}).status_code == 303
    assert refusal in text(client.get("/candidate"))
    stored = fetch_one(engine, select(Enrollment))
    assert (stored.ruleset, stored.state) == ("cst@1", "tac_review")
    assert fetch_all(engine, select(TransitionRecord)) == []


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"ruleset": "cst@2", "track": "scrum_master"}, 422, "already follows these rules"),
        ({"ruleset": "pst@2"}, 422, "Please choose one of the rules (and tracks) shown."),
    ],
)
def test_a_refused_switch_says_why_and_changes_nothing(
    client: FlaskClient,
    cara: Cast,
    engine: Engine,
    make_enrollment: MakeEnrollment,
    data: dict[str, str],
    status: int,
    message: str,
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@2")
    response = client.post(f"/enrollments/{enrollment.id}/ruleset", data=data, headers=HTMX)
    assert response.status_code == status
    assert message in page(response).by_id(f"enrollment-{enrollment.id}").find(role="alert").text
    assert fetch_all(engine, select(TransitionRecord)) == []


def test_another_candidates_enrollment_cannot_be_switched(
    client: FlaskClient, cara: Cast, make_enrollment: MakeEnrollment
) -> None:
    theirs = make_enrollment(cara.other_candidate, "cst", ruleset="cst@1")
    response = client.post(f"/enrollments/{theirs.id}/ruleset", data={"ruleset": "cst@2"})
    assert response.status_code == 404


def test_a_mentor_is_offered_no_switch_and_cannot_switch(
    client: FlaskClient, cast: Cast, engine: Engine, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    log_in(client, cast.mentor)
    url = f"/mentor/candidates/{cast.candidate.id}"
    card = page(client.get(url)).by_id(f"enrollment-{enrollment.id}")
    assert card.find(id=f"switch-{enrollment.id}") is None
    response = client.post(
        f"/enrollments/{enrollment.id}/ruleset", data={"ruleset": "cst@2"}, headers=HTMX
    )
    assert response.status_code == 403
    alert = page(response).by_id(f"enrollment-{enrollment.id}").find(role="alert")
    assert "Only the candidate or an admin can switch an enrollment's rules." in alert.text
    assert fetch_one(engine, select(Enrollment)).ruleset == "cst@1"


# -- Teaching sessions as qualifying events -------------------------------------------------

ADAPTED = "Shortened the lecture parts after feedback."


def log_courses(make_evidence: MakeEvidence, candidate: Any) -> dict[str, Any]:
    """One teaching session per way of (not) qualifying for a ScrumMaster-track enrollment."""
    start = window_start(TODAY, 60)
    courses = {
        "qualifying": {"reflection": ADAPTED},
        "first day of the window": {"reflection": ADAPTED, "first_day": start},
        "day before the window": {"reflection": ADAPTED, "first_day": start - timedelta(days=1)},
        "one day, no reflection": {"days": 1},
        "half delivered": {"reflection": ADAPTED, "share_delivered": 50},
        "product owner, 49%, pending": {
            "reflection": ADAPTED,
            "course_type": "product_owner",
            "share_delivered": 49,
            "status": "pending",
        },
        "rejected": {"reflection": ADAPTED, "status": "rejected"},
    }
    return {
        name: make_evidence(candidate, "teaching-sessions", title=name, **fields)
        for name, fields in courses.items()
    }


def test_the_teaching_list_marks_qualifying_events_and_says_why_not(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    make_enrollment(cara.candidate, "cst", ruleset="cst@2")
    items = log_courses(make_evidence, cara.candidate)
    items["qualifying, pending"] = make_evidence(
        cara.candidate,
        "teaching-sessions",
        title="qualifying, pending",
        reflection=ADAPTED,
        status="pending",
    )
    html = page(client.get("/evidence/teaching-sessions"))
    marks = {
        name: html.by_id(f"item-teaching-sessions-{item.id}").find(class_="qualifying").text
        for name, item in items.items()
    }
    rules = "· Certified Scrum Trainer (April 2024), ScrumMaster track"
    assert marks == {
        "qualifying": f"★ Qualifying training event {rules}",
        "first day of the window": f"★ Qualifying training event {rules}",
        "day before the window": (
            f"○ Not a qualifying training event: outside the 60-month window {rules}"
        ),
        "one day, no reflection": (
            f"○ Not a qualifying training event: one day only, no reflection yet {rules}"
        ),
        "half delivered": f"★ Qualifying training event {rules}",
        "product owner, 49%, pending": (
            "○ Not a qualifying training event: not a ScrumMaster course, "
            f"less than half delivered, waiting for review {rules}"
        ),
        "rejected": f"○ Not a qualifying training event: rejected {rules}",
        # only the review missing: it will count, not "Not a qualifying event: waiting"
        "qualifying, pending": f"◷ Qualifying training event once verified {rules}",
    }


def test_the_qualifying_marks_agree_with_the_count_on_the_dashboard(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@2", track="product_owner")
    log_courses(make_evidence, cara.candidate)
    for n in range(3):
        make_evidence(
            cara.candidate,
            "teaching-sessions",
            course_type="product_owner",
            reflection=ADAPTED,
            first_day=days_ago(40 + n),
        )
    listing = page(client.get("/evidence/teaching-sessions"))
    qualifying = listing.find_all("p", class_="is-qualifying")
    assert len(qualifying) == 3 and "Product Owner track" in qualifying[0].text
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    events = next(
        r
        for r in card.find_all("li", class_="requirement")
        if r.find(class_="requirement-label").text == "Qualifying training events"
    )
    assert events.find(role="progressbar").get("aria-valuenow") == "3"


def test_sessions_are_not_marked_without_a_cst_2_enrollment(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    make_enrollment(cara.candidate, "cst", ruleset="cst@1")
    make_evidence(cara.candidate, "teaching-sessions")
    assert page(client.get("/evidence/teaching-sessions")).find(class_="qualifying") is None


def test_the_card_names_courses_that_would_qualify_with_a_reflection(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@2")
    for _ in range(3):
        make_evidence(cara.candidate, "teaching-sessions")  # verified, two days, no reflection
    make_evidence(cara.candidate, "teaching-sessions", status="pending")
    make_evidence(cara.candidate, "teaching-sessions", days=1)
    make_evidence(cara.candidate, "teaching-sessions", course_type="product_owner")
    make_evidence(cara.candidate, "teaching-sessions", first_day=add_months(TODAY, -61))
    make_evidence(cara.candidate, "teaching-sessions", reflection=ADAPTED)
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    hint = card.by_id(f"reflection-hint-{enrollment.id}")
    assert "3 of your ScrumMaster courses would qualify with a reflection." in hint.text
    assert hint.find("a").get("href") == "/evidence/teaching-sessions"
    client.post("/logout")
    log_in(client, cara.mentor)  # who reads about the candidate, not to them
    card = page(client.get(f"/mentor/candidates/{cara.candidate.id}"))
    hint = card.by_id(f"reflection-hint-{enrollment.id}")
    assert "3 of the candidate's ScrumMaster courses would qualify" in hint.text


def test_no_reflection_hint_when_no_course_lacks_only_a_reflection(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
) -> None:
    enrollment = make_enrollment(cara.candidate, "cst", ruleset="cst@2")
    make_evidence(cara.candidate, "teaching-sessions", reflection=ADAPTED)
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert card.find(id=f"reflection-hint-{enrollment.id}") is None


# -- A fixed number of statements ----------------------------------------------------------


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run while the test looks."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("ruleset", ["cst@1", "cst@2"])
@pytest.mark.parametrize("url", ["/candidate", "/evidence/teaching-sessions"])
def test_the_pages_run_as_many_statements_for_many_courses_as_for_one(
    client: FlaskClient,
    cara: Cast,
    make_enrollment: MakeEnrollment,
    make_evidence: MakeEvidence,
    statements: list[str],
    url: str,
    ruleset: str,
) -> None:
    make_enrollment(cara.candidate, "cst", ruleset=ruleset)
    make_evidence(cara.candidate, "teaching-sessions")
    client.get(url)
    statements.clear()
    client.get(url)
    few = len(statements)
    for n in range(12):
        make_evidence(cara.candidate, "teaching-sessions", days=1 + n % 2, reflection=ADAPTED)
    statements.clear()
    html = page(client.get(url))
    assert len(statements) == few
    # what the page adds for these rules is there, measured in those same statements
    if url == "/candidate":
        assert html.find(class_="rules-switch") is not None
    else:
        assert (html.find(class_="qualifying") is not None) == (ruleset == "cst@2")
