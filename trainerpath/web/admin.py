"""The admin's pages: users and roles, mentor assignments, the audit trail."""

from __future__ import annotations

import math

from flask import abort, flash, request, url_for
from werkzeug.wrappers import Response

from trainerpath import dashboards
from trainerpath.bounds import form_id, parse_id
from trainerpath.db import get_session
from trainerpath.models import Role
from trainerpath.services.accounts import change_role, set_active
from trainerpath.services.errors import NotFound, Refusal, ValidationFailed
from trainerpath.services.users import assign_mentor, create_user, end_mentorship

from .common import after_post, page_or_partial, web_blueprint
from .forms import AssignForm, RoleForm, UserForm, options
from .login import me, role_required

bp = web_blueprint("admin", url_prefix="/admin")

ADMIN = Role.ADMIN


def _users_page(form: UserForm, status: int = 200) -> Response:
    role = request.args.get("role", "")
    q = (request.args.get("q") or "").strip()[:100]
    rows = dashboards.user_rows(get_session(), role=role, q=q)
    return page_or_partial(
        "admin/users.html",
        "admin/_users.html",
        status=status,
        rows=rows,
        form=form,
        role_form=RoleForm(formdata=None),
        role=role,
        q=q,
        viewer=me(),
    )


@bp.get("/users")
@role_required(ADMIN)
def users() -> Response:
    """Every user, with forms to create users, change roles and deactivate accounts."""
    return _users_page(UserForm(formdata=None))


@bp.post("/users")
@role_required(ADMIN)
def create() -> Response:
    """Create a user of any role."""
    session = get_session()
    form = UserForm()
    if form.refuse_long_passwords():
        return _users_page(form, 422)
    try:
        user = create_user(
            session=session,
            email=form.value("email"),
            name=form.value("name"),
            password=form.password.data or "",
            role=form.role.data or "",
            actor=me(),
        )
    except ValidationFailed as refusal:
        session.rollback()
        form.show_errors(refusal.errors)
        return _users_page(form, 422)
    except Refusal as refusal:
        session.rollback()
        form.show_errors({"email": "already belongs to another user"})
        form.form_errors.append(refusal.message)
        return _users_page(form, 409)
    session.commit()
    flash(f"{user.name} can now log in as {user.role} with the initial password.", "success")
    return after_post(url_for("admin.users"))


def _refusal_redirect(refusal: Refusal) -> Response:
    get_session().rollback()
    if isinstance(refusal, NotFound):
        raise refusal
    flash(refusal.message, "error")
    return after_post(url_for("admin.users"))


@bp.post("/users/<id:user_id>/role")
@role_required(ADMIN)
def role(user_id: int) -> Response:
    """Change a user's role."""
    session = get_session()
    try:
        user = change_role(
            session=session, actor=me(), user_id=user_id, role=request.form.get("role", "")
        )
    except Refusal as refusal:
        return _refusal_redirect(refusal)
    session.commit()
    flash(f"{user.name} is now {'an' if user.role == 'admin' else 'a'} {user.role}.", "success")
    return after_post(url_for("admin.users"))


@bp.post("/users/<id:user_id>/active")
@role_required(ADMIN)
def active(user_id: int) -> Response:
    """Deactivate an account (ending its sessions at once) or reactivate it."""
    session = get_session()
    wanted = request.form.get("active") == "1"
    try:
        user = set_active(session=session, actor=me(), user_id=user_id, active=wanted)
    except Refusal as refusal:
        return _refusal_redirect(refusal)
    session.commit()
    if wanted:
        flash(f"{user.name} can log in again.", "success")
    else:
        flash(f"{user.name} is deactivated and has been logged out everywhere.", "success")
    return after_post(url_for("admin.users"))


def _assign_form(formdata: bool = False) -> AssignForm:
    session = get_session()
    form = AssignForm() if formdata else AssignForm(formdata=None)
    mentors = dashboards.users_with_role(session, Role.MENTOR.value)
    candidates = dashboards.users_with_role(session, Role.CANDIDATE.value)
    form.mentor_id.choices = options(
        [("", "Choose a mentor…")] + [(str(u.id), f"{u.name} ({u.email})") for u in mentors]
    )
    form.candidate_id.choices = options(
        [("", "Choose a candidate…")] + [(str(u.id), f"{u.name} ({u.email})") for u in candidates]
    )
    form.names = {u.id: u.name for u in (*mentors, *candidates)}
    return form


def _mentorships_page(form: AssignForm, status: int = 200) -> Response:
    return page_or_partial(
        "admin/mentorships.html",
        "admin/_mentorships.html",
        status=status,
        rows=dashboards.active_mentorships(get_session()),
        form=form,
    )


@bp.get("/mentorships")
@role_required(ADMIN)
def mentorships() -> Response:
    """Active mentor assignments, and a form to add one."""
    return _mentorships_page(_assign_form())


@bp.post("/mentorships")
@role_required(ADMIN)
def assign() -> Response:
    """Assign a mentor to a candidate."""
    session = get_session()
    form = _assign_form(formdata=True)
    try:
        mentorship = assign_mentor(
            session=session,
            actor=me(),
            mentor_id=form_id(form.mentor_id.data) or 0,
            candidate_id=form_id(form.candidate_id.data) or 0,
        )
    except ValidationFailed as refusal:
        session.rollback()
        form.show_errors({key: "choose one from the list" for key in refusal.errors})
        return _mentorships_page(form, 422)
    except Refusal as refusal:
        session.rollback()
        form.form_errors.append(refusal.message)
        return _mentorships_page(form, 409)
    session.commit()
    mentor, candidate = form.names[mentorship.mentor_id], form.names[mentorship.candidate_id]
    flash(f"{mentor} now mentors {candidate}.", "success")
    return after_post(url_for("admin.mentorships"))


@bp.post("/mentorships/<id:mentorship_id>/end")
@role_required(ADMIN)
def end(mentorship_id: int) -> Response:
    """End a mentor assignment; the mentor loses access at once."""
    session = get_session()
    try:
        end_mentorship(session=session, actor=me(), mentorship_id=mentorship_id)
    except NotFound:
        raise
    except Refusal as refusal:
        session.rollback()
        flash(refusal.message, "error")
        return after_post(url_for("admin.mentorships"))
    session.commit()
    flash("The assignment has ended. The mentor no longer sees this candidate.", "success")
    return after_post(url_for("admin.mentorships"))


def _query_id(name: str) -> int | None:
    """A number from the query string (an id, a page): None if absent, 404 if no row has it."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        abort(404)
    return value


@bp.get("/audit")
@role_required(ADMIN)
def audit() -> Response:
    """The audit trail, newest first, optionally for one candidate (with their histories)."""
    session = get_session()
    candidate_id = _query_id("candidate")
    page = _query_id("page") or 1
    rows, total = dashboards.audit_trail(session, candidate_id, page)
    candidates = dashboards.users_with_role(session, Role.CANDIDATE.value, active_only=False)
    histories = dashboards.histories_of(session, candidate_id) if candidate_id else []
    return page_or_partial(
        "admin/audit.html",
        "admin/_audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / dashboards.AUDIT_PAGE)),
        candidates=candidates,
        candidate_id=candidate_id,
        histories=histories,
    )
