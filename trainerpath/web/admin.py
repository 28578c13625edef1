"""The admin's pages: users and roles, mentor assignments, the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from trainerpath import dashboards
from trainerpath.db import get_session
from trainerpath.models import Role, User
from trainerpath.paging import KeysetRequest, PageRequest
from trainerpath.services.accounts import change_role, set_active
from trainerpath.services.errors import NotFound, Refusal, ValidationFailed
from trainerpath.services.password_links import invite_user, resend_invitation
from trainerpath.services.users import (
    TAKEN,
    assign_mentor,
    create_user,
    end_mentorship,
    user_problems,
)

from .common import after_post, back_or, page_or_partial, partial, wants_partial, web_blueprint
from .forms import AssignForm, RoleForm, UserForm
from .login import me, role_required

bp = web_blueprint("admin", url_prefix="/admin")

ADMIN = Role.ADMIN


def _users_page(form: UserForm, status: int = 200) -> Response:
    role = request.args.get("role", "")
    q = (request.args.get("q") or "").strip()[:100]
    rows = dashboards.user_rows(get_session(), PageRequest.from_args(request.args), role, q)
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


TAKEN_BY_ANOTHER = "already belongs to another user"


@bp.post("/users")
@role_required(ADMIN)
def create() -> Response:
    """Create a user of any role, with an initial password or an invitation by e-mail."""
    session = get_session()
    form = UserForm()
    if form.refuse_long_passwords():
        return _users_page(form, 422)
    invite = bool(form.invite.data)
    problems = user_problems(
        session,
        email=form.value("email"),
        name=form.value("name"),
        password=form.password.data if invite else form.password.data or "",
        role=form.role.data or "",
        invited=invite,
    )
    if problems:  # every problem at once, a taken address among them
        taken = problems.get("email") == TAKEN
        if taken:
            problems["email"] = TAKEN_BY_ANOTHER
        form.show_errors(problems)
        return _users_page(form, 409 if list(problems) == ["email"] and taken else 422)
    try:
        if invite:
            user = invite_user(
                session=session,
                actor=me(),
                email=form.value("email"),
                name=form.value("name"),
                role=form.role.data or "",
                password=form.password.data,
            )
        else:
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
        form.show_errors({"email": TAKEN_BY_ANOTHER})
        form.form_errors.append(refusal.message)
        return _users_page(form, 409)
    session.commit()
    if invite:
        flash(
            f"{user.name} is invited: an e-mail with a link to choose a password is on its "
            f"way to {user.email}.",
            "success",
        )
    else:
        flash(f"{user.name} can now log in as {user.role} with the initial password.", "success")
    return after_post(url_for("admin.users"))


@bp.post("/users/<id:user_id>/invitation")
@role_required(ADMIN)
def reinvite(user_id: int) -> Response:
    """Send a new invitation link to a user who has not chosen a password yet."""
    session = get_session()
    try:
        user = resend_invitation(session=session, actor=me(), user_id=user_id)
    except Refusal as refusal:
        return _refusal_redirect(refusal)
    session.commit()
    flash(f"A new invitation is on its way to {user.email}.", "success")
    return after_post(back_or("admin.users"))


def _refusal_redirect(refusal: Refusal) -> Response:
    get_session().rollback()
    if isinstance(refusal, NotFound):
        raise refusal
    flash(refusal.message, "error")
    return after_post(back_or("admin.users"))


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
    return after_post(back_or("admin.users"))


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
    return after_post(back_or("admin.users"))


def _mentorships_page(
    form: AssignForm,
    status: int = 200,
    mentors: Sequence[User] = (),
    candidates: Sequence[User] = (),
) -> Response:
    wanted = PageRequest.from_args(request.args)
    return page_or_partial(
        "admin/mentorships.html",
        "admin/_mentorships.html",
        status=status,
        rows=dashboards.active_mentorships(get_session(), wanted),
        form=form,
        mentor_matches=mentors,
        candidate_matches=candidates,
    )


@bp.get("/mentorships")
@role_required(ADMIN)
def mentorships() -> Response:
    """Active mentor assignments, a page at a time, and a form to add one (its candidate
    box filled from ``?candidate=``, as a notification about a candidate links here)."""
    form = AssignForm(formdata=None)
    form.candidate.data = (request.args.get("candidate") or "")[:254]
    return _mentorships_page(form)


@bp.get("/mentors/search")
@role_required(ADMIN)
def find_mentors() -> Response:
    """The active mentors a search box's text matches: its suggestions for htmx; without
    htmx, the users table searched for it. The box sends its text under ``?field=``."""
    text = request.args.get(request.args.get("field") or "q") or ""
    if not wants_partial():
        return redirect(url_for("admin.users", q=text or None))
    found = dashboards.find_people(get_session(), me(), text, Role.MENTOR)
    return partial("_person_options.html", people=found)


def _unchosen(choice: dashboards.PersonChoice, role: Role) -> str:
    """Why a search box names no one."""
    if not choice.text:
        return f"type a {role.value}'s name or e-mail"
    if choice.several:
        return f"matches several {role.value}s: choose one of the suggestions"
    return f"matches no {role.value}"


@bp.post("/mentorships")
@role_required(ADMIN)
def assign() -> Response:
    """Assign the mentor one search box names to the candidate the other names."""
    session = get_session()
    form = AssignForm()
    mentor = dashboards.choose_person(session, me(), form.mentor.data, Role.MENTOR)
    candidate = dashboards.choose_person(session, me(), form.candidate.data)
    try:
        assign_mentor(
            session=session,
            actor=me(),
            mentor_id=mentor.chosen.id or 0 if mentor.chosen else 0,
            candidate_id=candidate.chosen.id or 0 if candidate.chosen else 0,
        )
    except ValidationFailed as refusal:
        session.rollback()
        errors: dict[str, str] = {}
        if mentor.chosen is None:
            errors["mentor"] = _unchosen(mentor, Role.MENTOR)
        if candidate.chosen is None:
            errors["candidate"] = _unchosen(candidate, Role.CANDIDATE)
        aliases = {"mentor_id": "mentor", "candidate_id": "candidate"}
        form.show_errors(errors or refusal.errors, aliases)
        return _mentorships_page(form, 422, mentor.matches, candidate.matches)
    except Refusal as refusal:
        session.rollback()
        form.form_errors.append(refusal.message)
        return _mentorships_page(form, 409)
    session.commit()
    assert mentor.chosen is not None and candidate.chosen is not None
    flash(f"{mentor.chosen.name} now mentors {candidate.chosen.name}.", "success")
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


@bp.get("/audit")
@role_required(ADMIN)
def audit() -> Response:
    """The audit trail, newest first, a keyset page at a time (``?after=``/``?before=``);
    for one candidate (``?candidate=``: an id, an e-mail or a name) with their histories."""
    session = get_session()
    choice = dashboards.choose_person(session, me(), request.args.get("candidate"))
    person = choice.chosen
    trail = None
    if person is not None or not choice.text:
        wanted = KeysetRequest.from_args(request.args)
        trail = dashboards.audit_trail(session, wanted, person.id if person else None)
    histories = dashboards.histories_of(session, person.id) if person and person.id else []
    return page_or_partial(
        "admin/audit.html",
        "admin/_audit.html",
        trail=trail,
        choice=choice,
        person=person,
        histories=histories,
    )
