"""The mentor's pages: candidates table, review queue, a candidate's record, feedback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath.models import (
    EVIDENCE_MODELS,
    AuditEntry,
    Enrollment,
    Feedback,
    ReviewStatus,
    TransitionRecord,
    User,
    utcnow,
)

from .conftest import HTMX, Cast, fetch_all, fetch_one, log_in, page, text


@pytest.fixture
def mia(client: FlaskClient, cast: Cast) -> Cast:
    """The cast, with Mia (Cara's mentor) logged in."""
    log_in(client, cast.mentor)
    return cast


def rows(client: FlaskClient, query: str = "") -> list[list[str]]:
    """The candidates table as text cells."""
    html = page(client.get(f"/mentor/{query}", headers=HTMX))
    return [
        [cell.text for cell in row.find_all() if cell.tag in ("th", "td")]
        for row in html.find("tbody").find_all("tr")
    ]


@pytest.fixture
def three_candidates(
    session: Session,
    cast: Cast,
    make_user: Callable[..., User],
    assign: Callable[[User, User], object],
    make_enrollment: Callable[..., Enrollment],
    make_evidence: Callable[..., Any],
) -> list[User]:
    """Cara (CST, 2 waiting), Bea (PST in TTT, idle for 40 days), Dan (not enrolled)."""
    bea = make_user(name="Bea Busy", email="bea@example.org")
    dan = make_user(name="Dan Dormant", email="dan@example.org")
    assign(cast.mentor, bea)
    assign(cast.mentor, dan)
    make_enrollment(cast.candidate, "cst")
    make_enrollment(bea, "pst", state="ttt")
    make_evidence(cast.candidate, "teaching-sessions", status="pending")
    make_evidence(cast.candidate, "credentials", status="pending")
    make_evidence(cast.candidate, "credentials")
    session.add(
        AuditEntry(
            actor_id=bea.id,
            candidate_id=bea.id,
            action="evidence.logged",
            subject="x/1",
            at=utcnow() - timedelta(days=40),
        )
    )
    bea.created_at = utcnow() - timedelta(days=60)
    session.commit()
    return [cast.candidate, bea, dan]


def test_the_table_lists_only_assigned_candidates(
    client: FlaskClient, mia: Cast, three_candidates: list[User]
) -> None:
    names = [row[0] for row in rows(client)]
    assert [name.split(" ")[0] for name in names] == ["Bea", "Cara", "Dan"]
    assert not any("Otto" in name for name in names)


def test_each_row_shows_pathway_state_progress_waiting_and_last_activity(
    client: FlaskClient, mia: Cast, three_candidates: list[User]
) -> None:
    table = {row[0].split(" ")[0]: row for row in rows(client)}
    assert table["Cara"][1:] == [
        "CST",
        "Preparing",
        "1 of 5 requirements met",
        "2 waiting",
        "today",
    ]
    assert table["Bea"][1:] == ["PST", "Train the Trainer", "0 of 1 requirement met", "none",
                                "⚠ 40 days ago"]  # fmt: skip
    assert table["Dan"][1:4] == ["—", "—", "Not enrolled"]


def test_sorted_by_progress_a_candidate_waiting_for_an_outcome_has_nothing_left_to_meet(
    client: FlaskClient,
    mia: Cast,
    three_candidates: list[User],
    make_user: Callable[..., User],
    assign: Callable[[User, User], object],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    """In TAC review a candidate has met every requirement of "preparing": their row sorts
    with the finished ones, not below a candidate who has met one requirement of five."""
    tess = make_user(name="Tess Tac", email="tess@example.org")
    assign(mia.mentor, tess)
    make_enrollment(tess, "cst", state="tac_review")
    names = [row[0].split(" ")[0] for row in rows(client, "?sort=progress")]
    assert names == ["Bea", "Dan", "Cara", "Tess"]  # 0 of 1 and none (by name), 1 of 5, waiting
    assert rows(client, "?sort=progress&dir=desc")[0][3] == "Waiting for an outcome"


@pytest.mark.parametrize(
    ("state", "label", "flagged"),
    [
        ("licensed", "Licensed", False),
        ("withdrawn", "Withdrawn", False),
        ("ttt", "Train the Trainer", True),
    ],
)
def test_a_long_quiet_is_flagged_only_while_the_pathway_is_open(
    client: FlaskClient,
    mia: Cast,
    session: Session,
    make_enrollment: Callable[..., Enrollment],
    state: str,
    label: str,
    flagged: bool,
) -> None:
    """A licensed (or withdrawn) candidate has nothing left to log: their quiet is no
    warning, as the quiet-candidate reminder is not sent to them either."""
    fields = {"withdrawn_from": "ttt"} if state == "withdrawn" else {}
    make_enrollment(mia.candidate, "pst", state=state, **fields)
    mia.candidate.created_at = utcnow() - timedelta(days=200)
    session.commit()
    [row] = rows(client)
    assert row[2] == label
    assert row[-1] == ("⚠ " if flagged else "") + "200 days ago"


@pytest.mark.parametrize(
    ("query", "first_names"),
    [
        ("?sort=name", ["Bea", "Cara", "Dan"]),
        ("?sort=name&dir=desc", ["Dan", "Cara", "Bea"]),
        ("?sort=pending&dir=desc", ["Cara", "Bea", "Dan"]),
        ("?sort=activity&dir=desc", ["Bea", "Cara", "Dan"]),
        ("?sort=state", ["Dan", "Cara", "Bea"]),
        ("?pathway=pst", ["Bea"]),
        ("?pathway=none", ["Dan"]),
        ("?waiting=1", ["Cara"]),
        ("?q=bea", ["Bea"]),
        ("?q=DAN%40example", ["Dan"]),
        ("?sort=nonsense", ["Bea", "Cara", "Dan"]),
    ],
)
def test_the_table_sorts_and_filters_on_the_server(
    client: FlaskClient, mia: Cast, three_candidates: list[User], query: str, first_names: list[str]
) -> None:
    assert [row[0].split(" ")[0] for row in rows(client, query)] == first_names


def test_sort_links_work_without_javascript_and_say_the_order(
    client: FlaskClient, mia: Cast, three_candidates: list[User]
) -> None:
    html = page(client.get("/mentor/?sort=pending&dir=desc&pathway=cst"))
    header = html.find("th", aria_sort="descending")
    assert "To review" in header.text
    link = header.find("a")
    assert link.get("href") == "/mentor/?pathway=cst&sort=pending"  # the second click reverses
    assert link.get("hx-get") == link.get("href")
    assert html.find("form", class_="filters").get("method") == "get"


def test_the_table_partial_is_served_to_htmx_with_vary(
    client: FlaskClient, mia: Cast, three_candidates: list[User]
) -> None:
    response = client.get("/mentor/?waiting=1", headers=HTMX)
    assert response.get_data(as_text=True).lstrip().startswith('<div id="candidates"')
    assert "HX-Request" in response.headers["Vary"]
    assert "1 row matches the filters" in text(response)


def test_the_review_queue_shows_the_longest_waiting_first(
    client: FlaskClient, mia: Cast, session: Session, make_evidence: Callable[..., Any]
) -> None:
    newer = make_evidence(mia.candidate, "milestones", status="pending")
    older = make_evidence(mia.candidate, "credentials", status="pending")
    older.updated_at = utcnow() - timedelta(days=9)
    make_evidence(mia.other_candidate, "milestones", status="pending")  # not Mia's
    make_evidence(mia.candidate, "experience")  # already verified
    session.commit()
    html = page(client.get("/mentor/reviews"))
    items = html.find_all("article", class_="review-item")
    assert [item.get("id") for item in items] == [
        f"review-credentials-{older.id}",
        f"review-milestones-{newer.id}",
    ]
    assert "submitted 9 days ago" in items[0].text
    assert "2 items waiting." in html.text


def test_verifying_inline_replaces_the_item_with_its_outcome(
    client: FlaskClient, mia: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(mia.candidate, "milestones", status="pending")
    response = client.post(
        f"/mentor/reviews/milestones/{item.id}", data={"decision": "verified"}, headers=HTMX
    )
    assert response.status_code == 200
    article = page(response).by_id(f"review-milestones-{item.id}")
    assert "Milestone verified." in article.find(role="status").text
    assert article.find("form") is None
    told = json.loads(response.headers["HX-Trigger"])
    assert told["notify"]["message"] == "Milestone verified."
    assert "notifications-changed" in told  # the bell recounts what the review settled
    stored = fetch_one(engine, select(EVIDENCE_MODELS["milestones"]))
    assert (stored.review_status, stored.reviewed_by) == ("verified", mia.mentor.id)


def test_rejecting_needs_a_note_saying_what_to_correct(
    client: FlaskClient, mia: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(mia.candidate, "milestones", status="pending")
    url = f"/mentor/reviews/milestones/{item.id}"
    response = client.post(url, data={"decision": "rejected", "note": "  "}, headers=HTMX)
    assert response.status_code == 422
    article = page(response).by_id(f"review-milestones-{item.id}")
    note = article.find("textarea")
    assert note.get("aria-invalid") == "true"
    assert (
        "Is required to reject: say what to correct."
        in article.by_id(note.get("aria-describedby")).text
    )
    assert fetch_one(engine, select(EVIDENCE_MODELS["milestones"])).review_status == "pending"
    response = client.post(
        url, data={"decision": "rejected", "note": "Attach the panel's letter."}, headers=HTMX
    )
    assert "Milestone rejected. Note: “Attach the panel's letter.”" in text(response)


def test_a_review_note_is_held_to_its_textareas_length(
    client: FlaskClient, mia: Cast, engine: Engine, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(mia.candidate, "milestones", status="pending")
    url = f"/mentor/reviews/milestones/{item.id}"
    queue = page(client.get("/mentor/reviews")).by_id(f"review-milestones-{item.id}")
    assert queue.find("textarea").get("maxlength") == "2000"
    data = {"decision": "rejected", "note": "n" * 2001}
    response = client.post(url, data=data, headers=HTMX)
    assert response.status_code == 422
    article = page(response).by_id(f"review-milestones-{item.id}")
    note = article.find("textarea")
    assert "Must be at most 2000 characters." in article.by_id(note.get("aria-describedby")).text
    assert fetch_one(engine, select(EVIDENCE_MODELS["milestones"])).review_status == "pending"


def test_reviewing_without_javascript_redirects_back_with_a_message(
    client: FlaskClient, mia: Cast, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(mia.candidate, "experience", status="pending")
    back = f"/mentor/candidates/{mia.candidate.id}"
    response = client.post(
        f"/mentor/reviews/experience/{item.id}", data={"decision": "verified", "next": back}
    )
    assert response.headers["Location"] == back
    assert "Experience verified." in text(client.get(back))


@pytest.mark.parametrize("back", ["/mentor/reviews?kind=milestones", "/mentor/candidates/{id}"])
def test_a_refused_review_without_javascript_shows_why_beside_the_note(
    client: FlaskClient, mia: Cast, engine: Engine, make_evidence: Callable[..., Any], back: str
) -> None:
    """The page the form came from comes back (422) with the reason beside that item's
    note, and the note typed so far, as with htmx."""
    item = make_evidence(mia.candidate, "milestones", status="pending")
    other = make_evidence(mia.candidate, "milestones", status="pending")
    back = back.format(id=mia.candidate.id)
    data = {"decision": "rejected", "note": "  ", "next": back}
    response = client.post(f"/mentor/reviews/milestones/{item.id}", data=data)
    assert response.status_code == 422
    html = page(response)
    refused = html.by_id(f"review-milestones-{item.id}").find("textarea")
    assert refused.get("aria-invalid") == "true"
    assert (
        "Is required to reject: say what to correct."
        in html.by_id(refused.get("aria-describedby")).text
    )
    assert html.by_id(f"review-milestones-{other.id}").find("textarea").get("aria-invalid") is None
    # Sent again, any of its forms comes back to this page, not to the refused form's URL.
    assert {field.get("value") for field in html.find_all("input", name="next")} == {back}
    too_long = data | {"note": "Attach the letter. " + "n" * 2000}
    response = client.post(f"/mentor/reviews/milestones/{item.id}", data=too_long)
    kept = page(response).by_id(f"review-milestones-{item.id}").find("textarea")
    assert kept.text.startswith("Attach the letter.")
    statuses = {
        row.review_status for row in fetch_all(engine, select(EVIDENCE_MODELS["milestones"]))
    }
    assert statuses == {"pending"}


def test_an_item_already_reviewed_cannot_be_reviewed_again(
    client: FlaskClient, mia: Cast, make_evidence: Callable[..., Any]
) -> None:
    item = make_evidence(mia.candidate, "experience")
    response = client.post(
        f"/mentor/reviews/experience/{item.id}", data={"decision": "rejected", "note": "x"},
        headers=HTMX,
    )  # fmt: skip
    assert response.status_code == 409
    assert "This item was already verified" in text(response)


@pytest.mark.parametrize("who", ["other_mentor", "candidate"])
def test_only_the_candidates_mentor_may_review(
    client: FlaskClient, cast: Cast, engine: Engine, make_evidence: Callable[..., Any], who: str
) -> None:
    item = make_evidence(cast.candidate, "milestones", status="pending")
    log_in(client, getattr(cast, who))
    response = client.post(f"/mentor/reviews/milestones/{item.id}", data={"decision": "verified"})
    assert response.status_code == {"other_mentor": 404, "candidate": 403}[who]
    assert fetch_one(engine, select(EVIDENCE_MODELS["milestones"])).review_status == "pending"


def test_the_candidate_page_is_their_dashboard_read_only_with_outcome_buttons(
    client: FlaskClient, mia: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(mia.candidate, "cst", state="tac_review")
    html = page(client.get(f"/mentor/candidates/{mia.candidate.id}"))
    assert "Cara Candidate" in html.find("h1").text
    card = html.by_id(f"enrollment-{enrollment.id}")
    buttons = {b.text.split(" →")[0]: b for b in card.find_all("button")}
    assert "disabled" not in buttons["Record TAC approval"].attrs
    assert "disabled" not in buttons["Record TAC decline"].attrs
    assert "Withdraw from this pathway" not in buttons  # only the candidate or an admin
    # a mentor logs no evidence and enrols nobody
    assert html.find("a", href="/evidence/teaching-sessions") is None
    assert not [b for b in html.find_all("button") if b.text.startswith("Enrol")]


def test_an_outcome_refused_without_javascript_shows_why_on_its_card(
    client: FlaskClient, mia: Cast, engine: Engine, make_enrollment: Callable[..., Enrollment]
) -> None:
    """The candidate's page comes back (422) with the reason beside the note of that
    card's form, not on the other pathway's card."""
    enrollment = make_enrollment(mia.candidate, "cst", state="tac_review")
    other = make_enrollment(mia.candidate, "pst")
    back = f"/mentor/candidates/{mia.candidate.id}"
    data = {"event": "tac_decline", "note": " ", "next": back}
    response = client.post(f"/enrollments/{enrollment.id}/events", data=data)
    assert response.status_code == 422
    html = page(response)
    card = html.by_id(f"enrollment-{enrollment.id}")
    assert "A note is required to record TAC decline." in card.find(class_="field-error").text
    assert html.by_id(f"enrollment-{other.id}").find(class_="field-error") is None
    assert {field.get("value") for field in html.find_all("input", name="next")} == {back}
    assert (
        client.post(f"/enrollments/{enrollment.id}/events", data=data | {"note": "No"}).location
        == back
    )
    assert fetch_one(engine, select(Enrollment).where(Enrollment.id == enrollment.id)).state == (
        "preparing"
    )


def test_a_mentor_records_an_outcome_that_needs_a_note(
    client: FlaskClient, mia: Cast, engine: Engine, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(mia.candidate, "cst", state="tac_review")
    url = f"/enrollments/{enrollment.id}/events"
    card = page(client.get(f"/mentor/candidates/{mia.candidate.id}")).by_id(
        f"enrollment-{enrollment.id}"
    )
    decline = next(f for f in card.find_all("form") if f.find("input", value="tac_decline"))
    assert "(required)" in decline.find("label").text and decline.find("textarea")
    response = client.post(url, data={"event": "tac_decline", "note": ""}, headers=HTMX)
    assert response.status_code == 422
    assert (
        "A note is required to record TAC decline."
        in page(response).find(class_="field-error").text
    )
    response = client.post(
        url, data={"event": "tac_decline", "note": "Needs more co-training."}, headers=HTMX
    )
    assert "Declined by the TAC. Now: Preparing." in text(response)
    assert fetch_one(engine, select(Enrollment)).state == "preparing"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_setback_is_told_as_news_not_as_a_success(
    client: FlaskClient,
    mia: Cast,
    make_enrollment: Callable[..., Enrollment],
    headers: dict[str, str],
) -> None:
    """Recording a failed outcome worked, but it is no success: the neutral "info" style
    (no ✓), on the card with htmx and as the flash of the page without; a passed outcome
    keeps the success style."""
    declined = make_enrollment(mia.candidate, "cst", state="tac_review")
    passed = make_enrollment(mia.candidate, "pst", ruleset="pst@1", state="staff_interview")
    back = f"/mentor/candidates/{mia.candidate.id}"
    client.get(back)  # past the login's welcome

    def told(enrollment: Enrollment, data: dict[str, str]) -> Any:
        url = f"/enrollments/{enrollment.id}/events"
        response = client.post(url, data=data | {"next": back}, headers=headers)
        html = page(response) if headers else page(client.get(response.location))
        return html.find(class_="flash")

    flash = told(declined, {"event": "tac_decline", "note": "Needs more co-training."})
    assert "Declined by the TAC. Now: Preparing." in flash.text
    assert "flash-info" in flash.get("class") and "flash-success" not in flash.get("class")
    assert "✓" not in flash.text
    flash = told(passed, {"event": "staff_interview_pass"})
    assert "flash-success" in flash.get("class") and "✓" in flash.text


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_second_click_on_an_outcome_records_it_once(
    client: FlaskClient,
    mia: Cast,
    engine: Engine,
    make_enrollment: Callable[..., Enrollment],
    headers: dict[str, str],
) -> None:
    enrollment = make_enrollment(mia.candidate, "pst", ruleset="pst@1", state="staff_interview")
    card = page(client.get(f"/mentor/candidates/{mia.candidate.id}")).by_id(
        f"enrollment-{enrollment.id}"
    )
    form = next(f for f in card.find_all("form") if f.find("input", value="staff_interview_fail"))
    data = {i.get("name"): i.get("value") or "" for i in form.find_all("input")}
    data["note"] = "Scrum values section was thin."
    url = f"/enrollments/{enrollment.id}/events"

    first = client.post(url, data=data, headers=headers)
    second = client.post(url, data=data, headers=headers)  # the same page's form again

    assert first.status_code in (200, 303)
    refusal = "This enrollment changed after your page showed it, so nothing was recorded."
    # with htmx the card comes back; without, the page, the refusal on the card
    assert second.status_code == 409 and refusal in text(second)
    records = fetch_all(engine, select(TransitionRecord))
    assert [r.event for r in records] == ["staff_interview_fail"]


def test_feedback_reaches_the_candidates_dashboard(
    app: Any, client: FlaskClient, mia: Cast, engine: Engine
) -> None:
    response = client.post(
        f"/mentor/candidates/{mia.candidate.id}/feedback",
        data={"body": "Lovely retrospective exercise."},
        headers=HTMX,
    )
    assert response.get_data(as_text=True).lstrip().startswith('<div id="feedback"')
    assert "Feedback sent to Cara Candidate." in text(response)
    assert "Lovely retrospective exercise." in text(response)
    (feedback,) = fetch_all(engine, select(Feedback))
    assert feedback.author_id == mia.mentor.id
    candidate = app.test_client()
    log_in(candidate, mia.candidate)
    assert "Lovely retrospective exercise." in text(candidate.get("/candidate"))


def test_feedback_as_long_as_the_textarea_allows_is_taken(
    client: FlaskClient, mia: Cast, engine: Engine
) -> None:
    """5000 characters as typed (line breaks sent as CRLF count one each), no more."""
    typed = ("f" * 999 + "\n") * 4 + "f" * 1000
    url = f"/mentor/candidates/{mia.candidate.id}/feedback"
    response = client.post(url, data={"body": typed.replace("\n", "\r\n") + "f"})
    assert response.status_code == 422
    assert "Must be at most 5000 characters." in page(response).by_id("field-body").text
    response = client.post(url, data={"body": typed.replace("\n", "\r\n")})
    assert response.status_code == 303
    (feedback,) = fetch_all(engine, select(Feedback))
    assert feedback.body == typed


def test_empty_feedback_is_refused_next_to_the_field(
    client: FlaskClient, mia: Cast, engine: Engine
) -> None:
    url = f"/mentor/candidates/{mia.candidate.id}/feedback"
    for headers in ({}, HTMX):
        response = client.post(url, data={"body": "   "}, headers=headers)
        assert response.status_code == 422
        assert "This field is required." in page(response).by_id("field-body").text
    assert fetch_all(engine, select(Feedback)) == []


def test_feedback_without_javascript_redirects_to_the_feedback_section(
    client: FlaskClient, mia: Cast
) -> None:
    url = f"/mentor/candidates/{mia.candidate.id}"
    response = client.post(f"{url}/feedback", data={"body": "Keep going."})
    assert response.headers["Location"] == f"{url}#feedback"


def test_an_unassigned_mentor_cannot_leave_feedback(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    log_in(client, cast.other_mentor)
    response = client.post(f"/mentor/candidates/{cast.candidate.id}/feedback", data={"body": "Hi"})
    assert response.status_code == 404
    assert fetch_all(engine, select(Feedback)) == []


def test_the_candidate_page_lists_that_candidates_waiting_evidence(
    client: FlaskClient, mia: Cast, make_evidence: Callable[..., Any]
) -> None:
    mine = make_evidence(mia.candidate, "milestones", status="pending")
    html = page(client.get(f"/mentor/candidates/{mia.candidate.id}"))
    reviews = html.by_id("reviews")
    assert reviews.find("article", id=f"review-milestones-{mine.id}") is not None
    assert (
        reviews.find("input", name="next").get("value") == f"/mentor/candidates/{mia.candidate.id}"
    )


def test_admins_see_every_candidate(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.admin)
    names = [row[0].split(" ")[0] for row in rows(client)]
    assert names == ["Cara", "Otto"]
    assert "All candidates" in text(client.get("/mentor/"))


def test_review_status_is_not_shown_by_colour_alone(
    client: FlaskClient, mia: Cast, make_evidence: Callable[..., Any]
) -> None:
    make_evidence(mia.candidate, "milestones", status=ReviewStatus.PENDING.value)
    badge = page(client.get("/mentor/reviews")).find(class_="badge")
    assert badge.text == "◷ Waiting for review"


def test_the_review_queue_badge_counts_every_assigned_candidates_waiting_items_only(
    client: FlaskClient,
    mia: Cast,
    three_candidates: list[User],
    make_evidence: Callable[..., Any],
) -> None:
    bea = three_candidates[1]
    make_evidence(bea, "milestones", status="pending")
    make_evidence(mia.other_candidate, "teaching-sessions", status="pending")  # not Mia's
    for query in ("", "?q=dan"):  # a filtered table does not change what waits
        badge = page(client.get(f"/mentor/{query}")).find("a", role="button").find(class_="count")
        assert badge.text == "3"
