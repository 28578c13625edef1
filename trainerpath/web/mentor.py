"""The mentor's pages: candidates table, review queue, one candidate's record, feedback.

Admins see the same pages for every candidate; a mentor only for assigned candidates
(anyone else's URL is a 404, as if the candidate did not exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from trainerpath import dashboards, queries
from trainerpath.bounds import form_id, parse_id
from trainerpath.dashboards.mentor import QueueItem
from trainerpath.db import get_session
from trainerpath.models import Role, User
from trainerpath.paging import PageRequest
from trainerpath.pathways import ruleset_for
from trainerpath.services.access import visible_candidate
from trainerpath.services.errors import NotFound, Refusal, ValidationFailed
from trainerpath.services.evidence import SeenItem, review_evidence, verify_items, visible_item
from trainerpath.services.evidence_kinds import KINDS, REQUIRED
from trainerpath.services.feedback import leave_feedback

from .common import (
    UrlPattern,
    after_post,
    back_or,
    current_url,
    page_or_partial,
    partial,
    wants_partial,
    web_blueprint,
)
from .forms import FeedbackForm, ReviewForm, options
from .login import me, role_required
from .notifications import CHANGED as NOTIFICATIONS_CHANGED

bp = web_blueprint("mentor", url_prefix="/mentor")

REVIEWERS = (Role.MENTOR, Role.ADMIN)


@bp.get("/")
@role_required(*REVIEWERS)
def dashboard() -> Response:
    """The candidates table: pathway, state, progress, reviews waiting, last activity."""
    session = get_session()
    viewer = me()
    filters = dashboards.CandidateFilters.parse(request.args)
    wanted = PageRequest.from_args(request.args)
    table = dashboards.candidate_table(session, viewer, filters, wanted)
    waiting = dashboards.reviews_waiting(session, viewer)
    return page_or_partial(
        "mentor/dashboard.html",
        "mentor/_candidates.html",
        table=table,
        rows=table.items,
        filters=filters,
        waiting=waiting,
        viewer=viewer,
    )


@bp.app_template_global()
def review_links(next_url: str | None = None) -> dict[str, Any]:
    """What every item of a list of reviews shares, computed once a page: the CSRF token,
    the review form's and candidate link's URL patterns, and where to come back to."""
    return {
        "csrf": generate_csrf(),
        "review": UrlPattern("mentor.review", "kind", "item_id"),
        "candidate": UrlPattern("mentor.candidate", "candidate_id"),
        "back": next_url or current_url(),
    }


@dataclass(frozen=True)
class QueueFilters:
    """The review queue's filters as a page asked for them."""

    choice: dashboards.PersonChoice  # the candidate filter's text, and whom it names
    kind: str | None  # an evidence kind's slug

    @property
    def candidate_id(self) -> int | None:
        """The candidate whose items are shown (None: everyone's)."""
        return self.choice.chosen.id if self.choice.chosen else None


# What the note field says when a rejection comes without one.
REJECT_NOTE_NEEDED = "is required to reject: say what to correct"


def _queue_filters(values: Any, strict: bool = True) -> QueueFilters:
    """The queue's filters from a query string or form: ``candidate`` (an id, or the
    admin's search box text: a name or an e-mail) and ``kind`` (an evidence kind's slug);
    a kind that is not one is ignored. ``strict``: someone else's candidate is a 404."""
    session, viewer = get_session(), me()
    kind = values.get("kind")
    text = (values.get("candidate") or "").strip()
    number = parse_id(text)
    if strict and number is not None:
        choice = dashboards.PersonChoice(text, visible_candidate(session, viewer, number))
    else:
        choice = dashboards.choose_person(session, viewer, text)
    return QueueFilters(choice, kind if kind in KINDS else None)


