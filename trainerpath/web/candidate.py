"""The candidate's pages: dashboard, enrolment, evidence; and firing enrollment events."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_htmx import make_response as htmx_response
from flask_login import login_required
from werkzeug.wrappers import Response

from trainerpath import clock, dashboards, queries
from trainerpath.db import get_session
from trainerpath.models import Enrollment, EvidenceBase, ReviewStatus, Role, User
from trainerpath.paging import PageRequest
from trainerpath.pathways import CURRENT, RULESETS, Ruleset, ruleset_for
from trainerpath.services.errors import NotFound, Refusal, ValidationFailed
from trainerpath.services.evidence import (
    correct_evidence,
    delete_evidence,
    log_evidence,
    visible_item,
)
from trainerpath.services.evidence_kinds import KINDS, EvidenceKind
from trainerpath.services.pathways import (
    enrol,
    fire_event,
    outcome_sentence,
    switch_ruleset,
    visible_enrollment,
)

from . import mentor
from .attachments import proof_of
from .common import (
    after_post,
    focus_after_settle,
    page_or_partial,
    partial,
    safe_next,
    wants_partial,
    web_blueprint,
)
from .errors import REFUSAL_STATUS
from .forms import EnrolForm, WebForm, enrol_form, evidence_form, submitted_values
from .login import me, role_required

bp = web_blueprint("candidate")

CANDIDATE = Role.CANDIDATE


def _kind(slug: str) -> EvidenceKind:
    kind = KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


# -- Dashboard and enrolment ----------------------------------------------------------


def _dashboard(status: int = 200, refused: EnrolForm | None = None, **extra: Any) -> Response:
    """The dashboard page (or its overview for htmx); ``refused`` replaces its pathway's form."""
    user = me()
    board = dashboards.candidate_dashboard(get_session(), user, user)
    forms = {r.pathway: enrol_form(r.pathway) for r in board.open_pathways}
    if refused is not None:
        forms[refused.pathway.data] = refused
    return page_or_partial(
        "candidate/dashboard.html",
        "candidate/_overview.html",
        status=status,
        board=board,
        viewer=user,
        enrol_forms=forms,
        # The cards' forms come back here, also when a POST (enrolling) drew the page.
        next_url=url_for("candidate.dashboard"),
        **extra,
    )


@bp.get("/candidate")
@role_required(CANDIDATE)
def dashboard() -> Response:
    """The candidate's dashboard: each pathway, what is met, what is next."""
    return _dashboard()


def _track_if_any(ruleset: Ruleset | None, track: str | None) -> str | None:
    """The track asked for, if the chosen rules have tracks (the choice is on every form)."""
    return track if ruleset is None or ruleset.tracks else None


def _refused_enrolment(pathway: str, refusal: Refusal) -> Response:
    """Show the pathway's form again with the reasons beside its fields; nothing was saved."""
    get_session().rollback()
    form = enrol_form(pathway, submitted=True)
    if isinstance(refusal, ValidationFailed):
        form.show_errors({key: why for key, why in refusal.errors.items() if key != "pathway"})
    else:
        form.form_errors.append(refusal.message)
    status = REFUSAL_STATUS.get(refusal.code, 409)
    if not wants_partial():
        return _dashboard(status, refused=form)
    response = partial(
        "candidate/_enrol_form.html", status, enrol_form=form, ruleset=CURRENT[pathway]
    )
    response.headers["HX-Retarget"] = f"#enrol-{pathway}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/candidate/enrol")
@role_required(CANDIDATE)
def enrol_in_pathway() -> Response:
    """Enrol the signed-in candidate in a pathway, under the rules (and track) chosen."""
    session = get_session()
    user = me()
    assert user.id is not None
    pathway = request.form.get("pathway", "")
    ruleset = request.form.get("ruleset") or None
    chosen = RULESETS.get(ruleset) if ruleset else CURRENT.get(pathway)
    track = _track_if_any(chosen, request.form.get("track") or None)
    try:
        enrollment = enrol(
            session=session,
            actor=user,
            candidate_id=user.id,
            pathway=pathway,
            ruleset=ruleset,
            track=track,
        )
    except Refusal as refusal:
        fields = isinstance(refusal, ValidationFailed) and "pathway" not in refusal.errors
        if pathway in CURRENT and (fields or wants_partial()):
            return _refused_enrolment(pathway, refusal)
        session.rollback()
        unknown = isinstance(refusal, ValidationFailed)
        flash("Please choose one of the pathways." if unknown else refusal.message, "error")
        return after_post(url_for("candidate.dashboard"))
    session.commit()
    rules = ruleset_for(enrollment.ruleset)
    message = f"You are enrolled in the {rules.title} pathway. Here is what it takes."
    if wants_partial():
        response = _dashboard()
        response.headers["HX-Trigger"] = json.dumps({"notify": {"message": message}})
        # Focus and scroll to the new card, as the redirect without JavaScript does.
        return focus_after_settle(response, f"enrollment-{enrollment.id}-title")
    flash(message, "success")
    return after_post(url_for("candidate.dashboard") + f"#enrollment-{enrollment.id}")


