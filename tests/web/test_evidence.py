"""Evidence pages: forms generated from the kinds' fields, inline validation, htmx updates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import days_ago
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath.models import EVIDENCE_MODELS, EvidenceBase, ReviewStatus
from trainerpath.services.evidence_kinds import KINDS

from .conftest import HTMX, Cast, fetch_all, fetch_one, log_in, page, text


@pytest.fixture
def cara(client: FlaskClient, cast: Cast) -> Cast:
    """The cast, with Cara logged in."""
    log_in(client, cast.candidate)
    return cast


VALID: dict[str, dict[str, str]] = {
    "teaching-sessions": {
        "title": "Certified ScrumMaster",
        "course_type": "scrum_master",
        "first_day": days_ago(30).isoformat(),
        "days": "2",
        "students": "14",
        "context": "co_trained",
        "co_trainer": "Tom Trainer",
    },
    "assessments": {"assessment": "pspo_1", "score": "96.5", "taken_on": days_ago(3).isoformat()},
    "credentials": {"kind": "csp_po", "issued_on": days_ago(100).isoformat()},
    "experience": {
        "role": "product_owner",
        "organisation": "Initech",
        "started_on": days_ago(800).isoformat(),
    },
    "milestones": {"kind": "ttt_attended", "achieved_on": days_ago(2).isoformat()},
}


def items(engine: Engine, slug: str) -> list[EvidenceBase]:
    """The stored items of one kind."""
    return fetch_all(engine, select(EVIDENCE_MODELS[slug]))


@pytest.mark.parametrize("slug", list(KINDS))
def test_each_kind_has_a_form_built_from_its_fields(
    client: FlaskClient, cara: Cast, slug: str
) -> None:
    html = page(client.get(f"/evidence/{slug}"))
    form = html.by_id("evidence-form").find("form")
    assert form.get("action") == f"/evidence/{slug}"
    assert form.get("hx-post") == f"/evidence/{slug}"
    for spec in KINDS[slug].fields:
        label = form.find("label", for_=spec.name)
        assert label is not None and spec.label in label.text
        control = form.find(id=spec.name)
        assert control.get("hx-post") == f"/evidence/{slug}/check"
        assert ("required" in control.attrs) == spec.required
        if spec.type == "bool":  # a box to tick is optional by nature
            assert control.get("type") == "checkbox" and "(optional)" not in label.text
        else:
            assert ("(optional)" in label.text) == (not spec.required)
        if spec.help:
            assert form.by_id(f"{spec.name}-help").text == spec.help
            assert control.get("aria-describedby") == f"{spec.name}-help"
        if spec.type == "choice":
            values = [o.get("value") for o in control.find_all("option")]
            assert values == ["", *spec.choice_values]
        if spec.type == "date" and spec.not_future:
            assert control.get("max") is not None


@pytest.mark.parametrize("slug", list(KINDS))
def test_adding_evidence_without_javascript_redirects_to_the_list(
    client: FlaskClient, cara: Cast, engine: Engine, slug: str
) -> None:
    response = client.post(f"/evidence/{slug}", data=VALID[slug])
    assert response.status_code == 303
    assert response.headers["Location"] == f"/evidence/{slug}"
    html = page(client.get(f"/evidence/{slug}"))
    assert f"{KINDS[slug].label} added. It now waits for your mentor's review." in html.text
    (item,) = items(engine, slug)
    row = html.by_id(f"item-{slug}-{item.id}")
    assert KINDS[slug].summary(item) in row.text
    assert "Waiting for review" in row.find(class_="badge").text


@pytest.mark.parametrize("slug", list(KINDS))
def test_adding_evidence_with_htmx_returns_a_fresh_form_and_refreshes_the_page(
    client: FlaskClient, cara: Cast, engine: Engine, slug: str
) -> None:
    response = client.post(f"/evidence/{slug}", data=VALID[slug], headers=HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "evidence-changed" in json.loads(response.headers["HX-Trigger"])
    form = page(response).by_id("evidence-form")
    assert "added" in form.find(role="status").text
    inputs = [i for i in form.find_all("input") if i.get("name") != "csrf_token"]
    assert all(not (i.get("value") or "") for i in inputs if i.get("type") != "checkbox")
    assert not [i for i in inputs if "checked" in i.attrs]
    listing = client.get(f"/evidence/{slug}/list", headers=HTMX)
    assert listing.get_data(as_text=True).lstrip().startswith('<div id="evidence-list"')
    assert "HX-Request" in listing.headers["Vary"]
    assert (
        len(page(listing).find_all("li", class_="evidence-item")) == len(items(engine, slug)) == 1
    )


def iso(days: int) -> str:
    """The ISO date ``days`` ago (negative: in the future)."""
    return days_ago(days).isoformat()


CO_TRAINER_NEEDED = "Required when the session was co-trained"
BAD: list[tuple[str, dict[str, str], str, str]] = [
    ("teaching-sessions", {"title": " "}, "title", "This field is required."),
    ("teaching-sessions", {"students": "0"}, "students", "Must be between 1 and 500."),
    ("teaching-sessions", {"students": "many"}, "students", "Must be a whole number."),
    # read as the API and a CSV cell read them, not as Python's int() does
    ("teaching-sessions", {"students": "1_0"}, "students", "Must be a whole number."),
    ("teaching-sessions", {"students": "\uff15"}, "students", "Must be a whole number."),
    ("teaching-sessions", {"students": "\u0663"}, "students", "Must be a whole number."),
    ("assessments", {"score": "9_5"}, "score", "Must be a number."),
    ("teaching-sessions", {"days": "31"}, "days", "Must be between 1 and 30."),
    ("teaching-sessions", {"first_day": iso(-2)}, "first_day", "Cannot be in the future."),
    ("teaching-sessions", {"course_type": "karate"}, "course_type", "Must be one of"),
    ("teaching-sessions", {"co_trainer": ""}, "co_trainer", CO_TRAINER_NEEDED),
    ("assessments", {"score": "101"}, "score", "Must be between 0 and 100."),
    ("assessments", {"passport_received_on": iso(1)}, "taken_on", "Cannot be before the passport"),
    ("credentials", {"expires_on": iso(200)}, "expires_on", "Must be after the issue date."),
    ("credentials", {"issued_on": "31/01/2024"}, "issued_on", "Must be a date (YYYY-MM-DD)."),
    ("experience", {"organisation": ""}, "organisation", "This field is required."),
    ("experience", {"ended_on": iso(900)}, "ended_on", "Cannot be before the start."),
    ("milestones", {"kind": ""}, "kind", "This field is required."),
]


@pytest.mark.parametrize(("slug", "changes", "field", "message"), BAD)
def test_bad_input_is_explained_next_to_its_field_and_saves_nothing(
    client: FlaskClient,
    cara: Cast,
    engine: Engine,
    slug: str,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    for headers in ({}, HTMX):
        response = client.post(f"/evidence/{slug}", data=VALID[slug] | changes, headers=headers)
        assert response.status_code == 422
        wrapper = page(response).by_id(f"field-{field}")
        assert message in wrapper.find("small", class_="field-error").text
        control = wrapper.find(id=field)
        assert control.get("aria-invalid") == "true"
        assert control.get("aria-describedby") == f"{field}-error"
        # a whole page opens at the field; a swap leaves the focus where the reader is
        assert ("autofocus" in control.attrs) is (headers == {})
    assert items(engine, slug) == []


def test_a_refused_form_keeps_what_was_typed(client: FlaskClient, cara: Cast) -> None:
    data = VALID["teaching-sessions"] | {"students": "900"}
    form = page(client.post("/evidence/teaching-sessions", data=data, headers=HTMX))
    assert form.find("input", id="title").get("value") == "Certified ScrumMaster"
    assert form.find("input", id="students").get("value") == "900"
    selected = form.find("select", id="course_type").find("option", selected=True)
    assert selected.get("value") == "scrum_master"


@pytest.mark.parametrize(
    ("value", "error"),
    [("900", "Must be between 1 and 500."), ("12", None), ("", "This field is required.")],
)
def test_a_field_is_checked_as_soon_as_the_candidate_leaves_it(
    client: FlaskClient, cara: Cast, value: str, error: str | None
) -> None:
    response = client.post(
        "/evidence/teaching-sessions/check",
        data={"students": value, "title": ""},
        headers=HTMX | {"HX-Trigger-Name": "students"},
    )
    assert response.status_code == 200
    wrapper = page(response).by_id("field-students")
    assert (
        response.get_data(as_text=True)
        .lstrip()
        .startswith('<div class="field" id="field-students"')
    )
    found = wrapper.find("small", class_="field-error")
    assert (found.text.lstrip("✗ ") if found else None) == error
    # only the field that was left is judged: the empty title is not flagged here
    assert "title" not in response.get_data(as_text=True)


def test_checking_an_unknown_field_is_a_bad_request(client: FlaskClient, cara: Cast) -> None:
    response = client.post(
        "/evidence/teaching-sessions/check", headers=HTMX | {"HX-Trigger-Name": "password"}
    )
    assert response.status_code == 400


def test_editing_a_pending_item_updates_it(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(cara.candidate, "teaching-sessions", status="pending", students=10)
    url = f"/evidence/teaching-sessions/{item.id}/edit"
    form = page(client.get(url)).by_id("evidence-form")
    assert form.find("input", id="students").get("value") == "10"
    assert form.find("form").get("action") == url
    data = {**VALID["teaching-sessions"], "students": "25"}
    assert client.post(url, data=data).status_code == 303
    assert "Teaching session updated." in text(client.get("/evidence/teaching-sessions"))
    assert fetch_one(engine, select(EVIDENCE_MODELS["teaching-sessions"])).students == 25


def test_a_tiny_score_is_shown_as_a_number_the_form_reads_back(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(cara.candidate, "assessments", status="pending", score=0.00001)
    url = f"/evidence/assessments/{item.id}/edit"
    form = page(client.get(url)).by_id("evidence-form")
    fields = {i.get("name"): i.get("value") or "" for i in form.find_all("input")}
    assert fields["score"] == "0.00001"  # not "1e-05", which the form refuses
    data = {k: v for k, v in fields.items() if k != "csrf_token"}
    data["assessment"] = "pspo_1"
    assert client.post(url, data=data).status_code == 303
    assert fetch_one(engine, select(EVIDENCE_MODELS["assessments"])).score == 0.00001


def test_the_edit_form_loads_into_the_page_with_htmx(
    client: FlaskClient, cara: Cast, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(cara.candidate, "milestones", status="pending")
    response = client.get(f"/evidence/milestones/{item.id}/edit", headers=HTMX)
    assert response.get_data(as_text=True).lstrip().startswith('<article id="evidence-form"')
    assert "HX-Request" in response.headers["Vary"]
    assert "Edit: milestone" in page(response).find("h2").text


def test_a_rejected_item_can_be_corrected_and_goes_back_for_review(
    client: FlaskClient,
    cara: Cast,
    engine: Engine,
    session: Session,
    make_evidence: Callable[..., Any],
) -> None:
    item = make_evidence(cara.candidate, "credentials", status="rejected")
    item.review_note = "This is a CSM, not a CSP."
    session.commit()
    listing = page(client.get("/evidence/credentials"))
    row = listing.by_id(f"item-credentials-{item.id}")
    assert "Why it was rejected: This is a CSM, not a CSP." in row.text
    assert "Correct and resubmit" in row.text
    form = page(client.get(f"/evidence/credentials/{item.id}/edit"))
    assert "Rejected: “This is a CSM, not a CSP.”" in form.by_id("evidence-form").text
    assert "Save and resubmit" in form.by_id("evidence-form").text
    response = client.post(
        f"/evidence/credentials/{item.id}/edit",
        data={"kind": "csp_sm", "issued_on": days_ago(50).isoformat()},
        headers=HTMX,
    )
    assert "Credential corrected and sent back for review." in text(response)
    stored = fetch_one(engine, select(EVIDENCE_MODELS["credentials"]))
    assert (stored.review_status, stored.review_note) == (ReviewStatus.PENDING.value, None)


def test_a_verified_item_offers_no_edit_or_delete_and_refuses_both(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(cara.candidate, "experience")
    row = page(client.get("/evidence/experience")).by_id(f"item-experience-{item.id}")
    assert "Verified items are final." in row.text
    assert row.find("form") is None and row.find("a", role="button") is None
    response = client.get(f"/evidence/experience/{item.id}/edit")
    assert response.headers["Location"] == "/evidence/experience"
    assert "it can no longer be changed" in text(client.get("/evidence/experience"))
    client.post(f"/evidence/experience/{item.id}/delete")
    assert "A verified item can no longer be changed or deleted." in text(
        client.get("/evidence/experience")
    )
    assert len(items(engine, "experience")) == 1


def test_an_item_verified_while_its_page_was_open_is_refused_in_place_with_htmx(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    """The mentor verified it meanwhile: no redirect for htmx to follow into the wrong
    place, nothing swapped, the list told to refresh and the reason shown as an error;
    and no message left over for a later page."""
    item = make_evidence(cara.candidate, "experience")
    for method, url in (
        ("GET", f"/evidence/experience/{item.id}/edit"),
        ("POST", f"/evidence/experience/{item.id}/edit"),
        ("POST", f"/evidence/experience/{item.id}/delete"),
    ):
        response = client.open(url, method=method, headers=HTMX)
        assert response.status_code == 204, url
        told = json.loads(response.headers["HX-Trigger"])
        assert "evidence-changed" in told
        assert told["notify"]["kind"] == "error"
        assert "can no longer be changed" in told["notify"]["message"]
    assert "can no longer be changed" not in text(client.get("/evidence/experience"))
    assert len(items(engine, "experience")) == 1


def test_deleting_an_item_removes_it(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(cara.candidate, "assessments", status="pending")
    response = client.post(f"/evidence/assessments/{item.id}/delete")
    assert response.headers["Location"] == "/evidence/assessments"
    assert "Assessment attempt deleted." in text(client.get("/evidence/assessments"))
    assert items(engine, "assessments") == []


def test_deleting_with_htmx_tells_the_page_to_refresh(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(cara.candidate, "assessments", status="rejected")
    response = client.post(f"/evidence/assessments/{item.id}/delete", headers=HTMX)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["notify"] == {
        "message": "Assessment attempt deleted."
    }
    assert items(engine, "assessments") == []


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_another_candidates_item_is_not_found(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any], action: str
) -> None:
    theirs = make_evidence(cara.other_candidate, "milestones", status="pending")
    url = f"/evidence/milestones/{theirs.id}/{action}"
    response = client.get(url) if action == "edit" else client.post(url)
    assert response.status_code == 404
    assert len(items(engine, "milestones")) == 1


def test_the_progress_aside_counts_new_evidence_as_pending(
    client: FlaskClient, cara: Cast, make_enrollment: Callable[..., Any]
) -> None:
    make_enrollment(cara.candidate, "cst")
    client.post("/evidence/teaching-sessions", data=VALID["teaching-sessions"], headers=HTMX)
    response = client.get("/progress", headers=HTMX)
    assert response.get_data(as_text=True).lstrip().startswith('<section id="progress"')
    assert "HX-Request" in response.headers["Vary"]
    assert "0 verified + 14 pending of 100 students" in text(response)
    assert page(response).by_id("progress").get("hx-trigger") == "evidence-changed from:body"


@pytest.mark.parametrize("url", ["/progress", "/evidence/credentials/list"])
def test_partial_only_urls_send_browsers_to_the_full_page(
    client: FlaskClient, cara: Cast, url: str
) -> None:
    assert client.get(url).status_code == 302


def test_the_tabs_count_each_kinds_items(
    client: FlaskClient, cara: Cast, make_evidence: Callable[..., Any]
) -> None:
    make_evidence(cara.candidate, "milestones")
    make_evidence(cara.candidate, "milestones", status="pending")
    tabs = page(client.get("/evidence/teaching-sessions")).find("nav", class_="tabs")
    current = tabs.find("a", aria_current="page")
    assert current.text.startswith("Teaching sessions")
    milestones = tabs.find("a", href="/evidence/milestones")
    assert milestones.find(class_="count").text == "2"


# -- The fields of the April 2024 CST rules (pathways.md §6) -------------------------------


def test_the_teaching_form_shows_the_2024_fields_each_with_one_line_of_help(
    client: FlaskClient, cara: Cast
) -> None:
    form = page(client.get("/evidence/teaching-sessions")).by_id("evidence-form")
    share = form.by_id("field-share_delivered")
    assert "Share you delivered (%) (optional)" in share.find("label").text
    assert share.find("input").get("placeholder") == "100"  # what a blank field stores
    assert (
        share.find("small").text
        == "Did you deliver at least half of this course? 100 if you taught all of it"
    )
    box = form.by_id("field-with_current_materials")
    assert box.find("input").get("type") == "checkbox" and box.find("input").get("role") == "switch"
    assert "With my current course materials" in box.find("label").text
    assert "current version of your own course materials" in box.find("small").text
    reflection = form.by_id("field-reflection")
    assert reflection.find("textarea") is not None
    assert "How did you inspect and adapt after this course" in reflection.find("small").text


def test_experience_may_be_as_an_agile_coach(
    client: FlaskClient, cara: Cast, engine: Engine
) -> None:
    html = page(client.get("/evidence/experience"))
    roles = {o.get("value"): o.text for o in html.find("select", id="role").find_all("option")}
    assert roles["agile_coach"] == "Agile coach"
    client.post("/evidence/experience", data=VALID["experience"] | {"role": "agile_coach"})
    (item,) = items(engine, "experience")
    assert item.role == "agile_coach"
    row = page(client.get("/evidence/experience")).by_id(f"item-experience-{item.id}")
    assert "Agile coach at Initech" in row.text


@pytest.mark.parametrize(("ticked", "stored", "shown"), [(True, True, "Yes"), (False, False, "No")])
def test_the_materials_box_works_without_javascript(
    client: FlaskClient, cara: Cast, engine: Engine, ticked: bool, stored: bool, shown: str
) -> None:
    data = VALID["teaching-sessions"] | {"reflection": "More pair work next time."}
    if ticked:
        data["with_current_materials"] = "y"  # an unticked box is not sent at all
    assert client.post("/evidence/teaching-sessions", data=data).status_code == 303
    (item,) = items(engine, "teaching-sessions")
    assert (item.with_current_materials, item.share_delivered) == (stored, 100)
    assert item.reflection == "More pair work next time."
    row = page(client.get("/evidence/teaching-sessions")).by_id(f"item-teaching-sessions-{item.id}")
    details = {d.find("dt").text: d.find("dd").text for d in row.find("dl").find_all("div")}
    assert details["With my current course materials"] == shown
    assert details["Reflection"] == "More pair work next time."


def test_a_reflection_as_long_as_the_textarea_allows_is_taken(
    client: FlaskClient, cara: Cast, engine: Engine
) -> None:
    """The textarea's maxlength counts a line break as one character, but the browser
    sends it as CRLF: 5000 typed characters fit, and are stored with plain line breaks."""
    typed = ("x" * 499 + "\n") * 9 + "x" * 500
    sent = typed.replace("\n", "\r\n")
    data = VALID["teaching-sessions"] | {"reflection": sent}
    assert client.post("/evidence/teaching-sessions", data=data).status_code == 303
    (item,) = items(engine, "teaching-sessions")
    assert item.reflection == typed
    longer = VALID["teaching-sessions"] | {"reflection": sent + "x"}
    response = client.post("/evidence/teaching-sessions", data=longer)
    assert response.status_code == 422
    assert "Must be at most 5000 characters." in page(response).by_id("field-reflection").text
    assert len(items(engine, "teaching-sessions")) == 1


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("share_delivered", "0", "Must be between 1 and 100."),
        ("share_delivered", "half", "Must be a whole number."),
        ("share_delivered", "49", None),
        ("reflection", "x" * 5001, "Must be at most 5000 characters."),
        ("with_current_materials", "y", None),
    ],
)
def test_the_new_fields_are_checked_as_soon_as_the_candidate_leaves_them(
    client: FlaskClient, cara: Cast, name: str, value: str, error: str | None
) -> None:
    response = client.post(
        "/evidence/teaching-sessions/check",
        data={name: value},
        headers=HTMX | {"HX-Trigger-Name": name},
    )
    assert response.status_code == 200
    wrapper = page(response).by_id(f"field-{name}")
    found = wrapper.find("small", class_="field-error")
    assert (found.text.lstrip("✗ ") if found else None) == error
    control = wrapper.find(id=name)
    assert control.get("hx-post") == "/evidence/teaching-sessions/check"
    if name == "with_current_materials":
        assert "checked" in control.attrs  # the answer keeps the box as it was


def test_a_refused_form_keeps_the_ticked_box_and_the_reflection(
    client: FlaskClient, cara: Cast
) -> None:
    data = VALID["teaching-sessions"] | {
        "students": "900",
        "with_current_materials": "y",
        "reflection": "Fewer slides.",
        "share_delivered": "60",
    }
    form = page(client.post("/evidence/teaching-sessions", data=data, headers=HTMX))
    assert "checked" in form.find("input", id="with_current_materials").attrs
    assert form.find("textarea", id="reflection").text == "Fewer slides."
    assert form.find("input", id="share_delivered").get("value") == "60"


def test_editing_a_session_keeps_and_changes_the_2024_fields(
    client: FlaskClient, cara: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(
        cara.candidate,
        "teaching-sessions",
        status="pending",
        share_delivered=60,
        with_current_materials=True,
        reflection="Asked the co-trainer for feedback.",
    )
    url = f"/evidence/teaching-sessions/{item.id}/edit"
    form = page(client.get(url)).by_id("evidence-form")
    assert form.find("input", id="share_delivered").get("value") == "60"
    assert "checked" in form.find("input", id="with_current_materials").attrs
    assert form.find("textarea", id="reflection").text == "Asked the co-trainer for feedback."
    # Saving the form as shown changes nothing; unticking the box and a new share do.
    shown = {
        "title": "Certified ScrumMaster",
        "course_type": "scrum_master",
        "first_day": days_ago(30).isoformat(),
        "days": "2",
        "students": "10",
        "context": "independent",
        "share_delivered": "60",
        "with_current_materials": "y",
        "reflection": "Asked the co-trainer for feedback.",
    }
    assert client.post(url, data=shown).status_code == 303
    stored = fetch_one(engine, select(EVIDENCE_MODELS["teaching-sessions"]))
    assert (stored.share_delivered, stored.with_current_materials, stored.reflection) == (
        60,
        True,
        "Asked the co-trainer for feedback.",
    )
    changed = shown | {"share_delivered": "75"}
    del changed["with_current_materials"]
    assert client.post(url, data=changed, headers=HTMX).status_code == 200
    stored = fetch_one(engine, select(EVIDENCE_MODELS["teaching-sessions"]))
    assert (stored.share_delivered, stored.with_current_materials) == (75, False)
