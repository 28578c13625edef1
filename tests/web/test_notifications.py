"""Notifications in the browser's pages: each cause done through the web, the bell's
count, the list in pages, opening one, marking one or all read; only one's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import pk
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import EvidenceBase, Notification, User
from trainerpath.services.notifications import notify

from .conftest import HTMX, Cast, fetch_all, log_in, page, text

KIND = "teaching-sessions"
FORM = {
    "title": "CSM Leeds",
    "course_type": "scrum_master",
    "first_day": "2024-03-04",
    "days": "2",
    "students": "12",
    "context": "independent",
}


def notifications_of(engine: Engine, user: User) -> list[Notification]:
    """The user's notifications as stored, newest first."""
    stmt = (
        select(Notification)
        .where(col(Notification.recipient_id) == user.id)
        .order_by(col(Notification.id).desc())
    )
    return fetch_all(engine, stmt)


def bell(client: FlaskClient) -> str:
    """What the bell says after htmx fetched it."""
    response = client.get("/notifications/bell", headers=HTMX)
    assert response.status_code == 200
    return page(response).by_id("bell").get("aria-label") or ""


def switch_user(client: FlaskClient, user: User) -> None:
    client.post("/logout")
    log_in(client, user)


@pytest.fixture
def pending(make_evidence: Callable[..., EvidenceBase], cast: Cast) -> EvidenceBase:
    """A pending teaching session of the candidate's."""
    return make_evidence(cast.candidate, KIND, status="pending", title="CSM Leeds")


# -- The bell ---------------------------------------------------------------------------


