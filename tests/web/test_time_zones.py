"""Each user's time zone: taken from the browser at the first login, chosen on a page,
and the zone the pages show times in (stored times stay UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import PASSWORD
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trainerpath.models import AuditEntry, User

from .conftest import Cast, fetch_one, log_in, page, text


def zone_of(engine: Engine, user: User) -> str | None:
    return fetch_one(engine, select(User).where(User.id == user.id)).time_zone


def test_the_first_login_keeps_the_browsers_zone_and_later_ones_do_not_change_it(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    login = {"email": cast.mentor.email, "password": PASSWORD}
    client.post("/login", data=login | {"time_zone": "Asia/Tokyo"})
    assert zone_of(engine, cast.mentor) == "Asia/Tokyo"
    client.post("/logout")
    client.post("/login", data=login | {"time_zone": "America/New_York"})
    assert zone_of(engine, cast.mentor) == "Asia/Tokyo"


def test_a_zone_that_is_not_one_is_ignored_at_login(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    login = {"email": cast.mentor.email, "password": PASSWORD, "time_zone": "Mars/Olympus"}
    assert client.post("/login", data=login).status_code == 303
    assert zone_of(engine, cast.mentor) is None


def test_a_user_chooses_a_zone_and_a_wrong_one_is_refused_next_to_the_field(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    log_in(client, cast.candidate)
    assert "Now UTC" in text(client.get("/account/time-zone"))
    refused = client.post("/account/time-zone", data={"time_zone": "Europe/Atlantis"})
    assert refused.status_code == 422
    error = page(refused).by_id("time_zone-error").text
    assert "Must be a time zone such as Europe/Berlin" in error
    assert zone_of(engine, cast.candidate) is None
    saved = client.post("/account/time-zone", data={"time_zone": "Europe/Berlin"})
    assert "Times now show in Europe/Berlin." in text(client.get(saved.headers["Location"]))
    assert zone_of(engine, cast.candidate) == "Europe/Berlin"


def test_the_audit_trail_shows_times_in_the_admins_zone(
    client: FlaskClient, cast: Cast, session: Session
) -> None:
    session.add(
        AuditEntry(
            actor_id=cast.admin.id,
            action="test.entry",
            subject="users/1",
            at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC),
        )
    )
    admin = session.get(User, cast.admin.id)
    assert admin is not None
    admin.time_zone = "Asia/Tokyo"  # UTC+9: 22:30 UTC is 07:30 the next day
    session.commit()
    log_in(client, cast.admin)
    html = page(client.get("/admin/audit"))
    assert "When (Asia/Tokyo)" in html.find("table").find("thead").text
    assert "2 Jul 2026, 07:30" in html.find("table").text