def _queue_page(values: Any, status: int = 200, **extra: Any) -> Response:
    """The review queue (or, for htmx, its partial) filtered as ``values`` say.

    Its candidate filter lists a mentor's candidates with items waiting; an admin, who
    may see thousands, gets a search box instead.
    """
    session = get_session()
    viewer = me()
    filters = _queue_filters(values)
    queue = dashboards.review_queue(
        session, viewer, PageRequest.from_args(values), filters.candidate_id, kind=filters.kind
    )
    context = {
        "queue": queue,
        "person": filters.choice.chosen,
        "kind_filter": filters.kind,
        "viewer": viewer,
        "form": ReviewForm(formdata=None),
        "bulk": None,
    } | extra
    filtering = wants_partial() and request.endpoint == "mentor.reviews"
    if not wants_partial() or filtering:
        context["choice"] = filters.choice
        context["choices"] = (
            None if viewer.role == Role.ADMIN else dashboards.candidates_waiting(session, viewer)
        )
        context["oob_head"] = filtering  # the page's heading and filter follow the queue
    if not wants_partial():
        context["turnaround"] = dashboards.turnaround_for(session, viewer)
    return page_or_partial("mentor/reviews.html", "mentor/_queue.html", status, **context)


@bp.get("/reviews")
@role_required(*REVIEWERS)
def reviews() -> Response:
    """A page of the evidence waiting for review, the longest waiting first: everyone's, or
    one candidate's (``?candidate=``: an id, an e-mail or a name), of every kind or one
    (``?kind=<slug>``; one that is not a kind is ignored). Above it, the turnaround."""
    return _queue_page(request.args)


@bp.get("/reviews/turnaround")
@role_required(*REVIEWERS)
def turnaround() -> Response:
    """The turnaround figures alone, for htmx to draw again after a review on the queue's
    page, so they agree with the queue below them; without htmx, the queue's page."""
    if not wants_partial():
        return redirect(url_for("mentor.reviews"))
    view = dashboards.turnaround_for(get_session(), me())
    return partial("mentor/_turnaround.html", turnaround=view)


@bp.post("/reviews/verify")
@role_required(*REVIEWERS)
def bulk_verify() -> Response:
    """Verify the selected items in one transaction; any that changed since the page showed
    them stay pending and are named (items of someone else's candidates: 404)."""
    session = get_session()
    tokens = request.form.getlist("item")
    seen = [SeenItem.parse(token) for token in tokens]
    back = back_or("mentor.reviews")
    try:
        if None in seen:
            raise ValidationFailed(
                {"items": "not items of the queue"}, "Reload the page and try again."
            )
        outcome = verify_items(session=session, actor=me(), items=[s for s in seen if s])
    except NotFound:
        raise
    except Refusal as refusal:
        session.rollback()
        if not wants_partial():
            flash(refusal.message, "error")
            return after_post(back)
        return _queue_page(request.form, 422, bulk={"error": refusal.message}, next_url=back)
    session.commit()
    done = len(outcome.verified)
    # Nothing verified is no success: the items left say why.
    message = f"{done} {'item' if done == 1 else 'items'} verified." if done else None
    if not wants_partial():
        if message:
            flash(message, "success")
        for name, why in outcome.left:
            flash(f"Not verified: {name} {why}.", "error")
        return after_post(back)
    response = _queue_page(
        request.form, bulk={"message": message, "left": outcome.left}, next_url=back
    )
    told = {"notify": {"message": message}} if message else {}
    changed = {"review-changed": None, NOTIFICATIONS_CHANGED: None}  # the bell recounts
    response.headers["HX-Trigger"] = json.dumps(changed | told)
    return response


@dataclass(frozen=True)
class RefusedReview:
    """A review form that was refused: the item it is about, and the form with why."""

    dom_id: str
    form: ReviewForm


