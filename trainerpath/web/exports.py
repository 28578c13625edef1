"""Records out: a candidate's record and evidence as files, the audit trail as CSV, and
the application dossier of an enrollment as a printable page and as PDF.

The candidate, their assigned mentors and admins may download a candidate's files and
dossiers; anyone else gets 404, as if they did not exist. The CSV files stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Response, abort, render_template, request, stream_with_context, url_for
from flask_login import login_required
from sqlalchemy.orm import Session

from trainerpath import dashboards, exports, queries
from trainerpath.api.present import export_json
from trainerpath.dashboards.dossier import Dossier, dossier_for
from trainerpath.db import end_reads, get_engine, get_session, reading_session
from trainerpath.models import Role, User, utcnow
from trainerpath.pdf import dossier_response
from trainerpath.services.access import visible_candidate
from trainerpath.services.evidence_kinds import KINDS

from .common import web_blueprint
from .login import me, role_required

bp = web_blueprint("exports")


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _streamed_csv(lines: Callable[[Session], Iterator[str]], filename: str) -> Response:
    """A CSV download sent as it is read, a batch of rows at a time.

    The rows are read on a connection of their own, in a transaction that only reads:
    the request's session may be closed before the answer has been sent.
    """
    engine = get_engine()

    def stream() -> Iterator[str]:
        with reading_session(engine) as session:
            yield from lines(session)

    response = Response(stream_with_context(stream()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/candidates/<id:candidate_id>/record.json")
@login_required
def record(candidate_id: int) -> Response:
    """The candidate's whole record: the API's export document, as a file."""
    session = get_session()
    candidate = visible_candidate(session, me(), candidate_id)
    body = export_json(queries.candidate_export(session, candidate), utcnow())
    end_reads()
    return _download(body, "application/json", f"trainerpath-record-{candidate_id}.json")


@bp.get("/candidates/<id:candidate_id>/<kind>.csv")
@login_required
def evidence_csv(candidate_id: int, kind: str) -> Response:
    """The candidate's items of one evidence kind as CSV, with their review."""
    if kind not in KINDS:
        abort(404)
    session = get_session()
    visible_candidate(session, me(), candidate_id)
    return _streamed_csv(
        lambda reading: exports.evidence_csv(reading, kind, candidate_id),
        f"trainerpath-{kind}-{candidate_id}.csv",
    )


@bp.get("/admin/audit.csv")
@role_required(Role.ADMIN)
def audit_csv() -> Response:
    """The audit trail as CSV, with the audit page's filter (``?candidate=``)."""
    session = get_session()
    choice = dashboards.choose_person(session, me(), request.args.get("candidate"))
    if choice.text and choice.chosen is None:
        abort(404)  # the page asks which candidate; a file cannot
    person: User | None = choice.chosen
    suffix = f"-{person.id}" if person else ""
    candidate_id = person.id if person else None
    return _streamed_csv(
        lambda reading: exports.audit_csv(reading, candidate_id), f"trainerpath-audit{suffix}.csv"
    )


def _back_url(dossier: Dossier) -> str:
    if me().role == Role.CANDIDATE:
        return url_for("candidate.dashboard") + f"#enrollment-{dossier.enrollment.id}"
    return url_for("mentor.candidate", candidate_id=dossier.candidate.id)


@bp.get("/enrollments/<id:enrollment_id>/dossier")
@login_required
def dossier(enrollment_id: int) -> str:
    """The enrollment's application dossier as a printable page."""
    found = dossier_for(get_session(), me(), enrollment_id)
    return render_template(
        "dossier/dossier.html", dossier=found, for_pdf=False, back_url=_back_url(found)
    )


@bp.get("/enrollments/<id:enrollment_id>/dossier.pdf")
@login_required
def dossier_pdf(enrollment_id: int) -> Response:
    """The same dossier as PDF, shown in the browser (``inline``)."""
    return dossier_response(dossier_for(get_session(), me(), enrollment_id))
