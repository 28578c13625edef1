"""Sign up, log in (with remember-me and a rate limit), log out, change the password."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from trainerpath import ratelimit
from trainerpath.db import get_session
from trainerpath.models import Role
from trainerpath.services.accounts import (
    WRONG_CURRENT_PASSWORD,
    change_password,
    end_sessions,
    password_change_problems,
)
from trainerpath.services.errors import Conflict, ValidationFailed
from trainerpath.services.time_zones import adopt_browser_zone
from trainerpath.services.users import (
    TAKEN,
    authenticate,
    create_user,
    normalise_email,
    user_problems,
)

from .common import after_post, safe_next, web_blueprint
from .forms import LoginForm, PasswordForm, SignupForm
from .login import SignedIn, me
from .security import rotate_csrf_secret

bp = web_blueprint("auth")

WRONG_CREDENTIALS = "That e-mail and password do not match an account. Please try again."
TAKEN_HERE = "already has an account: log in instead"


def home_for(role: str) -> str:
    """The page each role starts from."""
    if role == Role.MENTOR:
        return url_for("mentor.dashboard")
    if role == Role.ADMIN:
        return url_for("admin.users")
    return url_for("candidate.dashboard")


def ask_to_wait(
    template: str, form: FlaskForm, too_many: ratelimit.TooManyAttempts
) -> tuple[str, int, dict[str, str]]:
    """Show the form again saying how long to wait: 429 with Retry-After."""
    form.form_errors.append(too_many.sentence())
    return render_template(template, form=form), 429, {"Retry-After": str(too_many.retry_after)}


@bp.get("/dashboard")
@login_required
def dashboard() -> Response:
    """Send each user to their own start page."""
    return redirect(home_for(me().role))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int, dict[str, str]]:
    """Show the login form; log in, slowing down repeated failures."""
    form = LoginForm()
    if request.method != "POST":  # GET, and HEAD answered as GET
        if current_user.is_authenticated:
            return redirect(home_for(me().role))
        form.next.data = request.args.get("next", "")
        return render_template("auth/login.html", form=form)
    if form.refuse_long_passwords():
        return render_template("auth/login.html", form=form), 422, {}
    email = normalise_email(form.value("email"))
    guard, address = ratelimit.guard(), ratelimit.client_address()
    try:
        guard.check(address, email)
    except ratelimit.TooManyAttempts as too_many:
        return ask_to_wait("auth/login.html", form, too_many)
    given = {"email": form.value("email"), "password": form.password.data}
    missing = {name: "required" for name, value in given.items() if not value}
    if missing:  # nothing to check yet: say what is missing, not "do not match"
        form.show_errors(missing)
        return render_template("auth/login.html", form=form), 422, {}
    user = authenticate(get_session(), email, form.password.data or "")
    if user is None:
        guard.fail(address, email)
        form.form_errors.append(WRONG_CREDENTIALS)
        return render_template("auth/login.html", form=form), 200, {}
    guard.succeed(address, email)
    if adopt_browser_zone(session=get_session(), user=user, name=form.value("time_zone")):
        get_session().commit()
    login_user(SignedIn(user), remember=bool(form.remember.data))
    rotate_csrf_secret()
    flash(f"Welcome back, {user.name}.", "success")
    return after_post(safe_next(form.value("next"), home_for(user.role)))


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Create a candidate account and log in; probing for taken e-mails counts as failing."""
    form = SignupForm()
    if request.method != "POST":  # GET, and HEAD answered as GET
        if current_user.is_authenticated:
            return redirect(home_for(me().role))
        return render_template("auth/signup.html", form=form)
    guard, address = ratelimit.guard(), ratelimit.client_address()
    signups = ratelimit.signup_guard()
    try:
        guard.check(address, None)
        signups.check(address)
    except ratelimit.TooManyAttempts as too_many:
        return ask_to_wait("auth/signup.html", form, too_many)
    session = get_session()
    if form.refuse_long_passwords():
        return render_template("auth/signup.html", form=form), 422
    # Every problem at once: a taken address is not held back until the password is fixed.
    problems = user_problems(
        session,
        email=form.value("email"),
        name=form.value("name"),
        password=form.password.data or "",
        role=Role.CANDIDATE.value,
    )
    if form.password.data != form.confirm.data:
        problems["confirm"] = "does not match the password"
    if problems:
        session.rollback()
        taken = problems.get("email") == TAKEN
        if taken:
            guard.fail(address, None)  # it says the address has an account: count it
            problems["email"] = TAKEN_HERE
        form.show_errors(problems)
        return render_template("auth/signup.html", form=form), 409 if list(problems) == [
            "email"
        ] and taken else 422
    try:
        signups.reserve(address)
    except ratelimit.TooManyAttempts as too_many:
        session.rollback()
        return ask_to_wait("auth/signup.html", form, too_many)
    try:
        user = create_user(
            session=session,
            email=form.value("email"),
            name=form.value("name"),
            password=form.password.data or "",
            role=Role.CANDIDATE.value,
        )
        adopt_browser_zone(session=session, user=user, name=form.value("time_zone"))
    except ValidationFailed as refusal:
        session.rollback()
        form.show_errors(refusal.errors)
        return render_template("auth/signup.html", form=form), 422
    except Conflict:
        session.rollback()
        guard.fail(address, None)  # it says the address has an account: count it
        form.show_errors({"email": TAKEN_HERE})
        return render_template("auth/signup.html", form=form), 409
    session.commit()
    login_user(SignedIn(user))
    rotate_csrf_secret()
    flash(f"Welcome to trainerpath, {user.name}! Start by choosing a pathway.", "success")
    return after_post(url_for("candidate.dashboard"))


@bp.post("/logout")
def logout() -> Response:
    """Log out everywhere: the session and every remembered device of this user end."""
    if current_user.is_authenticated:
        session = get_session()
        end_sessions(session=session, user=me())
        session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return after_post(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Change one's password; other sessions end, this one stays logged in."""
    form = PasswordForm()
    if request.method != "POST":  # GET, and HEAD answered as GET
        return render_template("auth/password.html", form=form)
    if form.refuse_long_passwords():
        return render_template("auth/password.html", form=form), 422
    session = get_session()
    user = me()
    guard, address = ratelimit.guard(), ratelimit.client_address()
    try:
        guard.check(address, user.email)
    except ratelimit.TooManyAttempts as too_many:
        return ask_to_wait("auth/password.html", form, too_many)
    current, new = form.current_password.data or "", form.new_password.data or ""
    try:
        if new != (form.confirm.data or ""):
            # Every problem at once: a wrong current password is not held back until
            # the new one is typed the same twice.
            problems = password_change_problems(
                user=user, current_password=current, new_password=new
            )
            raise ValidationFailed(problems | {"confirm": "does not match the new password"})
        change_password(session=session, user=user, current_password=current, new_password=new)
    except ValidationFailed as refusal:
        session.rollback()
        if refusal.errors.get("current_password") == WRONG_CURRENT_PASSWORD:
            guard.fail(address, user.email)  # a stolen session must not guess it freely
        form.show_errors(refusal.errors)
        return render_template("auth/password.html", form=form), 422
    session.commit()
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(SignedIn(user), remember=remembered)  # re-issue cookies with the new version
    rotate_csrf_secret()
    flash("Your password is changed. Other devices have been logged out.", "success")
    return after_post(home_for(user.role))
