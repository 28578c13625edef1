"""The CSV exports as the services make them: read in keyset batches, formulas defused."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from trainerpath import exports, queries
from trainerpath.dashboards import admin
from trainerpath.models import AuditEntry, EvidenceBase, User, utcnow

pytestmark = pytest.mark.without_app


def read(lines: Iterator[str]) -> list[list[str]]:
    """The rows the generated lines spell, the header first."""
    return list(csv.reader(io.StringIO("".join(lines).removeprefix("\ufeff"))))


def test_cells_that_a_spreadsheet_would_run_get_a_leading_quote() -> None:
    risky = ["=1+1", "+49 30 1234", "-cmd", "@SUM(A1)", "\t=1+1", "\r=1+1"]
    assert [exports.cell(value) for value in risky] == ["'" + value for value in risky]
    assert [exports.cell(v) for v in ("Plain = fine", None, True)] == ["Plain = fine", "", "true"]


def test_a_kind_is_read_in_batches_and_every_item_arrives_once(
    session: Session,
    make_user: Callable[..., User],
    make_evidence: Callable[..., EvidenceBase],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    candidate = make_user()
    titles = [f"Course {n}" for n in range(5)]
    for title in titles:
        make_evidence(candidate, "teaching-sessions", title=title)
    batches = list(queries.evidence_batches(session, "teaching-sessions", candidate.id or 0, 2))
    assert [len(batch) for batch in batches] == [2, 2, 1]

    real = queries.evidence_batches
    monkeypatch.setattr(queries, "evidence_batches", lambda *a: real(*a, batch=2))
    header, *rows = read(exports.evidence_csv(session, "teaching-sessions", candidate.id or 0))
    assert header[0] == "title" and header[-3:] == ["review_status", "reviewer", "reviewed_at"]
    assert [row[0] for row in rows] == titles


def test_the_audit_trail_is_read_newest_first_in_keyset_batches(
    session: Session, make_user: Callable[..., User]
) -> None:
    candidate, other = make_user(), make_user()
    start = utcnow()
    for n in range(5):
        session.add(
            AuditEntry(
                at=start + timedelta(seconds=n),
                candidate_id=candidate.id,
                action="evidence.logged",
                subject=f"milestones/{n}",
            )
        )
    session.add(AuditEntry(at=start, candidate_id=other.id, action="x", subject="other/1"))
    session.commit()

    batches = list(admin.audit_batches(session, candidate.id, batch=2))

    # Five entries, and the one creating the account: three batches, each entry once.
    assert [len(batch) for batch in batches] == [2, 2, 2]
    subjects = [row.entry.subject for batch in batches for row in batch]
    assert subjects[:5] == [f"milestones/{n}" for n in reversed(range(5))]
    assert subjects[5] == f"users/{candidate.id}"
    everyone = read(exports.audit_csv(session))
    assert {row[4] for row in everyone[1:]} >= {"other/1", "milestones/0"}
