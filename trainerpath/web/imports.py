"""The candidate's CSV import: a template per kind, an upload, a preview, then the import.

Between the preview and the import the file's text travels in a hidden field of the
preview's form (at most ``MAX_BYTES``); nothing is kept on the server. The import reads
and checks that text again, so what the browser sends back is never trusted, and it
imports only if the day/month order is the one the candidate previewed.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.models import Role
from trainerpath.services.evidence_import import (
    MAX_BYTES,
    MAX_ROWS,
    DateOrder,
    ImportPreview,
    ImportRefused,
    ReadOptions,
    import_evidence,
    preview_import,
    template_csv,
)
from trainerpath.services.evidence_kinds import KINDS, EvidenceKind, FieldSpec
from trainerpath.uploads import accepts_text, megabytes

from .common import after_post, web_blueprint
from .login import me, role_required

bp = web_blueprint("imports")

DATE_ORDER_LABELS = {
    "dmy": "Day first: 01/02/2024 is 1 February",
    "mdy": "Month first: 01/02/2024 is 2 January",
}


def _kind(slug: str) -> EvidenceKind:
    kind = KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def column_help(spec: FieldSpec) -> str:
    """What to write in a field's column, in words."""
    if spec.type in ("int", "number"):
        whole = "A whole number" if spec.type == "int" else "A number (with a . for decimals)"
        return f"{whole} from {spec.minimum:g} to {spec.maximum:g}"
    if spec.type == "date":
        return "A date: 2024-12-31, 31/12/2024 (or 12/31/2024) or Dec 31, 2024" + (
            ", not in the future" if spec.not_future else ""
        )
    if spec.type == "bool":
        return "true or false (yes/no, 1/0)"
    if spec.type == "choice":
        return "One of: " + ", ".join(spec.choice_values)
    return f"Text, at most {spec.max_length:,} characters" if spec.max_length else "Text"


def _page(kind: EvidenceKind, status: int = 200, **context: Any) -> Response:
    """The import page: the template, the columns, the upload form and any preview."""
    html = render_template(
        "candidate/import.html",
        kind=kind,
        columns=[(spec, column_help(spec)) for spec in kind.fields],
        date_orders=DATE_ORDER_LABELS,
        max_rows=f"{MAX_ROWS:,}",
        max_size=megabytes(MAX_BYTES),
        summary=preview_summary,
        **({"date_order": "dmy", "preview": None, "error": None} | context),
    )
    return Response(html, status, mimetype="text/html")


@bp.get("/evidence/<kind>/template.csv")
@role_required(Role.CANDIDATE)
def template(kind: str) -> Response:
    """A CSV file with the kind's header row and one example row."""
    spec = _kind(kind)
    response = Response(template_csv(spec), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{spec.slug}-template.csv"'
    return response


@bp.get("/evidence/<kind>/import")
@role_required(Role.CANDIDATE)
def start(kind: str) -> Response:
    """The import page, before any file."""
    return _page(_kind(kind))


def _date_order() -> DateOrder:
    return "mdy" if request.form.get("date_order") == "mdy" else "dmy"


def _sent_csv() -> bytes | str:
    """The uploaded file's bytes, else the text the preview's form carried back."""
    sent = request.files.get("file")
    if sent is not None and sent.filename:
        return sent.read()
    return request.form.get("csv", "")


@bp.post("/evidence/<kind>/import")
@role_required(Role.CANDIDATE)
@accepts_text(MAX_BYTES)
def upload(kind: str) -> Response:
    """Preview a file (uploaded, or carried back from a preview); import it when asked."""
    spec = _kind(kind)
    session = get_session()
    user = me()
    assert user.id is not None
    order = _date_order()
    data = _sent_csv()
    if not data:
        return _page(spec, 422, date_order=order, error="Choose a CSV file to preview.")
    wanted = request.form.get("action") == "import" and isinstance(data, str)
    # Import only what was previewed: a changed day/month order is previewed first.
    confirmed = wanted and request.form.get("previewed_order") == order
    arguments: dict[str, Any] = {
        "session": session,
        "actor": user,
        "candidate_id": user.id,
        "kind": spec.slug,
        "data": data,
        "options": ReadOptions(date_order=order, month_names=True),
    }
    try:
        if not confirmed:
            preview = preview_import(**arguments)
            return _page(spec, date_order=order, preview=preview, reordered=wanted)
        result = import_evidence(**arguments, dry_run=False)
    except ImportRefused as refusal:
        session.rollback()
        if refusal.preview is not None:
            return _page(spec, 422, date_order=order, preview=refusal.preview)
        return _page(spec, 422, date_order=order, error=refusal.message)
    session.commit()
    noun = spec.plural.lower() if result.created > 1 else spec.label.lower()
    flash(f"Imported {result.created} {noun}. They now wait for your mentor's review.", "success")
    return after_post(url_for("candidate.evidence", kind=spec.slug, status="pending"))


def preview_summary(preview: ImportPreview) -> str:
    """The preview in a sentence: rows, errors, look-alikes."""
    rows = len(preview.rows)
    text = f"{rows} row{'s' * (rows != 1)}"
    bad = preview.rows_with_errors
    text += f", {bad} with errors" if bad else ", all ready to import"
    alike = sum(1 for row in preview.rows if row.looks_like)
    if alike:
        text += f"; {alike} may be {'a duplicate' if alike == 1 else 'duplicates'}"
    return text + "."
