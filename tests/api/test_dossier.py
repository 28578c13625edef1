"""The application dossier as PDF: read back, its figures are those of the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dossier_record import CO_TRAINER, REFLECTION, STUDENTS_TOTAL, cst_record, pdf_words
from sqlalchemy.orm import Session

from trainerpath.models import EvidenceBase

from .conftest import Api, Cast, error_of


def test_the_dossier_pdf_holds_the_log_the_verifiers_and_what_is_unmet(
    api: Api,
    cast: Cast,
    session: Session,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> None:
    enrollment = cst_record(session, make_evidence, make_enrollment, cast.candidate, cast.mentor)
    path = f"/enrollments/{enrollment.id}/dossier.pdf"

    response = api.get(path, cast.token("mentor"))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    words = pdf_words(response.data)
    assert "Cora Candidate" in words and "Certified Scrum Trainer (April 2024)" in words
    assert f"Students total: {STUDENTS_TOTAL}" in words
    assert "CSM Lisbon (ScrumMaster)" in words and CO_TRAINER in words and "60%" in words
    assert REFLECTION.split()[0] in words
    assert "Mia Mentor" in words  # who verified each item
    assert "Still unmet" in words and "Learning objectives mapped" in words
    assert "CSM Pending" not in words  # only verified evidence

    for who in ("other_candidate", "other_mentor"):
        assert error_of(api.get(path, cast.token(who)))[:2] == (404, "not_found")


def test_the_api_dossier_shows_times_in_the_callers_zone_as_the_web_one_does(
    api: Api,
    cast: Cast,
    session: Session,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> None:
    enrollment = cst_record(session, make_evidence, make_enrollment, cast.candidate, cast.mentor)
    cast.mentor.time_zone = "Pacific/Kiritimati"
    session.merge(cast.mentor)
    session.commit()

    response = api.get(f"/enrollments/{enrollment.id}/dossier.pdf", cast.token("mentor"))
    words = pdf_words(response.data)
    # The web's page and PDF said "generated …, Pacific/Kiritimati"; the API's said UTC.
    assert "Pacific/Kiritimati" in words
