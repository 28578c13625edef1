"""Importing evidence from CSV (issue 11 §2): reading the file, checking each row with the
kind's own validation, flagging look-alikes, and importing all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from conftest import People
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from trainerpath import clock
from trainerpath.exports import evidence_csv
from trainerpath.models import AuditEntry, EvidenceBase, ExperiencePeriod, Notification
from trainerpath.models import TeachingSession as Taught
from trainerpath.services.errors import Forbidden
from trainerpath.services.evidence_import import (
    MAX_ROWS,
    ImportRefused,
    ReadOptions,
    import_evidence,
    parse_date,
    preview_import,
    template_csv,
)
from trainerpath.services.evidence_kinds import KINDS

pytestmark = pytest.mark.without_app  # services need no Flask app

TODAY = date(2026, 6, 30)
KIND = "teaching-sessions"
HEADER = "title,course_type,first_day,days,students,context"
ROW = "CSM Leeds,scrum_master,{day},2,14,independent"


def preview(session: Session, people: People, data: bytes | str, **options: Any) -> Any:
    """Preview ``data`` as the candidate's teaching sessions."""
    return preview_import(
        session=session,
        actor=people.candidate,
        candidate_id=people.candidate.id,
        kind=options.pop("kind", KIND),
        data=data,
        options=ReadOptions(**options),
        today=TODAY,
    )


def file_problem(session: Session, people: People, data: bytes | str) -> str:
    """Why the file as a whole is refused."""
    with pytest.raises(ImportRefused) as refused:
        preview(session, people, data)
    assert set(refused.value.details) == {"csv"}
    return str(refused.value.details["csv"])


def count(session: Session, model: type[Any]) -> int:
    """How many rows of ``model`` there are."""
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.parametrize(
    ("cell", "order", "month_names", "expected"),
    [
        ("2024-12-31", "dmy", False, date(2024, 12, 31)),
        ("31/12/2024", "dmy", False, date(2024, 12, 31)),
        ("12/31/2024", "mdy", False, date(2024, 12, 31)),
        ("1/2/2024", "dmy", False, date(2024, 2, 1)),
        ("1/2/2024", "mdy", False, date(2024, 1, 2)),
        ("Dec 31, 2024", "dmy", True, date(2024, 12, 31)),
        ("31 December 2024", "mdy", True, date(2024, 12, 31)),
        ("Dec 31, 2024", "dmy", False, None),  # the API keeps to its contract's forms
        ("31/02/2024", "dmy", False, None),
        ("2024-W01-1", "dmy", False, None),
    ],
)
def test_dates_are_read_in_the_forms_and_order_chosen(
    cell: str, order: Any, month_names: bool, expected: date | None
) -> None:
    assert parse_date(cell, ReadOptions(order, month_names)) == expected


def test_a_date_in_the_other_order_says_which_order_to_choose(
    session: Session, people: People
) -> None:
    (row,) = preview(session, people, f"{HEADER}\n{ROW.format(day='12/31/2025')}\n").rows
    assert row.errors == {
        "first_day": "is not a date in this order; does the file write dates month/day?"
    }


def test_semicolons_a_bom_and_crlf_line_ends_are_read_like_commas(
    session: Session, people: People
) -> None:
    semicolons = (HEADER + "\r\n" + ROW.format(day="2025-03-04") + "\r\n").replace(",", ";")
    data = "\ufeff".encode() + semicolons.encode()
    (row,) = preview(session, people, data).rows
    assert (row.line, row.errors) == (2, {})
    assert row.values["title"] == "CSM Leeds" and row.values["first_day"] == date(2025, 3, 4)
    # Optional columns left out take the values a form left empty would store.
    assert row.values["share_delivered"] == 100 and row.values["reflection"] == ""


