"""Flask-Login glue: who is signed in, and why an old cookie stops working.

The id stored in the session cookie and in the remember-me cookie is
``"<user id>:<session version>:<signed in at>"``. Logging out, changing the password and
being deactivated bump ``User.session_version``, so every cookie issued before no longer
matches and the request is anonymous; so is one of a sign-in older than
``REMEMBER_COOKIE_DURATION`` (30 days), a session's as well as a remembered one's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, flash, redirect, request
from flask_login import UserMixin, current_user, login_required, login_url
from sqlalchemy import Integer, bindparam, select
from sqlmodel import col
from werkzeug.wrappers import Response

from trainerpath import clock
from trainerpath.bounds import parse_id
from trainerpath.db import get_session
from trainerpath.extensions import login_manager
from trainerpath.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


class SignedIn(UserMixin):
    """The signed-in user as Flask-Login sees it, wrapping the database row."""

    def __init__(self, user: User, signed_in_at: int | None = None) -> None:
        self.user = user
        # When the user signed in (Unix seconds): a remembered sign-in ends after
        # REMEMBER_COOKIE_DURATION on the server too, not only when a browser drops it.
        self.signed_in_at = int(clock.now().timestamp()) if signed_in_at is None else signed_in_at

    def get_id(self) -> str:
        """The id the cookies carry: user id, session version, when they signed in."""
        return f"{self.user.id}:{self.user.session_version}:{self.signed_in_at}"

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot sign in."""
        return bool(self.user.is_active)

    @property
    def id(self) -> int | None:
        """The user's id."""
        return self.user.id

    @property
    def name(self) -> str:
        """The user's name."""
        return self.user.name

    @property
    def email(self) -> str:
        """The user's e-mail address."""
        return self.user.email

    @property
    def role(self) -> str:
        """The user's role."""
        return self.user.role


@cache
def _user_stmt() -> Any:
    """Built once: a user by id (``Session.get`` builds its statement on every call)."""
    return select(User).where(col(User.id) == bindparam("user_id", type_=Integer))


def load_user(cookie_id: str) -> SignedIn | None:
    """Return the signed-in user for a cookie's id, or None when it is stale, too old or
    malformed."""
    parts = cookie_id.split(":")
    user_id = parse_id(parts[0])
    if user_id is None or len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    version, signed_in_at = int(parts[1]), int(parts[2])
    lasts = current_app.config["REMEMBER_COOKIE_DURATION"]  # a timedelta, or seconds
    seconds = lasts.total_seconds() if isinstance(lasts, timedelta) else float(lasts)
    if clock.now().timestamp() - signed_in_at > seconds:
        return None
    user = get_session().execute(_user_stmt(), {"user_id": user_id}).scalar_one_or_none()
    if user is None or not user.is_active or user.session_version != version:
        return None
    return SignedIn(user, signed_in_at)


def me() -> User:
    """The signed-in user's row, bound to this request's database session."""
    user: User = cast(SignedIn, current_user).user
    return user


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let signed-in users with one of ``roles`` in; others get 403, anonymous users log in."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if me().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, login_required(wrapped))

    return decorate


def ask_to_log_in() -> Response:
    """Send an anonymous visitor to the login page, then back; htmx follows via HX-Redirect."""
    target = login_url("auth.login", next_url=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        # An XHR would follow a plain redirect and swap the login page into a fragment.
        return Response(status=401, headers={"HX-Redirect": target})
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(target)


def init_app() -> None:
    """Configure the login manager (bound to the app by the caller)."""
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(ask_to_log_in)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
