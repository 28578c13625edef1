"""A CST candidate's record for the dossier tests: a co-training log, and gaps."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from conftest import days_ago
from pypdf import PdfReader
from sqlalchemy.orm import Session

from trainerpath.models import Enrollment, EvidenceBase, ReviewStatus, User

COURSES = (("CSM Berlin", 12), ("CSM Lisbon", 15), ("CSM Oslo", 20))
STUDENTS_TOTAL = sum(students for _title, students in COURSES)  # 47
CO_TRAINER = "Tom Trainer"
REFLECTION = "Shortened the intro after feedback"


def pdf_words(data: bytes) -> str:
    """The text of a PDF as its words, one space apart, read back from its pages."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "") for page in reader.pages).split())


def cst_record(
    session: Session,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Enrollment],
    candidate: User,
    verifier: User,
) -> Enrollment:
    """A ``cst@2`` enrollment with three verified co-trained courses, a CSP-SM and five years
    of experience, verified by ``verifier``; a pending course; no learning-objectives
    milestone, and too few qualifying events, so two requirements are unmet."""

    def verified(slug: str, /, **fields: Any) -> None:
        item = make_evidence(candidate, slug, **fields)
        item.reviewed_by = verifier.id
        session.commit()

    for n, (title, students) in enumerate(COURSES):
        verified(
            "teaching-sessions",
            title=title,
            first_day=days_ago(100 * (n + 1)),
            students=students,
            context="co_trained",
            co_trainer=CO_TRAINER,
            share_delivered=60,
            reflection=REFLECTION,
        )
    make_evidence(
        candidate, "teaching-sessions", status=ReviewStatus.PENDING.value, title="CSM Pending"
    )
    verified("credentials", kind="csp_sm", issued_on=days_ago(100))
    verified("experience", role="scrum_master", organisation="Acme", started_on=days_ago(6 * 366))
    verified("assessments", assessment="psm_2", score=91.0, taken_on=days_ago(50))
    return make_enrollment(candidate, "cst", ruleset="cst@2")