def test_cells_are_typed_and_checked_by_the_kinds_own_rules(
    session: Session, people: People
) -> None:
    header = HEADER + ",co_trainer,share_delivered,with_current_materials"
    data = (
        f"{header}\n"
        "A,scrum_master,2025-01-01,2,14,co_trained,,50,yes\n"  # co-trained needs a co-trainer
        "B,scrum_master,2025-01-01,2,600,independent,,1.5,maybe\n"
        '"C, with a comma",other,2025-01-01,1,1,independent,,,0\n'
        "\n"  # blank lines are skipped, but lines still count
        "D,other,2027-01-01,1,1,independent,,,,surplus\n"
    )
    rows = preview(session, people, data).rows
    assert [row.line for row in rows] == [2, 3, 4, 6]
    assert rows[0].errors == {"co_trainer": "required when the session was co-trained with a CST"}
    assert rows[1].errors == {
        "students": "must be between 1 and 500",
        "share_delivered": "must be a whole number",
        "with_current_materials": "must be true, false, yes, no, 1 or 0",
    }
    assert rows[1].values["with_current_materials"] == "maybe"  # the cell, as written
    assert rows[2].errors == {} and rows[2].values["title"] == "C, with a comma"
    assert rows[2].values["with_current_materials"] is False
    assert rows[3].errors == {
        "first_day": "cannot be in the future",
        "row": "has 10 cells, but the header names 9 columns",
    }


def test_a_file_that_is_not_a_csv_of_the_kind_is_refused_as_a_whole(
    session: Session, people: People
) -> None:
    assert "is empty" in file_problem(session, people, "")
    assert "no rows below its header" in file_problem(session, people, HEADER + "\n,,\n")
    assert "(“colour”)" in file_problem(session, people, HEADER + ",colour\n")
    assert "twice" in file_problem(session, people, HEADER + ",title\n")
    assert "lacks the required columns: days, students" in file_problem(
        session, people, "title,course_type,first_day,context\n"
    )
    assert "not UTF-8" in file_problem(session, people, (HEADER + "\nCafé").encode("cp1252"))
    assert "NUL" in file_problem(session, people, HEADER + "\nA\x00\n")
    rows = "\n".join([ROW.format(day="2025-01-01")] * (MAX_ROWS + 1))
    assert "more than 2,000 rows" in file_problem(session, people, f"{HEADER}\n{rows}\n")
    exactly = "\n".join([ROW.format(day="2025-01-01")] * MAX_ROWS)
    assert len(preview(session, people, f"{HEADER}\n{exactly}\n").rows) == MAX_ROWS