# -- Events (candidates, mentors and admins) -----------------------------------------


def _dashboard_url_for(viewer: User, candidate_id: int) -> str:
    if viewer.role == Role.CANDIDATE:
        return url_for("candidate.dashboard")
    return url_for("mentor.candidate", candidate_id=candidate_id)


@bp.post("/enrollments/<id:enrollment_id>/events")
@login_required
def fire(enrollment_id: int) -> Response:
    """Fire an event on an enrollment; the service decides who may and whether it is due."""
    session = get_session()
    viewer = me()
    enrollment = visible_enrollment(session, viewer, enrollment_id)
    event = request.form.get("event", "")
    note = request.form.get("note")
    back = safe_next(request.form.get("next"), _dashboard_url_for(viewer, enrollment.candidate_id))
    error: dict[str, Any] = {}
    status = 200
    message = None
    message_kind = "success"
    try:
        record = fire_event(
            session=session,
            enrollment=enrollment,
            event=event,
            actor=viewer,
            note=note,
            seen=_moment(request.form.get("seen", "")),
        )
    except NotFound:
        raise
    except Refusal as refusal:
        session.rollback()
        status = {"validation_error": 422, "forbidden": 403}.get(refusal.code, 409)
        note_missing = isinstance(refusal, ValidationFailed) and "note" in refusal.errors
        error = {
            "enrollment": enrollment.id,
            "event": event,
            "note" if note_missing else "message": refusal.message,
        }
        if not wants_partial():
            drawn = _page_with_refused_event(back, viewer, enrollment, error, status)
            if drawn is not None:
                return drawn
            flash(refusal.message, "error")
            return after_post(back)
    else:
        session.commit()
        ruleset = ruleset_for(enrollment.ruleset)
        message = outcome_sentence(ruleset, record.event, enrollment)
        # The setback was recorded all right, but it is no success: shown as neutral news.
        if ruleset.is_setback(record.event):
            message_kind = "info"
        if not wants_partial():
            flash(message, message_kind)
            return after_post(back)
    return _card(
        enrollment,
        viewer,
        status,
        error=error,
        message=message,
        message_kind=message_kind,
        next_url=back,
    )


def _page_with_refused_event(
    back: str, viewer: User, enrollment: Enrollment, error: dict[str, Any], status: int
) -> Response | None:
    """Without JavaScript: the page the form came from (the candidate's dashboard, or a
    mentor's or admin's page of the candidate) drawn again with the refusal on the
    enrollment's card, beside the note if that was it; None for another page."""
    path = urlsplit(back).path
    if viewer.id == enrollment.candidate_id and path == url_for("candidate.dashboard"):
        return _dashboard(status, error=error)
    if path == url_for("mentor.candidate", candidate_id=enrollment.candidate_id):
        return mentor.candidate_page_again(enrollment.candidate_id, back, status, error=error)
    return None


def _card(enrollment: Enrollment, viewer: User, status: int, **context: Any) -> Response:
    """The enrollment's card as an htmx partial."""
    session = get_session()
    view = dashboards.enrollment_view(session, enrollment, viewer)
    extras = dashboards.card_extras([view], viewer)
    return partial(
        "candidate/_enrollment.html",
        status,
        view=view,
        viewer=viewer,
        card_extras=extras,
        **context,
    )


def _switch_refusal(refusal: Refusal) -> str:
    """A refused switch in words."""
    if isinstance(refusal, ValidationFailed) and refusal.errors.get("ruleset") != "unchanged":
        return "Please choose one of the rules (and tracks) shown."
    return refusal.message


