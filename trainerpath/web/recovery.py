"""Password links: "Forgot password?", the reset link, and accepting an invitation."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from trainerpath import ratelimit
from trainerpath.db import get_session
from trainerpath.services import password_links
from trainerpath.services.errors import NotFound, ValidationFailed
from trainerpath.services.users import normalise_email, password_problem

from .auth import ask_to_wait, home_for
from .common import after_post, web_blueprint
from .forms import ForgotPasswordForm, NewPasswordForm
from .login import SignedIn
from .security import rotate_csrf_secret

bp = web_blueprint("recovery")

SENT = (
    "If an account uses that address, a link to choose a new password is on its way. "
    "It works once, within an hour."
)

PageResult = Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot() -> PageResult:
    """Mail a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if request.method != "POST":  # GET, and HEAD answered as GET
        return render_template("auth/forgot.html", form=form)
    email = normalise_email(form.value("email"))
    if not email:
        form.show_errors({"email": "required"})
        return render_template("auth/forgot.html", form=form), 422
    guard, address = ratelimit.reset_guard(), ratelimit.client_address()
    try:
        guard.check(address, email)
    except ratelimit.TooManyAttempts as too_many:
        return ask_to_wait("auth/forgot.html", form, too_many)
    # Every request counts, so nobody can flood an inbox with reset mails.
    guard.fail(address, email)
    session = get_session()
    password_links.request_password_reset(session, email=email)
    session.commit()
    flash(SENT, "info")
    return after_post(url_for("auth.login"))


def _choose_password(purpose: str, token: str, template: str) -> PageResult:
    """Show the form of a valid link, or say it is unusable; set the password on POST."""
    session = get_session()
    user = password_links.user_for_link(session, purpose, token)
    if user is None:
        return render_template("auth/link_unusable.html", purpose=purpose), 410
    form = NewPasswordForm()
    if request.method != "POST":  # GET, and HEAD answered as GET
        return render_template(template, form=form, person=user)
    if form.refuse_long_passwords():
        return render_template(template, form=form, person=user), 422
    if form.new_password.data != form.confirm.data:
        problems = {"confirm": "does not match the new password"}
        if too_weak := password_problem(form.new_password.data or ""):
            problems["new_password"] = too_weak  # said now, not once the two match
        form.show_errors(problems)
        return render_template(template, form=form, person=user), 422
    try:
        user = password_links.set_password_from_link(
            session=session, purpose=purpose, token=token, new_password=form.new_password.data or ""
        )
    except ValidationFailed as refusal:
        session.rollback()
        form.show_errors(refusal.errors)
        return render_template(template, form=form, person=user), 422
    except NotFound:
        session.rollback()
        return render_template("auth/link_unusable.html", purpose=purpose), 410
    session.commit()
    login_user(SignedIn(user))
    rotate_csrf_secret()
    if purpose == password_links.INVITE:
        flash(f"Welcome to trainerpath, {user.name}! Your password is set.", "success")
    else:
        flash("Your password is changed. You were logged out everywhere else.", "success")
    return after_post(home_for(user.role))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> PageResult:
    """Choose a new password from a reset link (an hour, once)."""
    return _choose_password(password_links.RESET, token, "auth/reset.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> PageResult:
    """Choose one's first password from an invitation link."""
    return _choose_password(password_links.INVITE, token, "auth/invitation.html")