def test_every_page_has_a_bell_that_links_to_the_list_and_htmx_fills_in_on_load(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    link = page(client.get("/candidate")).by_id("bell")
    assert link.tag == "a" and link.get("href") == "/notifications"
    assert (link.get("hx-get"), link.get("hx-trigger"), link.get("hx-sync")) == (
        "/notifications/bell",
        "load, notifications-changed from:body",
        "this:replace",
    )


def test_anonymous_visitors_have_no_bell_and_the_list_asks_them_to_log_in(
    client: FlaskClient,
) -> None:
    assert page(client.get("/")).find(id="bell") is None
    response = client.get("/notifications")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_the_bell_counts_unread_and_refreshes_only_when_told(
    session: Session, client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    assert bell(client) == "Notifications"
    for n in range(3):
        notify(
            session=session,
            kind="feedback.received",
            recipients=[pk(cast.candidate)],
            actor=cast.mentor,
            subject=f"feedback/{n}",
            title="Mia Mentor left you feedback",
            link="/candidate#feedback-summary",
        )
    session.commit()
    response = client.get("/notifications/bell", headers=HTMX)
    fetched = page(response).by_id("bell")
    assert fetched.get("aria-label") == "Notifications: 3 unread"
    assert "3" in fetched.text
    assert fetched.get("hx-trigger") == "notifications-changed from:body"  # no load loop
    assert fetched.get("hx-sync") == "this:replace"  # a newer count replaces one on its way
    assert "HX-Request" in response.headers["Vary"]


def test_the_bell_without_htmx_is_the_list(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.candidate)
    response = client.get("/notifications/bell")
    assert response.status_code == 302 and response.location == "/notifications"


# -- Causes through the web, and where they lead -------------------------------------------


def test_a_rejection_reaches_the_candidate_who_opens_it_and_lands_on_the_correction(
    engine: Engine, client: FlaskClient, cast: Cast, pending: EvidenceBase
) -> None:
    log_in(client, cast.mentor)
    client.post(
        f"/mentor/reviews/{KIND}/{pending.id}",
        data={"decision": "rejected", "note": "Which co-trainer?"},
    )
    switch_user(client, cast.candidate)
    assert bell(client) == "Notifications: 1 unread"
    listing = page(client.get("/notifications"))
    (item,) = listing.find_all("li", class_="notification")
    assert "is-unread" in (item.get("class") or "")
    assert "Mia Mentor rejected your teaching session" in item.text
    assert "Which co-trainer?" in item.text
    link = item.find("a")
    assert link is not None
    opened = client.get(link.get("href") or "")
    assert opened.status_code == 303
    assert opened.location == f"/evidence/{KIND}/{pending.id}/edit"
    correction = text(client.get(opened.location))
    assert "Rejected: “Which co-trainer?”" in correction
    assert bell(client) == "Notifications"
    (stored,) = notifications_of(engine, cast.candidate)
    assert stored.read_at is not None


def test_evidence_logged_twice_on_the_web_is_one_notification_for_the_mentor(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    for title in ("CSM Leeds", "CSM York"):
        assert client.post(f"/evidence/{KIND}", data=FORM | {"title": title}).status_code == 303
    switch_user(client, cast.mentor)
    assert bell(client) == "Notifications: 1 unread"
    (item,) = page(client.get("/notifications")).find_all("li", class_="notification")
    assert "New or corrected evidence from Cara Candidate waits for your review (2 items)" in (
        item.text
    )
    link = item.find("a")
    assert link is not None
    opened = client.get(link.get("href") or "")
    assert opened.location == f"/mentor/reviews?candidate={cast.candidate.id}"
    queue = text(client.get(opened.location))
    assert "Review queue: Cara Candidate" in queue and "2 items waiting" in queue


def test_feedback_and_an_outcome_recorded_on_the_web_reach_the_candidate(
    client: FlaskClient, cast: Cast, make_enrollment: Callable[..., Any]
) -> None:
    enrollment = make_enrollment(cast.candidate, "cst", state="tac_review")
    log_in(client, cast.mentor)
    client.post(f"/mentor/candidates/{cast.candidate.id}/feedback", data={"body": "Well done."})
    client.post(f"/enrollments/{enrollment.id}/events", data={"event": "tac_approve"})
    switch_user(client, cast.candidate)
    listing = text(client.get("/notifications"))
    assert listing.index("recorded on your Certified Scrum Trainer enrollment") < listing.index(
        "Mia Mentor left you feedback"
    )  # newest first
    assert "Approved by the TAC. Now: Interview." in listing
    assert "Well done." in listing


def test_a_signup_tells_the_admin_who_lands_on_the_assignment_form_for_that_candidate(
    client: FlaskClient, cast: Cast
) -> None:
    client.post(
        "/signup",
        data={"name": "Nora New", "email": "nora@example.org", "password": "long enough",
              "confirm": "long enough"},
    )  # fmt: skip
    switch_user(client, cast.admin)
    (item,) = page(client.get("/notifications")).find_all("li", class_="notification")
    assert "Nora New signed up and has no mentor" in item.text
    link = item.find("a")
    assert link is not None
    form_page = page(client.get(client.get(link.get("href") or "").location))
    box = form_page.find("input", name="candidate")
    assert box is not None and box.get("value") == "nora@example.org"


def test_assigning_a_mentor_on_the_web_tells_the_mentor(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.admin)
    client.post(
        "/admin/mentorships",
        data={"mentor": cast.other_mentor.email, "candidate": cast.candidate.email},
    )
    switch_user(client, cast.other_mentor)
    listing = text(client.get("/notifications"))
    assert "You now mentor Cara Candidate" in listing


def test_every_link_a_notification_carries_is_a_page_of_the_app(
    app: Flask, engine: Engine, client: FlaskClient, cast: Cast, pending: EvidenceBase,
    make_enrollment: Callable[..., Any],
) -> None:  # fmt: skip
    enrollment = make_enrollment(cast.candidate, "cst", state="tac_review")
    log_in(client, cast.candidate)
    client.post(f"/evidence/{KIND}", data=FORM)
    switch_user(client, cast.mentor)
    client.post(f"/mentor/reviews/{KIND}/{pending.id}", data={"decision": "verified"})
    client.post(f"/mentor/candidates/{cast.candidate.id}/feedback", data={"body": "Hi"})
    client.post(f"/enrollments/{enrollment.id}/events", data={"event": "tac_approve"})
    switch_user(client, cast.admin)
    client.post(
        "/admin/mentorships",
        data={"mentor": cast.other_mentor.email, "candidate": cast.other_candidate.email},
    )
    rows = fetch_all(engine, select(Notification))
    kinds = {row.kind for row in rows}
    assert kinds == {
        "evidence.waiting",
        "evidence.verified",
        "feedback.received",
        "enrollment.outcome",
        "mentorship.assigned",
    }
    adapter = app.url_map.bind("localhost")
    for row in rows:
        endpoint, _args = adapter.match(row.link.split("?")[0].split("#")[0], method="GET")
        assert not endpoint.startswith("api."), row.link


# -- Only one's own; marking read ----------------------------------------------------------


@pytest.fixture
def told(session: Session, cast: Cast) -> Callable[[User, int], list[Notification]]:
    """Write ``n`` notifications to ``user``; return them oldest first."""

    def write(user: User, n: int) -> list[Notification]:
        rows = [
            notify(
                session=session,
                kind="feedback.received",
                recipients=[pk(user)],
                actor=cast.mentor,
                subject=f"feedback/{i}",
                title=f"Note {i}",
                link="/candidate#feedback-summary",
            )[0]
            for i in range(n)
        ]
        session.commit()
        return rows

    return write


def test_someone_elses_notification_is_not_found(
    engine: Engine, client: FlaskClient, cast: Cast, told: Callable[..., list[Notification]]
) -> None:
    (theirs,) = told(cast.other_candidate, 1)
    log_in(client, cast.candidate)
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    client.post("/notifications/read-all")
    assert "Note 0" not in text(client.get("/notifications"))
    (stored,) = notifications_of(engine, cast.other_candidate)
    assert stored.read_at is None


def test_a_stored_link_off_the_site_is_never_followed(
    engine: Engine,
    session: Session,
    client: FlaskClient,
    cast: Cast,
    told: Callable[..., list[Notification]],
) -> None:
    """Links are paths we write; should one ever hold another site, opening the
    notification leads to the list instead (and still marks it read)."""
    (odd,) = told(cast.candidate, 1)
    odd.link = "//elsewhere.example/steal"
    session.commit()
    log_in(client, cast.candidate)
    opened = client.get(f"/notifications/{odd.id}")
    assert (opened.status_code, opened.location) == (303, "/notifications")
    assert [n.read_at is not None for n in notifications_of(engine, cast.candidate)] == [True]


@pytest.mark.parametrize("elsewhere", ["cross-site", "same-site"])
def test_a_link_from_another_site_opens_a_notification_without_marking_it_read(
    engine: Engine,
    client: FlaskClient,
    cast: Cast,
    told: Callable[..., list[Notification]],
    elsewhere: str,
) -> None:
    """Opening one marks it read on a GET, which a browser sends with the session cookie
    (SameSite=Lax) when another site links or redirects to it: only a request from our
    own pages, a bookmark or a typed address marks it read; from elsewhere it opens."""
    linked, clicked, typed = told(cast.candidate, 3)
    (theirs,) = told(cast.other_candidate, 1)
    log_in(client, cast.candidate)
    opened = client.get(f"/notifications/{linked.id}", headers={"Sec-Fetch-Site": elsewhere})
    assert opened.status_code == 303
    assert opened.location == "/candidate#feedback-summary"
    foreign = client.get(f"/notifications/{theirs.id}", headers={"Sec-Fetch-Site": elsewhere})
    assert foreign.status_code == 404
    client.get(f"/notifications/{clicked.id}", headers={"Sec-Fetch-Site": "same-origin"})
    client.get(f"/notifications/{typed.id}", headers={"Sec-Fetch-Site": "none"})
    read = {n.id: n.read_at is not None for n in notifications_of(engine, cast.candidate)}
    assert read == {linked.id: False, clicked.id: True, typed.id: True}


def test_marking_one_read_without_javascript_comes_back_to_the_list(
    client: FlaskClient, cast: Cast, told: Callable[..., list[Notification]]
) -> None:
    first, second = told(cast.candidate, 2)
    log_in(client, cast.candidate)
    response = client.post(
        f"/notifications/{first.id}/read", data={"next": "/notifications?unread=1"}
    )
    assert response.status_code == 303 and response.location == "/notifications?unread=1"
    unread = page(client.get("/notifications?unread=1"))
    assert [li.get("id") for li in unread.find_all("li", class_="notification")] == [
        f"notification-{second.id}"
    ]
    assert "Marked as read." in unread.text


def test_marking_read_with_htmx_tells_the_bell_and_the_list_to_refresh(
    client: FlaskClient, cast: Cast, told: Callable[..., list[Notification]]
) -> None:
    (one,) = told(cast.candidate, 1)
    log_in(client, cast.candidate)
    listing = page(client.get("/notifications"))
    assert listing.by_id("notifications").get("hx-trigger") == "notifications-changed from:body"
    response = client.post(f"/notifications/{one.id}/read", headers=HTMX)
    assert response.status_code == 204 and not response.get_data()
    assert "notifications-changed" in response.headers["HX-Trigger"]
    assert bell(client) == "Notifications"


def test_mark_all_read_empties_the_unread_list(
    client: FlaskClient, cast: Cast, told: Callable[..., list[Notification]]
) -> None:
    told(cast.candidate, 3)
    log_in(client, cast.candidate)
    assert "Mark all as read" in text(client.get("/notifications"))
    response = client.post("/notifications/read-all", data={"next": "/notifications"})
    assert response.status_code == 303
    after = text(client.get("/notifications"))
    assert "3 notifications marked as read." in after
    assert "Mark all as read" not in after
    assert "Nothing unread." in text(client.get("/notifications?unread=1"))


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_list_comes_in_pages_newest_first(
    client: FlaskClient, cast: Cast, told: Callable[..., list[Notification]], htmx: bool
) -> None:
    rows = told(cast.candidate, 53)
    log_in(client, cast.candidate)
    headers = HTMX if htmx else {}
    first = page(client.get("/notifications", headers=headers))
    items = first.find_all("li", class_="notification")
    assert len(items) == 50 and items[0].get("id") == f"notification-{rows[-1].id}"
    link = first.find("a", rel="next")
    assert link is not None and link.get("href") == "/notifications?page=2"
    if htmx:
        assert link.get("hx-target") == "#notifications"
    second = page(client.get("/notifications?page=2", headers=headers))
    assert [li.get("id") for li in second.find_all("li", class_="notification")] == [
        f"notification-{row.id}" for row in reversed(rows[:3])
    ]
    beyond = text(client.get("/notifications?page=9"))
    assert "There is no page 9: the list has 2 pages." in beyond


class TestCsrf:
    """Marking read is a form post, refused without the page's token."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        """Switch CSRF protection on."""
        return app_config | {"WTF_CSRF_ENABLED": True}

    def test_marking_read_needs_the_pages_token(
        self, client: FlaskClient, cast: Cast, told: Callable[..., list[Notification]]
    ) -> None:
        (one,) = told(cast.candidate, 1)
        login_page = page(client.get("/login"))
        token = login_page.find("meta", name="csrf-token").get("content")  # type: ignore[union-attr]
        client.post(
            "/login",
            data={"email": cast.candidate.email, "password": "correct horse battery",
                  "csrf_token": token},
        )  # fmt: skip
        assert client.post(f"/notifications/{one.id}/read").status_code == 400
        assert client.post("/notifications/read-all").status_code == 400
        form = page(client.get("/notifications")).find(
            "form", action=f"/notifications/{one.id}/read"
        )
        assert form is not None
        fields = {i.get("name"): i.get("value") for i in form.find_all("input")}
        assert client.post(f"/notifications/{one.id}/read", data=fields).status_code == 303
