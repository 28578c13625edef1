"""Every notification also comes by e-mail: each cause done through the web, then the
outbox delivered to a real SMTP server and read as it arrived (recipient, subject, link).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import PASSWORD, days_ago
from flask.testing import FlaskClient
from smtp_server import Received
from sqlalchemy import Engine, select
from sqlmodel import col

from trainerpath.models import EvidenceBase, Notification, User
from trainerpath.notification_kinds import kinds_for
from trainerpath.wording import format_day

from .conftest import Cast, fetch_all, log_in

KIND = "teaching-sessions"
FORM = {
    "title": "CSM Leeds",
    "course_type": "scrum_master",
    "first_day": "2024-03-04",
    "days": "2",
    "students": "12",
    "context": "independent",
}
BASE = "http://trainerpath.test"
SUMMARY = f"CSM Leeds: 10 students, 2 days from {format_day(days_ago(30))}"  # the pending item


@pytest.fixture
def app_config(mail_app_config: dict[str, Any]) -> dict[str, Any]:
    """Send to the test's SMTP server."""
    return mail_app_config


@dataclass(frozen=True)
class Expected:
    """The mail a cause should bring: to whom, with which subject, linking where."""

    recipient: User
    subject: str
    link: str
    says: str = ""


def switch_user(client: FlaskClient, user: User) -> None:
    client.post("/logout")
    log_in(client, user)


def reject(client: FlaskClient, cast: Cast, item: EvidenceBase, _: Any) -> Expected:
    log_in(client, cast.mentor)
    data = {"decision": "rejected", "note": "Which co-trainer?"}
    client.post(f"/mentor/reviews/{KIND}/{item.id}", data=data)
    subject = f"Your teaching session “{SUMMARY}” was rejected"
    link = f"{BASE}/evidence/{KIND}/{item.id}/edit"
    return Expected(cast.candidate, subject, link, says="Which co-trainer?")


def verify(client: FlaskClient, cast: Cast, item: EvidenceBase, _: Any) -> Expected:
    log_in(client, cast.mentor)
    client.post(f"/mentor/reviews/{KIND}/{item.id}", data={"decision": "verified"})
    subject = f"Your teaching session “{SUMMARY}” was verified"
    return Expected(cast.candidate, subject, f"{BASE}/evidence/{KIND}?status=verified")


def leave_feedback(client: FlaskClient, cast: Cast, _item: Any, _: Any) -> Expected:
    log_in(client, cast.mentor)
    client.post(f"/mentor/candidates/{cast.candidate.id}/feedback", data={"body": "Well done."})
    return Expected(
        cast.candidate, "Mia Mentor left you feedback", f"{BASE}/candidate#", says="Well done."
    )


def record_outcome(client: FlaskClient, cast: Cast, _item: Any, enrol: Any) -> Expected:
    enrollment = enrol(cast.candidate, "cst", state="tac_review")
    log_in(client, cast.mentor)
    client.post(f"/enrollments/{enrollment.id}/events", data={"event": "tac_approve"})
    subject = "Your Certified Scrum Trainer enrollment: Approved by the TAC"
    link = f"{BASE}/candidate#enrollment-{enrollment.id}"
    return Expected(cast.candidate, subject, link, says="Now: Interview.")


def log_evidence(client: FlaskClient, cast: Cast, _item: Any, _: Any) -> Expected:
    log_in(client, cast.candidate)
    client.post(f"/evidence/{KIND}", data=FORM)
    subject = "New or corrected evidence from Cara Candidate waits for your review"
    return Expected(cast.mentor, subject, f"{BASE}/mentor/reviews?candidate={cast.candidate.id}")


def assign_mentor(client: FlaskClient, cast: Cast, _item: Any, _: Any) -> Expected:
    log_in(client, cast.admin)
    client.post(
        "/admin/mentorships",
        data={"mentor": cast.other_mentor.email, "candidate": cast.candidate.email},
    )
    link = f"{BASE}/mentor/candidates/{cast.candidate.id}"
    return Expected(cast.other_mentor, "You now mentor Cara Candidate", link)


def sign_up(client: FlaskClient, cast: Cast, _item: Any, _: Any) -> Expected:
    client.post(
        "/signup",
        data={"name": "Nora New", "email": "nora@example.org", "password": "long enough",
              "confirm": "long enough"},
    )  # fmt: skip
    link = f"{BASE}/admin/mentorships?candidate=nora%40example.org"
    return Expected(cast.admin, "Nora New signed up and has no mentor", link)


CAUSES: dict[str, Callable[..., Expected]] = {
    "evidence.rejected": reject,
    "evidence.verified": verify,
    "feedback.received": leave_feedback,
    "enrollment.outcome": record_outcome,
    "evidence.waiting": log_evidence,
    "mentorship.assigned": assign_mentor,
    "candidate.unassigned": sign_up,
}