def _page_with_refused_review(
    back: str, entry: QueueItem, refused: RefusedReview, status: int
) -> Response | None:
    """Without JavaScript: the page the form came from (the queue, or the candidate's
    page) drawn again with the refusal beside the item's note; None for another page."""
    target = urlsplit(back)
    if target.path == url_for("mentor.reviews"):
        values = MultiDict(parse_qsl(target.query))
        return _queue_page(values, status, refused=refused, next_url=back)
    assert entry.candidate.id is not None
    if target.path == url_for("mentor.candidate", candidate_id=entry.candidate.id):
        return candidate_page_again(entry.candidate.id, back, status, refused=refused)
    return None


@bp.post("/reviews/<kind>/<id:item_id>")
@role_required(*REVIEWERS)
def review(kind: str, item_id: int) -> Response:
    """Verify or reject one item; rejecting needs a note saying what to correct."""
    if kind not in KINDS:
        abort(404)
    session = get_session()
    viewer = me()
    decision = request.form.get("decision", "")
    note = request.form.get("note")
    back = back_or("mentor.reviews")
    try:
        item = review_evidence(
            session=session, actor=viewer, kind=kind, item_id=item_id, decision=decision, note=note
        )
    except NotFound:
        raise
    except Refusal as refusal:
        session.rollback()
        entry = dashboards.queue_item(session, kind, visible_item(session, viewer, kind, item_id))
        form = ReviewForm()
        if isinstance(refusal, ValidationFailed) and "note" in refusal.errors:
            why = refusal.errors["note"]
            form.show_errors({"note": REJECT_NOTE_NEEDED if why == REQUIRED else why})
        else:
            form.form_errors.append(refusal.message)
        status = 422 if isinstance(refusal, ValidationFailed) else 409
        if not wants_partial():
            refused = RefusedReview(entry.dom_id, form)
            drawn = _page_with_refused_review(back, entry, refused, status)
            if drawn is not None:
                return drawn
            flash(refusal.message, "error")
            return after_post(back)
        return partial(
            "mentor/_review_item.html", status, entry=entry, form=form, next_url=back, done=None
        )
    session.commit()
    label = KINDS[kind].label
    message = f"{label} {'verified' if decision == 'verified' else 'rejected'}."
    if not wants_partial():
        flash(message, "success")
        return after_post(back)
    entry = dashboards.queue_item(session, kind, item)
    # The page's "N items waiting" counts what its queue shows: that of the page the form
    # came from (its filters), or the candidate's own on their page.
    page = urlsplit(back)
    filters = _queue_filters(MultiDict(parse_qsl(page.query)), strict=False)
    shown, kind_shown = filters.candidate_id, filters.kind
    on_their_page = page.path == url_for("mentor.candidate", candidate_id=item.candidate_id)
    if on_their_page:
        shown, kind_shown = item.candidate_id, None
    return partial(
        "mentor/_review_item.html",
        # A review may settle an "evidence waiting" notification: the bell recounts.
        trigger={
            "review-changed": None,
            NOTIFICATIONS_CHANGED: None,
            "notify": {"message": message},
        },
        entry=entry,
        form=ReviewForm(formdata=None),
        next_url=back,
        done=message,
        waiting=dashboards.reviews_waiting(session, viewer, shown, kind_shown),
        badge=on_their_page,  # the count beside the candidate page's heading
    )


@bp.get("/candidates/search")
@role_required(*REVIEWERS)
def find_candidates() -> Response:
    """The candidates a search box's text matches (only those the viewer may see): its
    suggestions for htmx; without htmx, the candidates table searched for it. The box
    sends its text under its own name, which ``?field=`` gives (else ``q``)."""
    text = request.args.get(request.args.get("field") or "q") or ""
    if not wants_partial():
        return redirect(url_for("mentor.dashboard", q=text or None))
    found = dashboards.find_people(get_session(), me(), text)
    return partial("_person_options.html", people=found)


def _candidate(candidate_id: int) -> User:
    return visible_candidate(get_session(), me(), candidate_id)