def _moment(text: str) -> datetime | None:
    """The moment a form's hidden field names (ISO 8601), or None if it names none."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@bp.post("/enrollments/<id:enrollment_id>/ruleset")
@login_required
def switch_rules(enrollment_id: int) -> Response:
    """Move a preparing enrollment to another ruleset (or track) of its pathway."""
    session = get_session()
    viewer = me()
    enrollment = visible_enrollment(session, viewer, enrollment_id)
    ruleset = request.form.get("ruleset", "")
    track = _track_if_any(RULESETS.get(ruleset), request.form.get("track") or None)
    back = safe_next(request.form.get("next"), _dashboard_url_for(viewer, enrollment.candidate_id))
    try:
        switch_ruleset(
            session=session, actor=viewer, enrollment=enrollment, ruleset=ruleset, track=track
        )
    except NotFound:
        raise
    except Refusal as refusal:
        session.rollback()
        reason = _switch_refusal(refusal)
        if not wants_partial():
            flash(reason, "error")
            return after_post(back)
        status = REFUSAL_STATUS.get(refusal.code, 409)
        error = {"enrollment": enrollment.id, "message": reason}
        return _card(enrollment, viewer, status, error=error, next_url=back)
    session.commit()
    rules = ruleset_for(enrollment.ruleset)
    track_label = rules.track_label(enrollment.track)
    message = f"You now follow {rules.label}" + (f", {track_label} track." if track_label else ".")
    if not wants_partial():
        flash(message, "success")
        return after_post(back + f"#enrollment-{enrollment.id}")
    return _card(enrollment, viewer, 200, message=message, next_url=back)


# -- Evidence -------------------------------------------------------------------------


def _today() -> date:
    return clock.today()


def _listing(kind: EvidenceKind, user: User) -> dict[str, Any]:
    """The page of the list the query string asks for: ``?status=`` (pending, verified or
    rejected; anything else means all) and ``?page=``."""
    assert user.id is not None
    status = request.args.get("status")
    status = status if status in queries.REVIEW_STATUSES else None
    wanted = PageRequest.from_args(request.args)
    listing = dashboards.evidence_rows(get_session(), user.id, kind.slug, wanted, status)
    return {"kind": kind, "listing": listing, "status_filter": status}


def _evidence_context(
    kind: EvidenceKind, user: User, form: WebForm, **extra: Any
) -> dict[str, Any]:
    session = get_session()
    assert user.id is not None
    editing = extra.get("editing")
    return (
        _listing(kind, user)
        | {
            "counts": queries.evidence_counts(session, user.id),
            "progress": dashboards.progress_overview(session, user, user),
            "form": form,
            "editing": None,
            "message": None,
            "proof": proof_of(kind, editing) if editing is not None else None,
            "history": (
                dashboards.item_histories(session, kind.slug, [editing]).get(editing.id)
                if editing is not None
                else None
            ),
        }
        | extra
    )


@bp.get("/evidence")
@role_required(CANDIDATE)
def evidence_home() -> Response:
    """The evidence pages start with teaching sessions."""
    return redirect(url_for("candidate.evidence", kind=next(iter(KINDS))))


@bp.get("/evidence/<kind>")
@role_required(CANDIDATE)
def evidence(kind: str) -> Response:
    """One kind of evidence: a page of the list, the form to add one, the progress it makes."""
    spec = _kind(kind)
    context = _evidence_context(spec, me(), evidence_form(spec, _today(), {}))
    return page_or_partial("candidate/evidence.html", "candidate/_evidence_list.html", **context)


@bp.get("/evidence/<kind>/list")
@role_required(CANDIDATE)
def evidence_list(kind: str) -> Response:
    """The list of one kind (htmx refreshes it after a change)."""
    spec = _kind(kind)
    if not wants_partial():
        args: dict[str, Any] = {name: request.args.get(name) for name in ("status", "page")}
        return redirect(url_for("candidate.evidence", kind=spec.slug, **args))
    return partial("candidate/_evidence_list.html", **_listing(spec, me()))


@bp.get("/evidence/<kind>/tabs")
@role_required(CANDIDATE)
def evidence_tabs(kind: str) -> Response:
    """The kinds' tabs with their counts (htmx refreshes them after a change)."""
    spec = _kind(kind)
    if not wants_partial():
        return redirect(url_for("candidate.evidence", kind=spec.slug))
    user = me()
    assert user.id is not None
    counts = queries.evidence_counts(get_session(), user.id)
    return partial("candidate/_evidence_tabs.html", kind=spec, counts=counts)


@bp.get("/progress")
@role_required(CANDIDATE)
def progress() -> Response:
    """The requirement bars of the candidate's pathways (htmx refreshes them)."""
    if not wants_partial():
        return redirect(url_for("candidate.dashboard"))
    user = me()
    views = dashboards.progress_overview(get_session(), user, user)
    return partial("candidate/_progress.html", progress=views)


def _saved(kind: EvidenceKind, message: str) -> Response:
    """Answer a successful add/edit/delete: a fresh form for htmx, else a redirect."""
    if wants_partial():
        response = partial(
            "candidate/_evidence_form.html",
            trigger={"evidence-changed": None, "notify": {"message": message}},
            kind=kind,
            form=evidence_form(kind, _today(), {}),
            editing=None,
            message=message,
        )
        if request.endpoint == "candidate.edit_evidence":
            # The form is back to "Add": so is the address (opening the edit pushed /edit).
            response.headers["HX-Replace-Url"] = url_for("candidate.evidence", kind=kind.slug)
        return response
    flash(message, "success")
    return after_post(url_for("candidate.evidence", kind=kind.slug))