def test_rows_like_an_item_on_record_or_an_earlier_row_are_flagged(
    session: Session, people: People, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(people.candidate, KIND, title="CSM  Leeds", first_day=date(2025, 3, 4))
    make_evidence(people.other_candidate, KIND, title="PSM Oslo", first_day=date(2025, 3, 5))
    data = "\n".join(
        [
            HEADER,
            ROW.format(day="04/03/2025").replace("CSM Leeds", "csm leeds"),
            ROW.format(day="05/03/2025").replace("CSM Leeds", "PSM Oslo"),
            ROW.format(day="05/03/2025").replace("CSM Leeds", "PSM Oslo"),
            ROW.format(day="06/03/2025"),
        ]
    )
    flags = [row.looks_like for row in preview(session, people, data).rows]
    assert flags == [
        "Same title and first day as an item already on your record",
        None,  # another candidate's item is not this one's
        "Same title and first day as line 3",
        None,
    ]
    # A kind without a title compares the fields it names, e.g. role, organisation, start.
    started = date(2020, 1, 1)
    make_evidence(people.candidate, "experience", organisation="Acme", started_on=started)
    experience = "role,organisation,started_on\nproduct_owner,ACME,2020-01-01\n"
    (row,) = preview(session, people, experience, kind="experience").rows
    assert (
        row.looks_like == "Same role, organisation and started on as an item already on your record"
    )
    assert count(session, ExperiencePeriod) == 1


def test_an_import_is_all_or_nothing_and_a_dry_run_writes_nothing(
    session: Session, people: People, engine: Engine
) -> None:
    people.mentor  # noqa: B018  (assigned, so notified)
    good = [ROW.format(day=f"2025-03-{day:02}") for day in range(1, 4)]
    arguments: dict[str, Any] = {
        "session": session,
        "actor": people.candidate,
        "candidate_id": people.candidate.id,
        "kind": KIND,
        "options": ReadOptions(),
        "today": TODAY,
    }
    with pytest.raises(ImportRefused) as refused:
        import_evidence(
            **arguments,
            data="\n".join([HEADER, *good, "Bad,,2025-03-09,2,14,independent"]),
            dry_run=False,
        )
    session.rollback()
    assert [row["errors"] for row in refused.value.details["rows"]] == [
        {},
        {},
        {},
        {"course_type": "required"},
    ]
    assert count(session, Taught) == 0
    dry = import_evidence(**arguments, data="\n".join([HEADER, *good]), dry_run=True)
    assert dry.created == 0 and count(session, Taught) == 0
    done = import_evidence(**arguments, data="\n".join([HEADER, *good]), dry_run=False)
    session.commit()
    assert done.created == 3
    assert {item.review_status for item in session.scalars(select(Taught))} == {"pending"}
    assert count(session, AuditEntry) >= 3
    (waiting,) = session.scalars(
        select(Notification).where(Notification.recipient_id == people.mentor.id)
    )
    assert waiting.count == 3 and waiting.read_at is None


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_downloaded_csv_imports_as_it_is_into_another_record(
    session: Session, people: People, make_evidence: Callable[..., EvidenceBase], kind: str
) -> None:
    """The file's review columns are skipped, and the ' that kept a spreadsheet from
    taking a cell for a formula is read away: the items come back as they were."""
    text_fields = {
        "teaching-sessions": {"location": "@home", "notes": '-minus start, "quoted"\nnext'},
        "experience": {"organisation": "=Acme"},
        "milestones": {"note": "+1 from the panel"},
    }.get(kind, {})
    original = make_evidence(people.candidate, kind, **text_fields)
    downloaded = "".join(evidence_csv(session, kind, people.candidate.id))
    done = import_evidence(
        session=session,
        actor=people.other_candidate,
        candidate_id=people.other_candidate.id,
        kind=kind,
        data=downloaded.encode(),
        options=ReadOptions(),
        dry_run=False,
        today=clock.today(),
    )
    session.commit()
    assert done.created == 1
    model = KINDS[kind].model
    (copy,) = session.scalars(select(model).where(model.candidate_id == people.other_candidate.id))
    assert KINDS[kind].values_of(copy) == KINDS[kind].values_of(original)
    assert copy.review_status == "pending"


def test_a_row_with_an_error_shows_its_other_fields_as_they_would_be_stored(
    session: Session, people: People
) -> None:
    found = preview(
        session, people, "\n".join([HEADER, "CSM Leeds,scrum_master,2025-03-01,0,14,independent"])
    )
    (row,) = found.rows
    assert row.errors == {"days": "must be between 1 and 30"}
    assert row.values["days"] == "0"  # the cell's text
    assert (row.values["share_delivered"], row.values["with_current_materials"]) == (100, False)
    assert row.values["reflection"] == "" and row.values["title"] == "CSM Leeds"


def test_a_credential_row_with_an_error_has_a_validity_once_it_is_fine(
    session: Session, people: People
) -> None:
    """Every row's values have the same fields: a refused row's validity is unknown."""
    rows = preview(
        session,
        people,
        "kind,issued_on,expires_on\ncsm,2025-03-01,\ncsm,2025-03-01,2025-01-01",
        kind="credentials",
    ).rows
    assert [row.errors for row in rows] == [{}, {"expires_on": "must be after the issue date"}]
    assert [row.values["valid_until"] for row in rows] == [date(2027, 3, 1), None]


def test_every_kinds_template_previews_as_one_clean_row(session: Session, people: People) -> None:
    for slug, kind in KINDS.items():
        (row,) = preview(session, people, template_csv(kind), kind=slug).rows
        assert row.errors == {}, slug


def test_only_the_candidate_imports_into_their_record(session: Session, people: People) -> None:
    with pytest.raises(Forbidden):
        preview_import(
            session=session,
            actor=people.mentor,
            candidate_id=people.candidate.id,
            kind=KIND,
            data=f"{HEADER}\n{ROW.format(day='2025-01-01')}\n",
            options=ReadOptions(),
        )
