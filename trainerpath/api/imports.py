"""The API's CSV import of evidence: one operation per kind, a dry run unless asked.

Like an upload, the caller is checked before the body is read: the token (401), the
candidate (404), the caller's role (403), then the body (415, 413) and last the file,
its rows and the query (422).
"""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.services.access import visible_candidate
from trainerpath.services.errors import ValidationFailed
from trainerpath.services.evidence import ensure_owner
from trainerpath.services.evidence_import import (
    DATE_ORDERS,
    MAX_BYTES,
    MAX_ROWS,
    DateOrder,
    ReadOptions,
    import_evidence,
)
from trainerpath.services.evidence_kinds import KINDS
from trainerpath.uploads import accepts_text

from . import schemas
from .auth import caller, viewer
from .blueprint import registry
from .errors import ApiError
from .inputs import whole_body
from .present import respond

CSV_BODY = {
    "text/csv": {
        "schema": {
            "type": "string",
            "description": "A header row of the kind's field names, then one row per item.",
        }
    }
}
QUERY = {
    "dry_run": {
        "description": "`true` (the default): check and show every row, write nothing. "
        "`false`: import every row, or none if any row has an error.",
        "schema": {"type": "boolean", "default": True},
    },
    "date_order": {
        "description": "How to read `01/02/2024`: `dmy` (the default) is 1 February, `mdy` "
        "is 2 January. ISO dates (`2024-02-01`) read the same either way.",
        "schema": {"type": "string", "enum": list(DATE_ORDERS), "default": "dmy"},
    },
}


def _query() -> tuple[bool, DateOrder]:
    """Read ``?dry_run=`` and ``?date_order=``, or refuse with 422."""
    dry_run = request.args.get("dry_run", "true")
    order = request.args.get("date_order", "dmy")
    errors = {}
    if dry_run not in ("true", "false"):
        errors["dry_run"] = "must be true or false"
    if order not in DATE_ORDERS:
        errors["date_order"] = "must be dmy or mdy"
    if errors:
        raise ValidationFailed(errors)
    return dry_run == "true", "mdy" if order == "mdy" else "dmy"


def _csv_body() -> bytes:
    """The body, if it is ``text/csv`` (415) and not too large (413, raised on reading)."""
    if request.mimetype != "text/csv":
        raise ApiError(415, "Send the file as text/csv.")
    return whole_body(cache=False)


def _register(slug: str) -> None:
    """Declare the import operation of one kind."""
    kind = KINDS[slug]
    endpoint = slug.replace("-", "_")

    @accepts_text(MAX_BYTES)
    def import_items(candidate_id: int) -> Response:
        session = get_session()
        visible_candidate(session, viewer(), candidate_id)
        ensure_owner(caller(), candidate_id, "import evidence into their record")
        session.commit()  # nothing written: hold no lock while the body arrives
        data = _csv_body()
        dry_run, date_order = _query()
        result = import_evidence(
            session=session,
            actor=caller(),
            candidate_id=candidate_id,
            kind=slug,
            data=data,
            options=ReadOptions(date_order=date_order),
            dry_run=dry_run,
        )
        session.commit()
        rows = [row.as_dict() for row in result.preview.rows]
        return respond(schemas.ImportResult, {"rows": rows, "created": result.created})

    registry.route(
        "POST",
        f"/candidates/{{candidate_id}}/{slug}/import",
        endpoint=f"import_{endpoint}",
        tag="Import",
        summary=f"Import {kind.plural.lower()} from CSV (the candidate)",
        description=(
            "The body is `text/csv`: UTF-8 with or without a BOM; `,` or `;` (whichever the "
            "header line uses); a header row of the kind's field names (optional ones may be "
            "left out); an empty cell is an absent value; numbers with a `.` before any "
            "decimals; booleans `true/false/yes/no/1/0`; dates `YYYY-MM-DD` or `DD/MM/YYYY` "
            f"(`MM/DD/YYYY` with `date_order=mdy`); at most {MAX_ROWS:,} rows and "
            f"{MAX_BYTES // (1024 * 1024)} MB. The answer lists every data row in file "
            "order with its `line` (the header is line 1), its `values` as they would be "
            "stored and its `errors`. If any row has an error nothing is created: 422 with "
            '`details` `{"rows": [...]}`; a problem with the file itself is 422 with '
            '`details` `{"csv": "why"}`. Only `dry_run=false` writes; imported items are '
            "pending and the mentors get one notification for them all. Checks run 401, "
            "404, 403, 415, 413, 422."
        ),
        upload=CSV_BODY,
        responses={200: schemas.ImportResult},
        errors=(403, 404, 413, 415, 422),
        parameters={"candidate_id": "The candidate's user id."},
        query=QUERY,
    )(import_items)


for _slug in KINDS:
    _register(_slug)