def _refused_form(
    kind: EvidenceKind, refusal: ValidationFailed, editing: EvidenceBase | None
) -> Response:
    """Show the form again with each reason next to its field; nothing was saved."""
    get_session().rollback()
    form = evidence_form(kind, _today())
    form.show_errors(refusal.errors)
    context = _evidence_context(kind, me(), form, editing=editing)
    return page_or_partial(
        "candidate/evidence.html", "candidate/_evidence_form.html", status=422, **context
    )


@bp.post("/evidence/<kind>")
@role_required(CANDIDATE)
def add_evidence(kind: str) -> Response:
    """Log a new evidence item; it waits for the mentor's review."""
    spec = _kind(kind)
    session = get_session()
    user = me()
    assert user.id is not None
    values = submitted_values(spec, request.form)
    try:
        log_evidence(session=session, actor=user, candidate_id=user.id, kind=spec.slug, data=values)
    except ValidationFailed as refusal:
        return _refused_form(spec, refusal, None)
    session.commit()
    return _saved(spec, f"{spec.label} added. It now waits for your mentor's review.")


def _own_item(kind: EvidenceKind, item_id: int) -> EvidenceBase:
    """The signed-in candidate's item, or 404 (mentors edit nothing)."""
    return visible_item(get_session(), me(), kind.slug, item_id)


@bp.route("/evidence/<kind>/<id:item_id>/edit", methods=["GET", "POST"])
@role_required(CANDIDATE)
def edit_evidence(kind: str, item_id: int) -> Response:
    """Correct a pending or rejected item; a rejected one goes back for review."""
    spec = _kind(kind)
    session = get_session()
    item = _own_item(spec, item_id)
    if item.review_status == ReviewStatus.VERIFIED:
        return _no_longer_changeable(spec, "This item is verified, so it can no longer be changed.")
    if request.method != "POST":  # GET, and HEAD answered as GET
        form = evidence_form(spec, _today(), spec.values_of(item))
        context = _evidence_context(spec, me(), form, editing=item)
        response = page_or_partial(
            "candidate/evidence.html", "candidate/_evidence_form.html", **context
        )
        if wants_partial():  # from the list's Edit link: the reader goes to the form
            return focus_after_settle(response, "evidence-form-title")
        return response
    was_rejected = item.review_status == ReviewStatus.REJECTED
    values = submitted_values(spec, request.form)
    try:
        correct_evidence(
            session=session, actor=me(), kind=spec.slug, item_id=item_id, changes=values
        )
    except ValidationFailed as refusal:
        return _refused_form(spec, refusal, item)
    session.commit()
    if was_rejected:
        return _saved(spec, f"{spec.label} corrected and sent back for review.")
    return _saved(spec, f"{spec.label} updated.")


def _no_longer_changeable(spec: EvidenceKind, reason: str) -> Response:
    """Refuse to edit or delete an item that was reviewed meanwhile: without JavaScript,
    back to the list with the reason; with htmx, the reason as a message and the list
    drawn again (showing the item as it now is), the page otherwise left as it was."""
    if not wants_partial():
        flash(reason, "error")
        return after_post(url_for("candidate.evidence", kind=spec.slug))
    told = {"evidence-changed": None, "notify": {"message": reason, "kind": "error"}}
    response = htmx_response("", 204, trigger=told)
    response.vary.add("HX-Request")
    return response


@bp.post("/evidence/<kind>/<id:item_id>/delete")
@role_required(CANDIDATE)
def remove_evidence(kind: str, item_id: int) -> Response:
    """Delete a pending or rejected item."""
    spec = _kind(kind)
    session = get_session()
    _own_item(spec, item_id)
    try:
        delete_evidence(session=session, actor=me(), kind=spec.slug, item_id=item_id)
    except Refusal as refusal:
        if isinstance(refusal, NotFound):
            raise
        session.rollback()
        return _no_longer_changeable(spec, refusal.message)
    session.commit()
    message = f"{spec.label} deleted."
    if wants_partial():
        return partial(
            "candidate/_notice.html",
            trigger={"evidence-changed": None, "notify": {"message": message}},
            message=message,
        )
    flash(message, "success")
    return after_post(url_for("candidate.evidence", kind=spec.slug))


@bp.post("/evidence/<kind>/check")
@role_required(CANDIDATE)
def check_field(kind: str) -> Response:
    """Check the field the candidate just left and show its error beside it (htmx)."""
    spec = _kind(kind)
    name = request.headers.get("HX-Trigger-Name", "")
    if name not in spec.field_names:
        abort(400)
    form = evidence_form(spec, _today())
    try:
        spec.validate(submitted_values(spec, request.form), _today())
    except ValidationFailed as refusal:
        if name in refusal.errors:
            form.show_errors({name: refusal.errors[name]})
    return partial("candidate/_field.html", field=form[name], kind=spec)
