"""Import evidence from a spreadsheet saved as CSV: read, check every row, then all or nothing.

The file is UTF-8 (with or without a BOM), its first line names the kind's fields, and
`,` or `;` separates the cells (whichever the header line uses). Each cell is read as
its field's type (an empty cell is an absent value), then each row goes through the
kind's own validation (``EvidenceKind.validate``, the one the API and the forms use),
so every limit is stated once, in evidence_kinds.py. Rows that look like an item
already on the record, or like an earlier row, are flagged (not refused): the kind's
``same_item`` fields say what "the same" means.

Importing writes every row or none: any error, in the file or in a row, refuses the
whole import. Imported items are pending, each with its audit row; the mentors get
one ``evidence.waiting`` notification counting them all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock
from trainerpath.bounds import typed_text
from trainerpath.models import User

from . import audit, notifications
from .access import visible_candidate
from .errors import Refusal, ValidationFailed
from .evidence import ensure_owner
from .evidence_kinds import (
    DECIMAL,
    EXAMPLES,
    WHOLE,
    EvidenceKind,
    FieldSpec,
    evidence_kind,
    parse_iso_date,
)

MAX_ROWS = 2000
# The columns a downloaded CSV of a kind adds after its fields: read-only facts of the
# review, which an import skips (imported items are always pending), so a file downloaded
# from trainerpath imports as it is.
REVIEW_COLUMNS = ("review_status", "reviewer", "reviewed_at")
# A cell a spreadsheet would take for a formula is downloaded with a leading ``'``; the
# import reads it without (``neutralise`` in exports.py, and ``read_cell``).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list: tab and CR too
# Large enough for 2,000 rows with long notes; the body limit of the import routes.
MAX_BYTES = 2 * 1024 * 1024
DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[DateOrder, ...] = ("dmy", "mdy")
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
MONTH_FIRST = re.compile(r"([A-Za-z]+)\.? +([0-9]{1,2}),? +([0-9]{4})")
DAY_FIRST = re.compile(r"([0-9]{1,2}) +([A-Za-z]+)\.?,? +([0-9]{4})")
MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3])
} | {"sept": 9}


class ImportRefused(Refusal):
    """The import cannot go ahead; nothing was written.

    ``details`` is ``{"csv": why}`` for a problem with the file itself, or
    ``{"rows": [...]}`` (every row, as ``RowPreview.as_dict``) when rows have errors.
    """

    code = "validation_error"

    def __init__(self, message: str, details: Any, preview: ImportPreview | None = None) -> None:
        super().__init__(message, details)
        self.preview = preview  # the rows and their errors, when the rows were at fault


def file_refused(why: str) -> ImportRefused:
    """A refusal for the file as a whole."""
    return ImportRefused(f"This file cannot be imported: it {why}.", {"csv": f"it {why}"})


@dataclass(frozen=True)
class ReadOptions:
    """How to read the cells of a file: the day/month order and which date forms."""

    date_order: DateOrder = "dmy"
    month_names: bool = False  # also "Dec 31, 2024" (the web page; the API keeps to its contract)

    def date_forms(self) -> str:
        """The date forms accepted, in words."""
        slashed = "DD/MM/YYYY" if self.date_order == "dmy" else "MM/DD/YYYY"
        if self.month_names:
            return f"YYYY-MM-DD, {slashed} or Dec 31, 2024"
        return f"YYYY-MM-DD or {slashed}"


@dataclass
class RowPreview:
    """One data row: its line in the file, its values as they will be stored, its errors.

    A value whose cell could not be read or was refused is shown as the cell's text.
    """

    line: int
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    looks_like: str | None = None  # why the row may duplicate an item or an earlier row

    def as_dict(self) -> dict[str, Any]:
        """The row as the API shows it."""
        return {"line": self.line, "values": self.values, "errors": self.errors}


@dataclass
class ImportPreview:
    """Every data row of a file, in file order."""

    kind: EvidenceKind
    rows: list[RowPreview]
    text: str  # the file's text, to import it after the preview

    @property
    def clean(self) -> bool:
        """Whether no row has an error (duplicates are only flagged)."""
        return not any(row.errors for row in self.rows)

    @property
    def rows_with_errors(self) -> int:
        """How many rows have an error."""
        return sum(1 for row in self.rows if row.errors)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (nothing, for a dry run)."""

    preview: ImportPreview
    created: int


# -- Reading the file -----------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8, a BOM dropped; refuse other encodings."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_refused("is not UTF-8 text: save it as “CSV UTF-8”") from None
    return text