def _feedback_form(person: User, formdata: bool = False) -> FeedbackForm:
    """The feedback form, offering the candidate's enrollments as subjects."""
    assert person.id is not None
    form = FeedbackForm() if formdata else FeedbackForm(formdata=None)
    enrollments = queries.enrollments_of(get_session(), person.id)
    form.enrollment_id.choices = options(
        [("", "Their work in general")]
        + [(str(e.id), ruleset_for(e.ruleset).title) for e in enrollments]
    )
    return form


def _candidate_page(
    person: User, feedback_form: FeedbackForm, status: int = 200, **extra: Any
) -> Response:
    session = get_session()
    viewer = me()
    board = dashboards.candidate_dashboard(session, person, viewer)
    return page_or_partial(
        "mentor/candidate.html",
        "candidate/_overview.html",
        status=status,
        board=board,
        viewer=viewer,
        queue=dashboards.review_queue(session, viewer, PageRequest(), person.id),
        form=ReviewForm(formdata=None),
        feedback_form=feedback_form,
        **extra,
    )


def candidate_page_again(candidate_id: int, back: str, status: int, **refused: Any) -> Response:
    """The candidate's page drawn again after one of its forms was refused (without
    JavaScript), ``refused`` saying which and why; its forms come back to ``back`` (the
    page's own address, not the one the refused form was posted to)."""
    person = _candidate(candidate_id)
    return _candidate_page(person, _feedback_form(person), status, next_url=back, **refused)


@bp.get("/candidates/<id:candidate_id>")
@role_required(*REVIEWERS)
def candidate(candidate_id: int) -> Response:
    """A candidate's dashboard, read-only, with the outcomes a mentor records."""
    person = _candidate(candidate_id)
    return _candidate_page(person, _feedback_form(person))


@bp.get("/candidates/<id:candidate_id>/evidence")
@role_required(*REVIEWERS)
def candidate_evidence(candidate_id: int) -> Response:
    """A candidate's whole evidence, read-only: one kind at a time (``?kind=``, else the
    first), all or of one review status (``?status=``), a page at a time, each item with
    its review history. Pending items link to the review queue."""
    person = _candidate(candidate_id)
    kind = request.args.get("kind")
    status = request.args.get("status")
    evidence = dashboards.candidate_evidence(
        get_session(),
        person,
        kind if kind in KINDS else next(iter(KINDS)),
        status if status in queries.REVIEW_STATUSES else None,
        PageRequest.from_args(request.args),
    )
    return page_or_partial("mentor/evidence.html", "mentor/_evidence.html", evidence=evidence)


@bp.post("/candidates/<id:candidate_id>/feedback")
@role_required(*REVIEWERS)
def feedback(candidate_id: int) -> Response:
    """Leave feedback for the candidate; it appears on their dashboard."""
    session = get_session()
    person = _candidate(candidate_id)
    try:
        leave_feedback(
            session=session,
            actor=me(),
            candidate_id=candidate_id,
            body=request.form.get("body"),
            enrollment_id=form_id(request.form.get("enrollment_id")),
        )
    except ValidationFailed as refusal:
        session.rollback()
        form = _feedback_form(person, formdata=True)
        form.show_errors(refusal.errors)
        if not wants_partial():
            return _candidate_page(person, form, status=422)
        return partial(
            "mentor/_feedback.html",
            422,
            candidate=person,
            feedback=dashboards.feedback_for(session, candidate_id),
            feedback_form=form,
            message=None,
        )
    session.commit()
    message = f"Feedback sent to {person.name}."
    if not wants_partial():
        flash(message, "success")
        return after_post(url_for("mentor.candidate", candidate_id=candidate_id) + "#feedback")
    return partial(
        "mentor/_feedback.html",
        trigger={"notify": {"message": message}},
        candidate=person,
        feedback=dashboards.feedback_for(session, candidate_id),
        feedback_form=_feedback_form(person),
        message=message,
    )
