"""What the pages and the API show is never a stale standing (issue 9).

The standing is stored, but the day it was measured is part of it: once the day has
moved past a credential's expiry, the dashboard, the mentor's table and the API all
show it expired, and what they measured is stored for the next view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock
from trainerpath.models import EvidenceBase, Standing
from trainerpath.services.pathways import enrol

from .conftest import Cast, fetch_one, log_in, text

TODAY = clock.today()
MET = "An active CSP credential of the track is on record"
NEEDED = "An active CSP-SM credential is needed on the ScrumMaster track"


def test_the_day_after_a_credential_expires_every_view_shows_it_expired(
    app: Flask,
    client: FlaskClient,
    cast: Cast,
    session: Session,
    make_evidence: Callable[..., EvidenceBase],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A CSP lasts two years: issued two years ago tomorrow, it is active through today.
    issued = TODAY.replace(year=TODAY.year - 2) + timedelta(days=1)
    make_evidence(cast.candidate, "credentials", kind="csp_sm", issued_on=issued)
    enrollment = enrol(
        session=session, actor=cast.candidate, candidate_id=cast.candidate.id or 0, pathway="cst"
    )
    session.commit()
    token = client.post(
        "/api/v1/tokens", json={"email": cast.candidate.email, "password": "correct horse battery"}
    ).get_json()["token"]
    api = {"Authorization": f"Bearer {token}"}

    def csp_met() -> bool:
        body = client.get(f"/api/v1/enrollments/{enrollment.id}", headers=api).get_json()
        return next(r["met"] for r in body["requirements"] if r["key"] == "csp_active")

    log_in(client, cast.candidate)
    assert MET in text(client.get("/candidate"))
    assert csp_met() is True

    later = TODAY + timedelta(days=2)
    monkeypatch.setattr(clock, "today", lambda: later)
    response = client.get("/candidate")
    page = text(response)
    response.close()  # as a server does once the page is sent: the standing is stored then
    assert NEEDED in page and MET not in page
    assert csp_met() is False
    stored = fetch_one(
        app.extensions["trainerpath.engine"],
        select(Standing).where(col(Standing.enrollment_id) == enrollment.id),
    )
    assert stored.computed_on == later  # the view stored what it measured, for the next

    mentor = app.test_client()
    log_in(mentor, cast.mentor)
    assert "0 of 5 requirements met" in text(mentor.get("/mentor/"))