def _delimiter(header_line: str) -> str:
    """`;` if the header line uses more of them than commas, else `,`."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _header(kind: EvidenceKind, cells: list[str]) -> list[str]:
    """The field name of each column; refuse unknown, repeated or missing columns."""
    names = [cell.strip().lower() for cell in cells]
    expected = ", ".join(kind.field_names)
    unknown = [
        name for name in names if name not in kind.field_names and name not in REVIEW_COLUMNS
    ]
    if unknown:
        shown = ", ".join(f"“{name}”" if name else "an empty one" for name in unknown[:3])
        raise file_refused(
            f"has columns that are not fields of this kind ({shown}); use {expected}"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise file_refused(f"names the column “{repeated[0]}” twice")
    missing = [spec.name for spec in kind.fields if spec.required and spec.name not in names]
    if missing:
        raise file_refused(
            "lacks the required column" + "s" * (len(missing) > 1) + ": " + ", ".join(missing)
        )
    return names


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """Each record of the CSV text with the line it starts on (1 for the header)."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise file_refused(f"cannot be read as CSV near line {reader.line_num} ({error})") from None


def read_rows(kind: EvidenceKind, text: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows of the file, each as ``{field: cell}`` with its line; blank rows skipped."""
    if "\x00" in text:  # no text field may hold one (PostgreSQL cannot store it)
        raise file_refused("holds NUL characters, so it is not a CSV text file")
    records = iter(_rows(text.removeprefix("\ufeff")))
    header_record = next(records, None)
    if header_record is None or not any(cell.strip() for cell in header_record[1]):
        raise file_refused(
            "is empty: its first line must name the columns, e.g. " + ",".join(kind.field_names)
        )
    names = _header(kind, header_record[1])
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise file_refused(
                f"has more than {MAX_ROWS:,} rows; split it into files of at most {MAX_ROWS:,}"
            )
        row = dict(zip(names, cells, strict=False))
        if len(cells) > len(names):
            row["row"] = f"has {len(cells)} cells, but the header names {len(names)} columns"
        rows.append((line, row))
    if not rows:
        raise file_refused("has no rows below its header")
    return rows


# -- Reading the cells ----------------------------------------------------------------


def parse_date(text: str, options: ReadOptions) -> date | None:
    """The date a cell spells in one of the accepted forms, or None."""
    iso = parse_iso_date(text)
    if iso is not None:
        return iso
    parts: tuple[str, str, str] | None = None  # day, month, year
    if match := SLASHED.fullmatch(text):
        first, second, year = match.groups()
        parts = (first, second, year) if options.date_order == "dmy" else (second, first, year)
    elif options.month_names and (
        match := MONTH_FIRST.fullmatch(text) or DAY_FIRST.fullmatch(text)
    ):
        a, b, year = match.groups()
        day, month_name = (b, a) if match.re is MONTH_FIRST else (a, b)
        month = MONTHS.get(month_name.lower())
        parts = (day, str(month), year) if month else None
    if parts is None:
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def _date_error(text: str, options: ReadOptions) -> str:
    other = ReadOptions("mdy" if options.date_order == "dmy" else "dmy", options.month_names)
    if SLASHED.fullmatch(text) and parse_date(text, other) is not None:
        order = "month/day" if other.date_order == "mdy" else "day/month"
        return f"is not a date in this order; does the file write dates {order}?"
    return f"must be a date: {options.date_forms()}"


def read_cell(spec: FieldSpec, text: str, options: ReadOptions) -> tuple[Any, str | None]:
    """A cell as its field's type (None when empty), or its text and why it cannot be read."""
    text = typed_text(text)
    if not text:
        return None, None
    if spec.type == "int":
        return (int(text), None) if WHOLE.fullmatch(text) else (text, "must be a whole number")
    if spec.type == "number":
        if DECIMAL.fullmatch(text):
            return float(text), None
        return text, "must be a number, with a . before any decimals"
    if spec.type == "bool":
        value = BOOLEANS.get(text.lower())
        return (
            (value, None) if value is not None else (text, "must be true, false, yes, no, 1 or 0")
        )
    if spec.type == "date":
        day = parse_date(text, options)
        return (day, None) if day is not None else (text, _date_error(text, options))
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:], None  # as downloaded: the ' only kept a spreadsheet from computing
    return text, None


def check_row(
    kind: EvidenceKind, line: int, cells: dict[str, str], options: ReadOptions, today: date
) -> RowPreview:
    """Read a row's cells and validate them as one item of the kind."""
    data: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    for spec in kind.fields:
        value, error = read_cell(spec, cells.get(spec.name, ""), options)
        if error:
            unreadable[spec.name] = error
        data[spec.name] = value
    try:
        values = kind.validate(data, today)
        errors: dict[str, str] = {}
    except ValidationFailed as refusal:
        errors = dict(refusal.errors)
        # The fields that are fine as they would be stored (a default for one left out).
        # Those derived from them (a credential's validity) are known once the row is fine.
        values = {
            spec.name: data[spec.name]
            if spec.name in errors or spec.name in unreadable
            else spec.clean(data[spec.name], today)[0]
            for spec in kind.fields
        } | dict.fromkeys(kind.derived.names)
    errors |= unreadable
    if "row" in cells:
        errors["row"] = cells["row"]
    shown = {
        name: (cells.get(name, "").strip() or None) if name in errors else value
        for name, value in values.items()
    }
    return RowPreview(line=line, values=shown, errors=errors)


