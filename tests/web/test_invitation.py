"""Invitations: an admin creates a user without a password; the user chooses one from a mail.

Both ways in (the admin's users page and ``POST /api/v1/users``) are followed to the
mail that arrives at a real SMTP server and through its link.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from smtp_server import Received
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from test_account_races import overlapping

from trainerpath import links
from trainerpath.models import AuditEntry, User
from trainerpath.services import password_links
from trainerpath.services.password_links import fingerprint
from trainerpath.services.tokens import issue_token
from trainerpath.services.users import authenticate, create_invited_user

from .conftest import Cast, fetch_all, fetch_one, log_in, page, text

CHOSEN = "my own passphrase"


@pytest.fixture
def app_config(mail_app_config: dict[str, Any]) -> dict[str, Any]:
    """Send to the test's SMTP server."""
    return mail_app_config


def invite(client: FlaskClient, **fields: str) -> Any:
    """Submit the admin's "Create a user" form with the invitation box ticked."""
    data = {"name": "Nia New", "email": "nia@example.org", "role": "mentor", "invite": "y"}
    return client.post("/admin/users", data=data | fields)


def invitation_path(mail: Received) -> str:
    """The path of the invitation link in a mail."""
    return urlsplit(mail.link_to("/invitation/")).path


def user_named(engine: Engine, email: str) -> User | None:
    """The stored user with this address."""
    return fetch_one(engine, select(User).where(User.email == email))


def test_an_invited_user_chooses_a_password_from_the_mail_and_is_logged_in(
    app: Flask, client: FlaskClient, engine: Engine, cast: Cast, mailed
) -> None:
    log_in(client, cast.admin)
    box = page(client.get("/admin/users")).by_id("invite")
    assert box.get("type") == "checkbox" and "checked" not in box.attrs

    created = invite(client)

    assert created.status_code == 303
    assert "Nia New is invited" in text(client.get("/admin/users"))
    nia = user_named(engine, "nia@example.org")
    assert nia is not None and nia.role == "mentor" and nia.invited_at is not None
    assert "Invited" in page(client.get("/admin/users")).by_id(f"user-{nia.id}").text
    [mail] = mailed(1)
    assert mail.recipients == ["nia@example.org"]
    assert mail.subject == "You are invited to trainerpath"
    assert "Ada Admin invited you to trainerpath as a mentor." in mail.text
    assert "works once, for 7 days" in mail.text
    # Until Nia chooses a password, no password logs her in.
    visitor = app.test_client()
    refused = visitor.post("/login", data={"email": "nia@example.org", "password": "!invited:"})
    assert refused.status_code == 200 and "do not match an account" in text(refused)

    link = invitation_path(mail)
    welcome = text(visitor.get(link))
    assert "Welcome, Nia New" in welcome
    assert "logged out" not in welcome  # a new account has no devices to log out
    done = visitor.post(link, data={"new_password": CHOSEN, "confirm": CHOSEN})

    assert done.status_code == 303 and done.location == "/mentor/"
    assert "Welcome to trainerpath, Nia New!" in text(visitor.get("/mentor/"))
    accepted = user_named(engine, "nia@example.org")
    assert accepted is not None and accepted.invited_at is None
    assert visitor.get(link).status_code == 410  # once only
    log_in(app.test_client(), accepted, password=CHOSEN)
    actions = fetch_all(
        engine, select(AuditEntry.action).where(AuditEntry.subject == f"users/{nia.id}")
    )
    assert actions == ["user.invited", "user.invitation_accepted"]


def test_an_invitation_with_a_password_too_is_refused_beside_the_field(
    client: FlaskClient, engine: Engine, cast: Cast, mailed
) -> None:
    log_in(client, cast.admin)

    response = invite(client, password="a password as well")

    assert response.status_code == 422
    assert (
        "Must be left out when an invitation is sent."
        in page(response).by_id("password-error").text
    )
    assert user_named(engine, "nia@example.org") is None
    assert mailed(0) == []


def test_without_the_invitation_box_the_admin_still_sets_a_password(
    client: FlaskClient, engine: Engine, cast: Cast, mailed
) -> None:
    log_in(client, cast.admin)

    no_password = client.post(
        "/admin/users", data={"name": "Nia", "email": "nia@example.org", "role": "mentor"}
    )
    with_password = client.post(
        "/admin/users",
        data={"name": "Nia", "email": "nia@example.org", "role": "mentor", "password": CHOSEN},
    )

    assert no_password.status_code == 422
    assert "This field is required." in page(no_password).by_id("password-error").text
    assert with_password.status_code == 303
    nia = user_named(engine, "nia@example.org")
    assert nia is not None and nia.invited_at is None
    assert mailed(0) == []


