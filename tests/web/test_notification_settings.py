"""Notification e-mail settings, and the one-click unsubscribe link of every notification mail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from smtp_server import Received, SmtpServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath import delivery
from trainerpath.models import EmailPreference, User
from trainerpath.notification_kinds import kinds_for
from trainerpath.services.outbox import enqueue_mail

from .conftest import Cast, fetch_all, log_in, page, text

FEEDBACK = "feedback.received"


@pytest.fixture
def app_config(mail_app_config: dict[str, Any]) -> dict[str, Any]:
    """Send to the test's SMTP server."""
    return mail_app_config


@pytest.fixture
def notify(app: Flask, engine: Engine, smtp: SmtpServer) -> Callable[..., list[Received]]:
    """Queue a notification mail of ``kind`` for ``user``, deliver, return what arrived."""

    def send(user: User, kind: str = FEEDBACK) -> list[Received]:
        before = len(smtp.received)
        with app.app_context(), Session(engine) as session:
            enqueue_mail(
                session,
                user=session.get(User, user.id),  # type: ignore[arg-type]
                kind=kind,
                subject="Something happened",
                template="notification",
                context={"headline": "Something happened."},
                link="/candidate",
            )
            session.commit()
            delivery.deliver_due(app, engine)
        arrived = smtp.wait_for(before + 1, seconds=2)
        return arrived[before:]

    return send


def preferences(engine: Engine, user: User) -> dict[str, str]:
    """The stored choices of ``user``."""
    rows = fetch_all(engine, select(EmailPreference).where(EmailPreference.user_id == user.id))
    return {row.kind: row.delivery for row in rows}


def test_the_account_menu_leads_to_the_settings_of_ones_own_kinds(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    menu = page(client.get("/candidate")).find("details", class_="account-menu")
    assert menu is not None and menu.find("a", href="/account/notifications") is not None

    settings = page(client.get("/account/notifications"))

    legends = [node.text for node in settings.find_all("legend")]
    assert legends == [kind.label for kind in kinds_for("candidate")]
    assert "New or corrected evidence of my candidates waits for review" not in legends
    assert settings.find("input", name=FEEDBACK, value="immediate", checked=True) is not None
    assert settings.find("input", name="evidence.waiting") is None


def test_a_candidate_turns_one_kind_off_and_gets_no_more_of_those_mails(
    client: FlaskClient, engine: Engine, cast: Cast, notify
) -> None:
    log_in(client, cast.candidate)
    choices = {kind.key: "immediate" for kind in kinds_for("candidate")}
    choices[FEEDBACK] = "off"

    saved = client.post(
        "/account/notifications",
        data=choices,
    )

    assert saved.status_code == 303
    after = client.get("/account/notifications")
    assert "Your notification settings are saved." in text(after)
    assert page(after).find("input", name=FEEDBACK, value="off", checked=True) is not None
    assert preferences(engine, cast.candidate) == {FEEDBACK: "off"}
    assert notify(cast.candidate) == []
    assert [mail.recipients for mail in notify(cast.candidate, "evidence.rejected")] == [
        ["cara@example.org"]
    ]


def test_a_mentor_chooses_a_digest_for_waiting_evidence(
    client: FlaskClient, engine: Engine, cast: Cast, notify
) -> None:
    log_in(client, cast.mentor)
    settings = page(client.get("/account/notifications"))
    offered = [node.get("value") for node in settings.find_all("input", name="evidence.waiting")]
    assert offered == ["immediate", "digest", "off"]

    client.post(
        "/account/notifications",
        data={
            "evidence.waiting": "digest",
            "mentorship.assigned": "immediate",
            "reminder.review_digest": "immediate",
        },
    )

    assert preferences(engine, cast.mentor) == {"evidence.waiting": "digest"}
    assert notify(cast.mentor, "evidence.waiting") == []  # kept for the digest
    assert len(notify(cast.mentor, "mentorship.assigned")) == 1


def test_a_choice_the_kind_does_not_offer_is_refused_beside_it_and_nothing_changes(
    client: FlaskClient, engine: Engine, cast: Cast
) -> None:
    log_in(client, cast.candidate)

    response = client.post(
        "/account/notifications",
        data={
            "evidence.verified": "off",
            FEEDBACK: "digest",
        },
    )

    assert response.status_code == 422
    form = page(response)
    fieldset = next(
        f for f in form.find_all("fieldset") if "A mentor or admin left me feedback" in f.text
    )
    assert "Must be one of: immediate, off." in fieldset.text
    assert preferences(engine, cast.candidate) == {}


def test_saving_settings_without_the_csrf_token_is_refused(
    app: Flask, client: FlaskClient, engine: Engine, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    app.config["WTF_CSRF_ENABLED"] = True
    form = page(client.get("/account/notifications")).find("input", name="csrf_token")
    assert form is not None and form.get("value")

    response = client.post("/account/notifications", data={FEEDBACK: "off"})

    assert response.status_code == 400
    assert preferences(engine, cast.candidate) == {}


def test_the_settings_need_a_login(client: FlaskClient) -> None:
    response = client.get("/account/notifications")
    assert response.status_code == 302 and "/login" in response.location


def test_the_unsubscribe_link_of_a_mail_asks_first_then_stops_that_kind_without_a_login(
    app: Flask, engine: Engine, cast: Cast, notify
) -> None:
    [mail] = notify(cast.candidate)
    link = urlsplit(mail.link_to("/unsubscribe/")).path
    stranger = app.test_client()  # not logged in
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the token is the authority

    asked = stranger.get(link)

    assert asked.status_code == 200
    assert "Stop these e-mails?" in text(asked)
    assert "A mentor or admin left me feedback" in text(asked)
    assert preferences(engine, cast.candidate) == {}  # following a link changes nothing
    done = stranger.post(link)  # the confirm button; the signed token is the authority
    assert done.status_code == 200
    assert "You are unsubscribed" in text(done)
    assert preferences(engine, cast.candidate) == {FEEDBACK: "off"}
    assert notify(cast.candidate) == []
    assert len(notify(cast.candidate, "evidence.verified")) == 1


def test_a_mail_program_unsubscribes_in_one_click_as_rfc_8058_says(
    app: Flask, engine: Engine, cast: Cast, notify
) -> None:
    [mail] = notify(cast.candidate)
    target = str(mail.message["List-Unsubscribe"]).strip().strip("<>")
    app.config["WTF_CSRF_ENABLED"] = True  # as in production

    response = app.test_client().post(
        urlsplit(target).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert preferences(engine, cast.candidate) == {FEEDBACK: "off"}


def test_a_forged_unsubscribe_link_is_refused_and_changes_nothing(
    app: Flask, engine: Engine, cast: Cast, notify
) -> None:
    [mail] = notify(cast.candidate)
    path = urlsplit(mail.link_to("/unsubscribe/")).path
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    client = app.test_client()

    assert client.get(forged).status_code == 404
    refused = client.post(forged)
    assert refused.status_code == 404
    assert "This unsubscribe link is not valid" in text(refused)
    assert client.post("/unsubscribe/not-a-token").status_code == 404
    assert preferences(engine, cast.candidate) == {}
