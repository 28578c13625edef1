"""What a mentor needs to review well (issue 12): the queue's filters and bulk verify,
review history on the pages, a candidate's whole evidence, and turnaround."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.dashboards import reviews
from trainerpath.models import EVIDENCE_MODELS, ReviewRecord, utcnow

from .conftest import (
    HTMX,
    ROSTER_NOTE,
    Cast,
    fetch_all,
    log_in,
    page,
    roster_corrected,
    roster_rejected,
    text,
)

MakeEvidence = Callable[..., Any]


@pytest.fixture
def mia(client: FlaskClient, cast: Cast) -> Cast:
    """The cast, with Mia (Cara's mentor) logged in."""
    log_in(client, cast.mentor)
    return cast


def _queue_ids(response: Any) -> list[str]:
    return [
        item.get("id") or "" for item in page(response).find_all("article", class_="review-item")
    ]


def _seen(response: Any) -> list[str]:
    """The values of the "Verify selected" checkboxes, in page order."""
    return [
        box.get("value") or ""
        for box in page(response).find_all("input", type="checkbox", name="item")
    ]


def test_the_queue_filters_by_candidate_and_kind_and_pages(
    client: FlaskClient,
    mia: Cast,
    session: Session,
    assign: Callable[..., Any],
    make_evidence: MakeEvidence,
) -> None:
    assign(mia.mentor, mia.other_candidate)
    cara_course = make_evidence(mia.candidate, "teaching-sessions", status="pending")
    cara_milestone = make_evidence(mia.candidate, "milestones", status="pending")
    otto_milestone = make_evidence(mia.other_candidate, "milestones", status="pending")
    for n, item in enumerate((cara_course, cara_milestone, otto_milestone)):
        item.updated_at = utcnow() - timedelta(days=3 - n)
    session.commit()

    whole = client.get("/mentor/reviews")
    choices = page(whole).by_id("filter-candidate").find_all("option")
    assert [option.text for option in choices] == ["Everyone", "Cara Candidate", "Otto Other"]

    by_kind = client.get("/mentor/reviews?kind=milestones", headers=HTMX)
    assert _queue_ids(by_kind) == [
        f"review-milestones-{cara_milestone.id}",
        f"review-milestones-{otto_milestone.id}",
    ]
    assert "HX-Request" in by_kind.headers["Vary"]
    both = client.get(f"/mentor/reviews?kind=milestones&candidate={mia.candidate.id}")
    assert _queue_ids(both) == [f"review-milestones-{cara_milestone.id}"]
    assert "Review queue: Cara Candidate" in text(both)

    first = client.get("/mentor/reviews?per_page=2")
    assert len(_queue_ids(first)) == 2
    assert "Showing 1\u20132" in text(first)
    second = page(first).find("a", rel="next")
    assert second is not None
    assert _queue_ids(client.get(second.get("href") or "")) == [
        f"review-milestones-{otto_milestone.id}"
    ]
    kept = page(client.get("/mentor/reviews?per_page=1&kind=milestones")).find("a", rel="next")
    assert kept is not None and "kind=milestones" in (kept.get("href") or "")


def test_a_review_on_a_filtered_queue_counts_what_that_queue_still_holds(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence
) -> None:
    make_evidence(mia.candidate, "teaching-sessions", status="pending")
    first, second = (make_evidence(mia.candidate, "milestones", status="pending") for _ in "ab")
    answer = client.post(
        f"/mentor/reviews/milestones/{first.id}",
        data={"decision": "verified", "next": "/mentor/reviews?kind=milestones"},
        headers=HTMX,
    )
    assert page(answer).by_id("queue-waiting").text == "1 item waiting."  # not 2: all kinds
    # The queue page has no count beside a heading (htmx logs an error for a swap that
    # finds no target); the candidate's page has, for the candidate's own items.
    assert page(answer).find(id="queue-count") is None
    answer = client.post(
        f"/mentor/reviews/milestones/{second.id}",
        data={"decision": "verified", "next": f"/mentor/candidates/{mia.candidate.id}"},
        headers=HTMX,
    )
    assert page(answer).by_id("queue-count").text == "1"  # the teaching session


def test_the_admins_queue_filters_with_a_search_box_not_a_list_of_everyone(
    client: FlaskClient, cast: Cast, make_evidence: MakeEvidence
) -> None:
    cara_item = make_evidence(cast.candidate, "milestones", status="pending")
    otto_item = make_evidence(cast.other_candidate, "milestones", status="pending")
    log_in(client, cast.admin)

    whole = client.get("/mentor/reviews")
    box = page(whole).by_id("filter-candidate")
    assert box.tag == "input" and box.get("type") == "search" and box.get("name") == "candidate"
    # Its suggestions never take the address bar (the filter form around it pushes URLs).
    assert box.get("hx-push-url") == "false"
    assert page(whole).find("select", id="filter-candidate") is None
    assert len(_queue_ids(whole)) == 2

    by_email = client.get("/mentor/reviews?candidate=OTTO@example.org")
    assert _queue_ids(by_email) == [f"review-milestones-{otto_item.id}"]
    assert "Review queue: Otto Other" in text(by_email)
    assert page(by_email).by_id("filter-candidate").get("value") == "otto@example.org"
    by_name = client.get("/mentor/reviews?candidate=Cara")
    assert _queue_ids(by_name) == [f"review-milestones-{cara_item.id}"]

    nobody = client.get("/mentor/reviews?candidate=Zoe")
    assert nobody.status_code == 200
    assert page(nobody).by_id("filter-candidate-error").text.strip() == "✗ matches no candidate"
    assert len(_queue_ids(nobody)) == 2  # not filtered, and it says why
    # Filtered with htmx, the heading and the reason come with the queue, out of band.
    swapped = page(client.get("/mentor/reviews?candidate=Zoe", headers=HTMX))
    assert swapped.by_id("queue-candidate").get("hx-swap-oob") == "true"
    assert swapped.by_id("filter-candidate-error").text.strip() == "✗ matches no candidate"
    swapped = page(client.get("/mentor/reviews?candidate=Otto", headers=HTMX))
    assert swapped.by_id("queue-head").get("hx-swap-oob") == "true"
    assert swapped.by_id("queue-head").find("h1").text == "Review queue: Otto Other"
    assert "Everyone's evidence" in swapped.by_id("queue-head").text

    # A review on the filtered page counts what that page's queue still holds.
    answer = client.post(
        f"/mentor/reviews/milestones/{otto_item.id}",
        data={"decision": "verified", "next": "/mentor/reviews?candidate=otto@example.org"},
        headers=HTMX,
    )
    assert page(answer).by_id("queue-waiting").text == "0 items waiting."


def test_a_mentors_queue_filter_by_text_names_only_their_own_candidates(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence
) -> None:
    make_evidence(mia.candidate, "milestones", status="pending")
    make_evidence(mia.other_candidate, "milestones", status="pending")
    refused = client.get("/mentor/reviews?candidate=otto@example.org")
    assert "“otto@example.org” names none of your candidates" in text(refused)
    assert client.get(f"/mentor/reviews?candidate={mia.other_candidate.id}").status_code == 404


def test_bulk_verify_verifies_the_selected_and_names_the_one_that_changed(
    client: FlaskClient, mia: Cast, session: Session, engine: Engine, make_evidence: MakeEvidence
) -> None:
    kept = make_evidence(mia.candidate, "milestones", status="pending", note="Panel letter A")
    changed = make_evidence(mia.candidate, "milestones", status="pending", note="Panel letter B")
    shown = client.get("/mentor/reviews")
    seen = _seen(shown)
    assert len(seen) == 2
    changed.updated_at = utcnow()  # the candidate corrects it after Mia's page showed it
    session.commit()

    response = client.post(
        "/mentor/reviews/verify", data={"item": seen, "next": "/mentor/reviews"}, headers=HTMX
    )

    assert response.status_code == 200
    queue = page(response).by_id("queue")
    assert "1 item verified." in queue.find(role="status").text
    refused = queue.find(role="alert").text
    assert "Not verified" in refused and "was changed by the candidate" in refused
    assert _queue_ids(response) == [f"review-milestones-{changed.id}"]
    told = json.loads(response.headers["HX-Trigger"])
    assert told["notify"]["message"] == "1 item verified." and "notifications-changed" in told
    statuses = {
        item.id: item.review_status
        for item in fetch_all(engine, select(EVIDENCE_MODELS["milestones"]))
    }
    assert statuses == {kept.id: "verified", changed.id: "pending"}
    history = fetch_all(engine, select(ReviewRecord))
    assert [(row.evidence_id, row.decision) for row in history] == [(kept.id, "verified")]


def test_a_bulk_verify_that_verifies_nothing_is_not_called_done(
    client: FlaskClient, mia: Cast, session: Session, make_evidence: MakeEvidence
) -> None:
    changed = make_evidence(mia.candidate, "milestones", status="pending")
    seen = _seen(client.get("/mentor/reviews"))
    changed.updated_at = utcnow()  # corrected after the page showed it
    session.commit()
    data = {"item": seen, "next": "/mentor/reviews"}
    response = client.post("/mentor/reviews/verify", data=data, headers=HTMX)
    queue = page(response).by_id("queue")
    assert "verified." not in queue.text.replace("Not verified", "")
    assert "Not verified" in queue.find(role="alert").text
    assert "notify" not in json.loads(response.headers["HX-Trigger"])
    plain = client.post("/mentor/reviews/verify", data=data)
    after = text(client.get(plain.headers["Location"]))
    assert "0 items verified" not in after and "Not verified" in after


@pytest.mark.parametrize("item_id", ["2147483648", "9999999999"])
def test_a_bulk_verify_of_an_id_beyond_any_row_names_no_item(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence, item_id: str
) -> None:
    # PostgreSQL's INTEGER overflowed on such an id: a 500 instead of "nothing verified".
    make_evidence(mia.candidate, "milestones", status="pending")
    data = {"item": f"milestones/{item_id}@2026-01-01T00:00:00", "next": "/mentor/reviews"}
    response = client.post("/mentor/reviews/verify", data=data, headers=HTMX)
    assert response.status_code < 500
    assert "Nothing is waiting for review" not in text(client.get("/mentor/reviews"))


def test_a_bulk_verify_on_a_later_page_of_a_short_page_size_answers_with_that_page(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence
) -> None:
    for _ in range(5):
        make_evidence(mia.candidate, "milestones", status="pending")
    shown = client.get("/mentor/reviews?page=2&per_page=2")
    form = page(shown).by_id("bulk-verify")
    sent = {field.get("name"): field.get("value") for field in form.find_all("input")}
    assert (sent["page"], sent["per_page"]) == ("2", "2")
    answer = client.post(
        "/mentor/reviews/verify", data=sent | {"item": _seen(shown)[0]}, headers=HTMX
    )
    assert "There is no page" not in text(answer)
    assert len(_seen(answer)) == 2  # page 2 of the 4 left, two a page


def test_bulk_verify_without_javascript_flashes_the_outcome(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence
) -> None:
    make_evidence(mia.candidate, "milestones", status="pending")
    seen = _seen(client.get("/mentor/reviews"))
    response = client.post("/mentor/reviews/verify", data={"item": seen, "next": "/mentor/reviews"})
    assert response.status_code == 303
    after = client.get(response.headers["Location"])
    assert "1 item verified." in text(after)
    assert "Nothing is waiting for review" in text(after)


def test_an_unassigned_mentor_cannot_bulk_verify_another_mentors_candidate(
    client: FlaskClient, cast: Cast, engine: Engine, make_evidence: MakeEvidence
) -> None:
    item = make_evidence(cast.candidate, "milestones", status="pending")
    log_in(client, cast.mentor)
    seen = _seen(client.get("/mentor/reviews"))
    client.post("/logout")
    log_in(client, cast.other_mentor)
    response = client.post("/mentor/reviews/verify", data={"item": seen}, headers=HTMX)
    assert response.status_code == 404
    stored = fetch_all(engine, select(EVIDENCE_MODELS["milestones"]))
    assert [(row.id, row.review_status) for row in stored] == [(item.id, "pending")]


def test_a_resubmitted_item_shows_its_rejection_and_what_changed(
    client: FlaskClient, cast: Cast, make_evidence: MakeEvidence
) -> None:
    item = make_evidence(cast.candidate, "teaching-sessions", status="pending", students=12)
    roster_rejected(client, cast, item)
    form = page(client.get(f"/evidence/teaching-sessions/{item.id}/edit")).by_id("evidence-form")
    assert form.text.count(ROSTER_NOTE) == 1  # in its header, not twice
    saved = client.post(f"/evidence/teaching-sessions/{item.id}/edit", data=roster_corrected(item))
    assert saved.status_code == 303, text(saved)
    edit = page(client.get(f"/evidence/teaching-sessions/{item.id}/edit")).by_id("evidence-form")
    assert "Resubmitted after a rejection" in edit.text
    assert "Rejected by Mia Mentor" in edit.text
    client.post("/logout")

    log_in(client, cast.mentor)
    entry = page(client.get("/mentor/reviews")).by_id(f"review-teaching-sessions-{item.id}")
    history = entry.find(class_="review-history")
    assert history is not None
    assert "Resubmitted after a rejection" in history.text
    assert "Rejected by Mia Mentor" in history.text and ROSTER_NOTE in history.text
    changes = [
        [cell.text for cell in row.find_all() if cell.tag in ("th", "td")]
        for row in history.find("tbody").find_all("tr")
    ]
    assert changes == [["Students", "12", "10"]]


def test_the_candidate_page_counts_link_to_their_whole_evidence_by_status(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence
) -> None:
    make_evidence(mia.candidate, "milestones", status="verified", note="Verified one")
    make_evidence(mia.candidate, "milestones", status="rejected", note="Rejected one")
    make_evidence(mia.candidate, "milestones", status="pending", note="Pending one")
    candidate_page = page(client.get(f"/mentor/candidates/{mia.candidate.id}"))
    links = [a.get("href") or "" for a in candidate_page.find_all("a")]
    rejected = f"/mentor/candidates/{mia.candidate.id}/evidence?kind=milestones&status=rejected"
    assert rejected in links

    listed = text(client.get(rejected))
    assert "Rejected one" in listed
    assert "Verified one" not in listed and "Pending one" not in listed
    everything = text(client.get(f"/mentor/candidates/{mia.candidate.id}/evidence?kind=milestones"))
    assert all(note in everything for note in ("Verified one", "Rejected one", "Pending one"))
    client.post("/logout")
    log_in(client, mia.other_mentor)
    assert client.get(rejected).status_code == 404


def test_a_mentor_sees_their_turnaround_and_the_admin_every_mentors(
    client: FlaskClient, cast: Cast, session: Session, make_evidence: MakeEvidence
) -> None:
    item = make_evidence(cast.candidate, "milestones", status="pending")
    item.updated_at = utcnow() - timedelta(days=10)
    at = utcnow() - timedelta(days=1)
    for hours in (2, 4, 30):
        session.add(
            ReviewRecord(
                evidence_kind="milestones",
                evidence_id=999,
                candidate_id=cast.candidate.id,
                decision="verified",
                reviewer_id=cast.mentor.id,
                at=at,
                submitted_at=at - timedelta(hours=hours),
                waited_seconds=hours * 3600,
                snapshot={},
            )
        )
    session.commit()
    log_in(client, cast.mentor)
    own = page(client.get("/mentor/reviews"))
    assert (
        "Waiting: items of your candidates not yet reviewed"
        in own.find("section", class_="turnaround").text
    )  # spoken to the mentor, as its heading is
    figures = own.find("dl", class_="turnaround-figures")
    assert figures is not None
    shown = dict(
        zip(
            [dt.text for dt in figures.find_all("dt")],
            [dd.text for dd in figures.find_all("dd")],
            strict=True,
        )
    )
    assert shown["Median"] == "4 hours"
    assert shown["90th percentile"] == "24.8 hours"  # 4 + 0.8 * (30 - 4)
    assert shown["Waiting 7 to 14 days"] == "1"
    client.post("/logout")

    log_in(client, cast.admin)
    table = page(client.get("/mentor/reviews")).find("table", class_="turnaround-table")
    rows = [
        [cell.text for cell in row.find_all() if cell.tag in ("th", "td")]
        for row in table.find("tbody").find_all("tr")
    ]
    assert rows == [
        ["Mia Mentor", "1", "3", "4 hours", "24.8 hours", "0", "0", "1", "0"],
        ["Max Mentor", "0", "0", "—", "—", "0", "0", "0", "0"],
    ]


def _turnaround_rows(response: Any) -> list[list[str]]:
    table = page(response).find("table", class_="turnaround-table")
    assert table is not None
    return [
        [cell.text for cell in row.find_all() if cell.tag in ("th", "td")]
        for row in table.find("tbody").find_all("tr")
    ]


def test_the_admins_turnaround_table_is_counted_again_after_a_minute_and_says_when(
    client: FlaskClient, cast: Cast, make_evidence: MakeEvidence
) -> None:
    log_in(client, cast.admin)
    first = client.get("/mentor/reviews")
    assert _turnaround_rows(first)[0][5:] == ["0", "0", "0", "0"]
    assert "Figures as of" in page(first).by_id("turnaround-as-of").text
    assert "at most every 60 seconds" in page(first).by_id("turnaround-as-of").text

    make_evidence(cast.candidate, "milestones", status="pending")
    again = client.get("/mentor/reviews")
    assert _turnaround_rows(again)[0][5:] == ["0", "0", "0", "0"]  # the same minute's table
    assert _queue_ids(again)  # the queue itself is never kept: the new item is there
    with clock.stopped_at(utcnow() + timedelta(seconds=61)):
        later = client.get("/mentor/reviews")
    assert _turnaround_rows(later)[0] == ["Mia Mentor", "1", "0", "—", "—", "1", "0", "0", "0"]


def test_a_mentors_own_turnaround_is_never_kept(
    client: FlaskClient, mia: Cast, make_evidence: MakeEvidence
) -> None:
    client.get("/mentor/reviews")
    make_evidence(mia.candidate, "milestones", status="pending")
    figures = page(client.get("/mentor/reviews")).find("dl", class_="turnaround-figures")
    assert figures is not None and "Waiting under 3 days 1" in figures.text
    assert page(client.get("/mentor/reviews")).find(id="turnaround-as-of") is None


def test_the_admins_turnaround_table_shows_the_busiest_mentors_and_says_so(
    client: FlaskClient, cast: Cast, make_evidence: MakeEvidence, monkeypatch: Any
) -> None:
    monkeypatch.setattr(reviews, "MENTORS_SHOWN", 1)
    make_evidence(cast.candidate, "milestones", status="pending")
    log_in(client, cast.admin)
    html = page(client.get("/mentor/reviews"))
    table = html.find("table", class_="turnaround-table")
    names = [row.find("th").text for row in table.find("tbody").find_all("tr")]
    assert names == ["Mia Mentor"]  # the one with something waiting; Max has nothing
    assert "Showing the 1 mentor with the oldest waiting items" in html.text


def test_the_turnaround_partial_is_for_reviewers_and_htmx(client: FlaskClient, cast: Cast) -> None:
    """The queue's page draws its turnaround again from here after each review."""
    log_in(client, cast.mentor)
    section = page(client.get("/mentor/reviews")).by_id("turnaround")
    assert section.get("hx-get") == "/mentor/reviews/turnaround"
    assert section.get("hx-trigger") == "review-changed from:body"
    partial = client.get("/mentor/reviews/turnaround", headers=HTMX)
    assert partial.status_code == 200
    assert page(partial).by_id("turnaround").find("dl", class_="turnaround-figures")
    assert client.get("/mentor/reviews/turnaround").headers["Location"] == "/mentor/reviews"
    client.post("/logout")
    log_in(client, cast.candidate)
    assert client.get("/mentor/reviews/turnaround", headers=HTMX).status_code == 403