# -- Duplicates -----------------------------------------------------------------------


def _same_key(kind: EvidenceKind, values: dict[str, Any]) -> tuple[Any, ...]:
    """What two items share when they look like one: the ``same_item`` values, text folded."""
    return tuple(
        " ".join(value.split()).casefold() if isinstance(value, str) else value
        for value in (values.get(name) for name in kind.same_item)
    )


def _existing_keys(
    session: Session, kind: EvidenceKind, candidate_id: int, rows: Sequence[RowPreview]
) -> set[tuple[Any, ...]]:
    """The keys of the candidate's items whose day is one of the rows' days."""
    day_field = next(name for name in kind.same_item if kind.spec(name).type == "date")
    days = {row.values[day_field] for row in rows if not row.errors}
    if not days:
        return set()
    model = kind.model
    found = session.execute(
        select(*(getattr(model, name) for name in kind.same_item)).where(
            col(model.candidate_id) == candidate_id, getattr(model, day_field).in_(sorted(days))
        )
    )
    return {_same_key(kind, dict(zip(kind.same_item, row, strict=True))) for row in found}


def flag_duplicates(
    session: Session, kind: EvidenceKind, candidate_id: int, rows: Sequence[RowPreview]
) -> None:
    """Flag each clean row that looks like an item on the record or an earlier row."""
    *others, last = [kind.spec(name).label.lower() for name in kind.same_item]
    fields = f"{', '.join(others)} and {last}" if others else last
    existing = _existing_keys(session, kind, candidate_id, rows)
    first_line: dict[tuple[Any, ...], int] = {}
    for row in rows:
        if row.errors:
            continue
        key = _same_key(kind, row.values)
        if key in existing:
            row.looks_like = f"Same {fields} as an item already on your record"
        elif key in first_line:
            row.looks_like = f"Same {fields} as line {first_line[key]}"
        first_line.setdefault(key, row.line)


# -- The import -----------------------------------------------------------------------


def preview_import(
    *,
    session: Session,
    actor: User,
    candidate_id: int,
    kind: str,
    data: bytes | str,
    options: ReadOptions,
    today: date | None = None,
) -> ImportPreview:
    """Read and check every row of a file for the candidate's own record; write nothing.

    Refuses (ImportRefused, ``{"csv": why}``) a file that cannot be read as this kind.
    """
    spec = evidence_kind(kind)
    visible_candidate(session, actor, candidate_id)
    ensure_owner(actor, candidate_id, "import evidence into their record")
    text = decode(data) if isinstance(data, bytes) else data
    day = today or clock.today()
    rows = [check_row(spec, line, cells, options, day) for line, cells in read_rows(spec, text)]
    flag_duplicates(session, spec, candidate_id, rows)
    return ImportPreview(spec, rows, text)


def import_evidence(
    *,
    session: Session,
    actor: User,
    candidate_id: int,
    kind: str,
    data: bytes | str,
    options: ReadOptions,
    dry_run: bool,
    today: date | None = None,
) -> ImportResult:
    """Check a file, then (unless ``dry_run``) add every row as a pending item, or none.

    Refuses with ImportRefused when the file or any row has an error.
    """
    preview = preview_import(
        session=session,
        actor=actor,
        candidate_id=candidate_id,
        kind=kind,
        data=data,
        options=options,
        today=today,
    )
    if not preview.clean:
        bad = preview.rows_with_errors
        raise ImportRefused(
            f"{bad} row{' has' if bad == 1 else 's have'} errors, so nothing was imported; "
            "the details list every row.",
            {"rows": [row.as_dict() for row in preview.rows]},
            preview,
        )
    if dry_run:
        return ImportResult(preview, 0)
    spec = preview.kind
    items = [spec.model(candidate_id=candidate_id, **row.values) for row in preview.rows]
    session.add_all(items)
    session.flush()
    for item in items:
        audit.record(
            session,
            actor=actor,
            candidate_id=candidate_id,
            action="evidence.logged",
            subject=f"{kind}/{item.id}",
            detail=spec.summary(item) + " (imported from CSV)",
        )
    notifications.evidence_waiting(session, actor=actor, slug=kind, item=items[0], count=len(items))
    return ImportResult(preview, len(items))


def template_csv(kind: EvidenceKind) -> str:
    """A CSV template for the kind: the header row and one example row.

    It starts with a BOM, so that spreadsheet programs read it as UTF-8.
    """
    example = EXAMPLES.get(kind.slug, {})
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(kind.field_names)
    writer.writerow([_cell(example.get(name)) for name in kind.field_names])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
