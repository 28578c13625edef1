"""Records out on the web: the record and evidence as files, the audit CSV, the dossier."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from dossier_record import CO_TRAINER, STUDENTS_TOTAL, cst_record
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from trainerpath.models import AuditEntry, EvidenceBase, ReviewStatus, User
from trainerpath.services.evidence_kinds import KINDS

from .conftest import Cast, log_in, page, text


def rows_of(response: TestResponse) -> list[list[str]]:
    """The CSV download's rows, the header first."""
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def client_of(app: Flask, user: User) -> FlaskClient:
    """A browser of its own, logged in as ``user``."""
    client = app.test_client()
    log_in(client, user)
    return client


def test_the_candidate_downloads_a_kind_as_csv_with_its_review_and_formulas_defused(
    client: FlaskClient,
    cast: Cast,
    session: Session,
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    verified = make_evidence(cast.candidate, "teaching-sessions", title='=HYPERLINK("x")')
    verified.reviewed_by = cast.mentor.id
    session.commit()
    make_evidence(cast.candidate, "teaching-sessions", status="pending", title="@SUM(A1)")
    make_evidence(cast.other_candidate, "teaching-sessions", title="Otto's course")
    log_in(client, cast.candidate)
    link = page(client.get("/evidence/teaching-sessions")).find(
        "a", href=f"/candidates/{cast.candidate.id}/teaching-sessions.csv"
    )
    assert link is not None

    response = client.get(f"/candidates/{cast.candidate.id}/teaching-sessions.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    header, *rows = rows_of(response)
    fields = list(KINDS["teaching-sessions"].field_names)
    assert header == [*fields, "review_status", "reviewer", "reviewed_at"]
    assert [row[0] for row in rows] == ['\'=HYPERLINK("x")', "'@SUM(A1)"]
    first = dict(zip(header, rows[0], strict=True))
    assert first["students"] == "10" and first["context"] == "independent"
    assert first["review_status"] == "verified" and first["reviewer"] == "Mia Mentor"
    assert first["reviewed_at"].startswith(str(verified.reviewed_at.date()))
    assert rows[1][-3:] == [ReviewStatus.PENDING.value, "", ""]


def test_the_candidates_mentor_and_admins_download_others_get_404(
    app: Flask, cast: Cast, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(cast.candidate, "credentials")
    paths = [
        f"/candidates/{cast.candidate.id}/credentials.csv",
        f"/candidates/{cast.candidate.id}/record.json",
    ]
    for who, status in [
        (cast.mentor, 200),
        (cast.admin, 200),
        (cast.other_mentor, 404),
        (cast.other_candidate, 404),
    ]:
        client = client_of(app, who)
        assert [client.get(path).status_code for path in paths] == [status, status], who.name
    mentor = client_of(app, cast.mentor)
    assert mentor.get(f"/candidates/{cast.candidate.id}/nonsense.csv").status_code == 404
    links = page(mentor.get(f"/mentor/candidates/{cast.candidate.id}"))
    assert links.find("a", href=f"/candidates/{cast.candidate.id}/record.json") is not None


def test_download_my_record_is_the_api_export_document_as_a_file(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(cast.candidate, "milestones")
    log_in(client, cast.candidate)
    dashboard = page(client.get("/candidate"))
    assert dashboard.find("a", href=f"/candidates/{cast.candidate.id}/record.json") is not None

    response = client.get(f"/candidates/{cast.candidate.id}/record.json")

    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.get_data(as_text=True))
    assert document["format"] == "trainerpath-export"
    assert document["profile"]["email"] == "cara@example.org"
    assert len(document["evidence"]["milestones"]) == 1


def test_the_audit_csv_follows_the_candidate_filter(
    client: FlaskClient, cast: Cast, session: Session
) -> None:
    for who, detail in [(cast.candidate, "=2+3"), (cast.other_candidate, "Otto's change")]:
        session.add(
            AuditEntry(
                actor_id=cast.admin.id,
                candidate_id=who.id,
                action="evidence.reviewed",
                subject="milestones/1",
                detail=detail,
            )
        )
    session.commit()
    log_in(client, cast.admin)
    audit = page(client.get(f"/admin/audit?candidate={cast.candidate.id}"))
    link = audit.find("a", href=f"/admin/audit.csv?candidate={cast.candidate.id}")
    assert link is not None

    header, *rows = rows_of(client.get(f"/admin/audit.csv?candidate={cast.candidate.id}"))
    everyone = rows_of(client.get("/admin/audit.csv"))[1:]

    assert header == ["at", "actor", "candidate", "action", "subject", "detail"]
    mine = [row for row in rows if row[3] == "evidence.reviewed"]
    assert [row[1:] for row in mine] == [
        ["Ada Admin", "Cara Candidate", "evidence.reviewed", "milestones/1", "'=2+3"]
    ]
    assert {row[2] for row in rows} == {"Cara Candidate"}
    assert "Otto's change" in {row[5] for row in everyone}
    assert client.get("/admin/audit.csv?candidate=nobody-at-all").status_code == 404
    assert client_of(client.application, cast.mentor).get("/admin/audit.csv").status_code == 403


def test_the_dossier_page_shows_requirements_evidence_verifiers_and_gaps(
    client: FlaskClient,
    cast: Cast,
    session: Session,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> None:
    enrollment = cst_record(session, make_evidence, make_enrollment, cast.candidate, cast.mentor)
    log_in(client, cast.candidate)
    card = page(client.get("/candidate")).by_id(f"enrollment-{enrollment.id}")
    assert card.find("a", href=f"/enrollments/{enrollment.id}/dossier") is not None

    response = client.get(f"/enrollments/{enrollment.id}/dossier")

    html = page(response)
    words = text(response)
    assert "Cara Candidate" in words and "Certified Scrum Trainer (April 2024)" in words
    assert f"Students total: {STUDENTS_TOTAL}" in words
    log = html.find("table", class_="log")
    assert log is not None and len(log.find("tbody").find_all("tr")) == 3  # not the pending one
    assert CO_TRAINER in log.text and "60%" in log.text and "Mia Mentor" in log.text
    unmet = html.find("section", class_="unmet")
    assert unmet is not None
    assert "Learning objectives mapped" in unmet.text and "Qualifying training events" in unmet.text
    assert "Active CSP of the track" not in unmet.text
    assert "1 item waits for review" in words
    assert html.find("a", href=f"/enrollments/{enrollment.id}/dossier.pdf") is not None
    other = client_of(client.application, cast.other_mentor)
    assert other.get(f"/enrollments/{enrollment.id}/dossier").status_code == 404
