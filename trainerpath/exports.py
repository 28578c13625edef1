"""CSV downloads: a candidate's evidence of one kind, and the audit trail.

Each is a generator of text lines over keyset batches, so a response can stream a file
of any length while holding one batch in memory. A cell that a spreadsheet would read
as a formula (it starts with ``=``, ``+``, ``-`` or ``@``) is neutralised with a leading
``'``: an exported note such as ``=HYPERLINK(...)`` stays text when the file is opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from trainerpath import queries
from trainerpath.dashboards.admin import audit_batches
from trainerpath.dashboards.common import aware
from trainerpath.services.evidence_import import FORMULA_STARTS, REVIEW_COLUMNS
from trainerpath.services.evidence_kinds import evidence_kind

AUDIT_COLUMNS = ("at", "actor", "candidate", "action", "subject", "detail")
BOM = "\ufeff"  # spreadsheets read the file as UTF-8 with it; the CSV import accepts it


def neutralise(text: str) -> str:
    """The text with a leading ``'`` if a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """A value as a CSV cell: ISO dates and UTC moments, true/false, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_lines(header: Sequence[str], batches: Iterable[Iterable[Sequence[Any]]]) -> Iterator[str]:
    """The header and then every row as CSV text, a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([cell(value) for value in row] for row in rows)
        yield buffer.getvalue()


def evidence_header(kind: str) -> list[str]:
    """The columns of a kind's CSV: its field names (the import's header), then the review."""
    return [*evidence_kind(kind).field_names, *REVIEW_COLUMNS]


def evidence_csv(session: Session, kind: str, candidate_id: int) -> Iterator[str]:
    """The candidate's items of one kind as CSV lines, oldest first."""
    fields = evidence_kind(kind).field_names
    batches = (
        (
            [
                *(getattr(item, name) for name in fields),
                item.review_status,
                reviewer,
                item.reviewed_at,
            ]
            for item, reviewer in batch
        )
        for batch in queries.evidence_batches(session, kind, candidate_id)
    )
    return csv_lines(evidence_header(kind), batches)


def audit_csv(session: Session, candidate_id: int | None = None) -> Iterator[str]:
    """The audit trail (of one candidate, if given) as CSV lines, newest first."""
    batches = (
        (
            [
                row.entry.at,
                row.actor,
                row.candidate,
                row.entry.action,
                row.entry.subject,
                row.entry.detail,
            ]
            for row in batch
        )
        for batch in audit_batches(session, candidate_id)
    )
    return csv_lines(AUDIT_COLUMNS, batches)
