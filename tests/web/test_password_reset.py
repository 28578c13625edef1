"""Forgot password: a link by e-mail, once, within an hour; using it ends every other sign-in.

The mail goes through the outbox to a real SMTP server and the link is read from it.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from smtp_server import Received
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from trainerpath.models import EmailDelivery, EmailPreference, User
from trainerpath.notification_kinds import KINDS
from trainerpath.services.tokens import issue_token

from .conftest import log_in, page, text

NEW_PASSWORD = "a brand new passphrase"
SENT = "If an account uses that address, a link to choose a new password is on its way."


@pytest.fixture
def app_config(mail_app_config: dict[str, Any]) -> dict[str, Any]:
    """Send to the test's SMTP server."""
    return mail_app_config


def ask_for_link(client: FlaskClient, email: str) -> Any:
    """Submit "Forgot password?" for ``email``."""
    return client.post("/password/forgot", data={"email": email}, follow_redirects=True)


def reset_path(mail: Received) -> str:
    """The path of the reset link in a mail."""
    return urlsplit(mail.link_to("/password/reset/")).path


def test_the_login_page_offers_a_forgotten_password_link(client: FlaskClient) -> None:
    link = page(client.get("/login")).find("a", href="/password/forgot")
    assert link is not None and link.text == "Forgot password?"
    assert "Send me a link" in text(client.get("/password/forgot"))


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: FlaskClient, make_user, mailed
) -> None:
    make_user(email="cara@example.org")

    known = client.post("/password/forgot", data={"email": "Cara@Example.org"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})

    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert known.status_code == 303 and known.location == "/login"
    assert SENT in text(client.get("/login"))
    arrived = mailed(1)
    assert [mail.recipients for mail in arrived] == [["cara@example.org"]]
    assert arrived[0].subject == "Reset your trainerpath password"


def test_a_reset_mail_goes_even_to_someone_who_turned_every_notification_off(
    client: FlaskClient, session: Session, make_user, mailed
) -> None:
    cara = make_user(email="cara@example.org")
    for kind in KINDS:
        session.add(EmailPreference(user_id=cara.id, kind=kind, delivery=EmailDelivery.OFF))
    session.commit()

    ask_for_link(client, "cara@example.org")

    assert [mail.recipients for mail in mailed(1)] == [["cara@example.org"]]


def test_a_deactivated_account_gets_no_reset_mail(client: FlaskClient, make_user, mailed) -> None:
    make_user(email="gone@example.org", is_active=False)

    response = ask_for_link(client, "gone@example.org")

    assert SENT in text(response)
    assert mailed(0) == []


def test_resetting_ends_every_other_session_and_token_and_the_link_works_once(
    app: Flask, client: FlaskClient, session: Session, make_user, mailed
) -> None:
    cara = make_user(email="cara@example.org")
    elsewhere = app.test_client()
    log_in(elsewhere, cara)
    api_token = issue_token(session=session, user=cara).token
    session.commit()
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert elsewhere.get("/candidate").status_code == 200
    assert client.get("/api/v1/me", headers=bearer).status_code == 200

    ask_for_link(client, "cara@example.org")
    [mail] = mailed(1)
    assert "works once, for 1 hour" in mail.text
    link = reset_path(mail)
    form = client.get(link)
    assert form.status_code == 200
    assert "For cara@example.org" in text(form)
    done = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert done.status_code == 303 and done.location == "/candidate"
    assert client.get("/candidate").status_code == 200  # this browser is logged in
    assert elsewhere.get("/candidate").status_code == 302  # the other one is not
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    again = client.get(link)
    assert again.status_code == 410
    assert "This link no longer works" in text(again)
    replay = client.post(
        link, data={"new_password": "yet another one", "confirm": "yet another one"}
    )
    assert replay.status_code == 410
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": cara.email, "password": PASSWORD}).status_code == 200
    log_in(fresh, cara, password=NEW_PASSWORD)


def test_a_link_older_than_an_hour_is_refused(
    client: FlaskClient, make_user, mailed, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(email="cara@example.org")
    with monkeypatch.context() as earlier:
        # The link is signed 61 minutes ago.
        earlier.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3660)
        ask_for_link(client, "cara@example.org")
        [mail] = mailed(1)

    response = client.get(reset_path(mail))

    assert response.status_code == 410
    assert "expired or has already been used" in text(response)
    assert (
        client.post(
            reset_path(mail), data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 410
    )


def test_a_forged_or_altered_link_is_refused(client: FlaskClient, make_user, mailed) -> None:
    make_user(email="cara@example.org")
    ask_for_link(client, "cara@example.org")
    link = reset_path(mailed(1)[0])

    assert client.get(link[:-2] + ("xx" if not link.endswith("xx") else "yy")).status_code == 410
    assert client.get("/password/reset/not-a-token").status_code == 410


def test_a_bad_new_password_is_shown_beside_its_field_and_the_link_still_works(
    client: FlaskClient, engine: Engine, make_user, mailed
) -> None:
    cara = make_user(email="cara@example.org")
    ask_for_link(client, "cara@example.org")
    link = reset_path(mailed(1)[0])

    short = client.post(link, data={"new_password": "short", "confirm": "short"})
    mismatch = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": "something else"})

    assert short.status_code == 422
    assert page(short).by_id("new_password-error").text == ("✗ Must be at least 8 characters.")
    assert mismatch.status_code == 422
    assert "Does not match the new password." in page(mismatch).by_id("confirm-error").text
    both = page(client.post(link, data={"new_password": "short", "confirm": "shorter"}))
    assert both.by_id("new_password-error").text == "✗ Must be at least 8 characters."
    assert "Does not match the new password." in both.by_id("confirm-error").text
    with Session(engine) as fresh:
        stored = fresh.get(User, cara.id)
        assert stored is not None and stored.password_hash == cara.password_hash
    assert client.get(link).status_code == 200


def test_the_reset_page_says_once_that_other_devices_are_logged_out(
    client: FlaskClient, make_user, mailed
) -> None:
    make_user(email="cara@example.org")
    ask_for_link(client, "cara@example.org")
    html = page(client.get(reset_path(mailed(1)[0])))
    assert html.find("form").text.count("logged out") == 0  # the header says it
    assert html.find("main").text.count("logged out") == 1


def test_asking_for_links_again_and_again_is_limited_like_logins(
    app: Flask, client: FlaskClient, make_user, mailed
) -> None:
    make_user(email="cara@example.org")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert (
            client.post("/password/forgot", data={"email": "cara@example.org"}).status_code == 303
        )

    refused = client.post("/password/forgot", data={"email": "cara@example.org"})

    assert refused.status_code == 429
    assert refused.headers["Retry-After"].isdigit()
    # nothing failed: it says what was asked too often
    assert "Too many reset links asked for this address. Please wait" in text(refused)
    assert "failed" not in text(refused)
    assert len(mailed(limit)) == limit
    # Logging in is counted apart: the account is not locked by reset requests.
    cara_login = client.post("/login", data={"email": "cara@example.org", "password": PASSWORD})
    assert cara_login.status_code == 303