def notifications_of(engine: Engine, user: User) -> list[Notification]:
    """The user's notifications as stored, oldest first."""
    stmt = select(Notification).where(col(Notification.recipient_id) == user.id)
    return fetch_all(engine, stmt.order_by(col(Notification.id)))


def mails_to(arrived: list[Received], user: User) -> list[Received]:
    return [mail for mail in arrived if mail.recipients == [user.email]]


@pytest.fixture
def pending(make_evidence: Callable[..., EvidenceBase], cast: Cast) -> EvidenceBase:
    """A pending teaching session of the candidate's."""
    return make_evidence(cast.candidate, KIND, status="pending", title="CSM Leeds")


@pytest.mark.parametrize("kind", list(CAUSES))
def test_each_notification_arrives_by_mail_with_what_happened_and_its_link(
    kind: str,
    engine: Engine,
    client: FlaskClient,
    cast: Cast,
    pending: EvidenceBase,
    make_enrollment: Callable[..., Any],
    mailed: Callable[[int], list[Received]],
) -> None:
    expected = CAUSES[kind](client, cast, pending, make_enrollment)

    (told,) = [n for n in notifications_of(engine, expected.recipient) if n.kind == kind]
    (mail,) = mails_to(mailed(1), expected.recipient)
    assert mail.subject == expected.subject
    assert mail.link_to(expected.link) == f"{BASE}{told.link}"
    assert expected.says in mail.text and told.title in mail.text
    assert mail.link_to("/account/notifications") == f"{BASE}/account/notifications"


def test_long_feedback_arrives_whole_by_mail_and_shortened_in_the_app(
    engine: Engine,
    client: FlaskClient,
    cast: Cast,
    mailed: Callable[[int], list[Received]],
) -> None:
    log_in(client, cast.mentor)
    body = "Well prepared. " * 99 + "The end."  # 1,493 characters
    client.post(f"/mentor/candidates/{cast.candidate.id}/feedback", data={"body": body})
    (mail,) = mails_to(mailed(1), cast.candidate)
    assert " ".join(body.split()) in " ".join(mail.text.split())
    (told,) = notifications_of(engine, cast.candidate)
    assert told.body is not None and len(told.body) == 500 and told.body.endswith("…")


def test_a_mentor_gets_one_mail_for_many_items_until_they_read_the_notification(
    engine: Engine, client: FlaskClient, cast: Cast, mailed: Callable[[int], list[Received]]
) -> None:
    log_in(client, cast.candidate)
    for n in range(3):
        client.post(f"/evidence/{KIND}", data=FORM | {"title": f"CSM {n}"})
    assert len(mails_to(mailed(1), cast.mentor)) == 1
    (waiting,) = notifications_of(engine, cast.mentor)
    assert waiting.count == 3

    switch_user(client, cast.mentor)
    client.post(f"/notifications/{waiting.id}/read")
    switch_user(client, cast.candidate)
    client.post(f"/evidence/{KIND}", data=FORM | {"title": "CSM 4"})

    assert len(mails_to(mailed(2), cast.mentor)) == 2  # a new unread notification, a new mail


def test_an_import_of_many_items_mails_the_mentor_once_with_its_count(
    engine: Engine, client: FlaskClient, cast: Cast, mailed: Callable[[int], list[Received]]
) -> None:
    log_in(client, cast.candidate)
    rows = "".join(f"CSM {n},scrum_master,{days_ago(30 + n)},2,12,independent\n" for n in range(4))
    body = "title,course_type,first_day,days,students,context\n" + rows
    imported = client.post(
        f"/api/v1/candidates/{cast.candidate.id}/{KIND}/import?dry_run=false",
        data=body,
        content_type="text/csv",
        headers=token_header(client, cast.candidate),
    )
    assert imported.status_code == 200, imported.get_json()
    (waiting,) = notifications_of(engine, cast.mentor)
    assert waiting.count == 4
    (mail,) = mails_to(mailed(1), cast.mentor)
    assert cast.candidate.name in mail.text


def token_header(client: FlaskClient, user: User) -> dict[str, str]:
    """A bearer token for ``user``, made through the API."""
    made = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {made.get_json()['token']}"}


def test_a_candidate_who_turned_a_kind_off_is_told_in_the_app_but_not_by_mail(
    engine: Engine,
    client: FlaskClient,
    cast: Cast,
    pending: EvidenceBase,
    mailed: Callable[[int], list[Received]],
) -> None:
    log_in(client, cast.candidate)
    choices = {kind.key: "immediate" for kind in kinds_for("candidate")}
    client.post("/account/notifications", data=choices | {"evidence.rejected": "off"})
    switch_user(client, cast.mentor)
    data = {"decision": "rejected", "note": "Which co-trainer?"}
    client.post(f"/mentor/reviews/{KIND}/{pending.id}", data=data)

    assert [n.kind for n in notifications_of(engine, cast.candidate)] == ["evidence.rejected"]
    assert mails_to(mailed(0), cast.candidate) == []