def test_an_invitation_older_than_its_days_is_refused_and_the_admin_can_send_another(
    client: FlaskClient, engine: Engine, cast: Cast, mailed, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_in(client, cast.admin)

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 86400

    def signed_earlier(purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            "test-secret", salt=f"trainerpath.{purpose}", signer=EightDaysAgo
        )

    with monkeypatch.context() as earlier:
        earlier.setattr(links, "_serializer", signed_earlier)  # the link is signed 8 days ago
        invite(client)
        [old] = mailed(1)
    assert client.get(invitation_path(old)).status_code == 410
    nia = user_named(engine, "nia@example.org")
    assert nia is not None

    resent = client.post(f"/admin/users/{nia.id}/invitation")

    assert resent.status_code == 303
    assert "A new invitation is on its way to nia@example.org." in text(client.get("/admin/users"))
    new = mailed(2)[1]
    assert client.get(invitation_path(new)).status_code == 200


def test_sending_an_invitation_again_retires_the_link_sent_before(
    client: FlaskClient, engine: Engine, cast: Cast, mailed
) -> None:
    log_in(client, cast.admin)
    invite(client)
    [first] = mailed(1)
    nia = user_named(engine, "nia@example.org")
    assert nia is not None
    assert client.post(f"/admin/users/{nia.id}/invitation").status_code == 303
    second = mailed(2)[1]
    # a lost or forwarded first mail no longer opens the account
    assert client.get(invitation_path(first)).status_code == 410
    assert client.get(invitation_path(second)).status_code == 200


def test_an_invitation_cannot_be_sent_again_once_the_password_is_chosen(
    client: FlaskClient, cast: Cast, mailed
) -> None:
    log_in(client, cast.admin)

    response = client.post(f"/admin/users/{cast.mentor.id}/invitation", follow_redirects=True)

    assert "Mia Mentor has already chosen a password." in text(response)
    assert mailed(0) == []


def test_only_admins_invite(client: FlaskClient, engine: Engine, cast: Cast, mailed) -> None:
    log_in(client, cast.mentor)

    assert invite(client).status_code == 403
    assert client.post(f"/admin/users/{cast.candidate.id}/invitation").status_code == 403
    assert user_named(engine, "nia@example.org") is None
    assert mailed(0) == []


def test_the_api_invites_a_user_who_then_sets_a_password(
    app: Flask, client: FlaskClient, session, engine: Engine, cast: Cast, mailed
) -> None:
    token = issue_token(session=session, user=cast.admin).token
    session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"email": "nia@example.org", "name": "Nia New", "role": "candidate", "invite": True}

    with_password = client.post(
        "/api/v1/users", json=body | {"password": "long enough"}, headers=bearer
    )
    without_either = client.post(
        "/api/v1/users", json={k: v for k, v in body.items() if k != "invite"}, headers=bearer
    )
    created = client.post("/api/v1/users", json=body, headers=bearer)

    assert with_password.status_code == 422
    assert with_password.get_json()["error"]["details"] == {
        "password": "must be left out when an invitation is sent"
    }
    assert without_either.status_code == 422
    assert without_either.get_json()["error"]["details"] == {"password": "required"}
    assert created.status_code == 201
    assert created.get_json() | {"id": 0} == {
        "id": 0,
        "email": "nia@example.org",
        "name": "Nia New",
        "role": "candidate",
    }
    [mail] = mailed(1)
    assert "as a candidate" in mail.text
    done = app.test_client().post(
        invitation_path(mail), data={"new_password": CHOSEN, "confirm": CHOSEN}
    )
    assert done.status_code == 303 and done.location == "/candidate"


def test_sending_again_while_the_invitee_chooses_a_password_keeps_their_password(
    app: Flask, engine: Engine, cast: Cast
) -> None:
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        nia = create_invited_user(
            session=session, actor=cast.admin, email="nia@example.org", name="Nia", role="mentor"
        )
        session.commit()
        token = links.sign(password_links.INVITE, {"u": nia.id, "f": fingerprint(nia)})

    def accept(session: Session) -> None:
        with app.app_context():
            password_links.set_password_from_link(
                session=session, purpose=password_links.INVITE, token=token,
                new_password="nia's own choice",
            )  # fmt: skip

    def send_again(session: Session) -> None:
        with app.app_context():
            admin = session.get(User, cast.admin.id)
            assert admin is not None and nia.id is not None
            password_links.resend_invitation(session=session, actor=admin, user_id=nia.id)

    # Unconditioned, PostgreSQL's resend waited for the acceptance, then wrote over the
    # password just chosen: Nia could not log in, and her new link was dead too.
    assert overlapping(engine, accept, send_again) == "InvalidState"
    with Session(engine) as session:
        assert authenticate(session, "nia@example.org", "nia's own choice") is not None
