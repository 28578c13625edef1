"""Notification e-mail settings, and the one-click unsubscribe link of every such mail."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.links import unsign
from trainerpath.models import User
from trainerpath.notification_kinds import KINDS, kinds_for
from trainerpath.services.email_preferences import (
    choices_for,
    email_settings,
    set_email_preferences,
)
from trainerpath.services.email_preferences import (
    unsubscribe as stop_emails,
)
from trainerpath.services.errors import ValidationFailed
from trainerpath.services.outbox import UNSUBSCRIBE

from .common import after_post, form_errors, web_blueprint
from .forms import WebForm
from .login import me
from .security import exempt_from_csrf

bp = web_blueprint("settings")

DELIVERY_LABELS = {
    "immediate": "E-mail me each time",
    "digest": "In a daily digest",
    "off": "No e-mail",
}


def _settings_page(
    chosen: dict[str, str], errors: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    rows = [(kind, choices_for(kind)) for kind in kinds_for(me().role)]
    page = render_template(
        "account/notifications.html",
        form=WebForm(),
        rows=rows,
        chosen=chosen,
        errors=errors or {},
        labels=DELIVERY_LABELS,
    )
    return page, status


@bp.get("/account/notifications")
@login_required
def notifications() -> tuple[str, int]:
    """Which notifications come by e-mail, per kind (and digest or not, where offered)."""
    return _settings_page(email_settings(get_session(), me()))


@bp.post("/account/notifications")
@login_required
def save_notifications() -> Response | tuple[str, int]:
    """Store the choices; a refused one is shown beside its kind and nothing changes."""
    session = get_session()
    user = me()
    submitted = {kind.key: request.form.get(kind.key, "") for kind in kinds_for(user.role)}
    try:
        set_email_preferences(session=session, user=user, choices=submitted)
    except ValidationFailed as refusal:
        session.rollback()
        return _settings_page(
            email_settings(session, user) | submitted, form_errors(refusal.errors), 422
        )
    session.commit()
    flash("Your notification settings are saved.", "success")
    return after_post(url_for("settings.notifications"))


def _unsubscribing(token: str) -> tuple[User, str] | None:
    """The user and kind of an unsubscribe token, or None when it is not ours."""
    payload = unsign(UNSUBSCRIBE, token)
    if payload is None or not isinstance(payload.get("u"), int):
        return None
    user = get_session().get(User, payload["u"])
    kind = payload.get("k")
    if user is None or kind not in KINDS:
        return None
    return user, str(kind)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> tuple[str, int]:
    """Ask to confirm (no login needed): a GET changes nothing, as mail scanners follow links."""
    found = _unsubscribing(token)
    if found is None:
        return render_template("account/unsubscribe.html", invalid=True), 404
    user, kind = found
    return render_template(
        "account/unsubscribe.html", person=user, kind=KINDS[kind], token=token, done=False
    ), 200


@bp.post("/unsubscribe/<token>")
@exempt_from_csrf  # the signed token is the authority; RFC 8058 mail programs POST without ours
def confirm_unsubscribe(token: str) -> tuple[str, int]:
    """Stop that kind of e-mail: the confirm button, or a mail program's one-click POST."""
    found = _unsubscribing(token)
    if found is None:
        return render_template("account/unsubscribe.html", invalid=True), 404
    user, kind = found
    session = get_session()
    stop_emails(session=session, user=user, kind=kind)
    session.commit()
    return render_template(
        "account/unsubscribe.html", person=user, kind=KINDS[kind], token=token, done=True
    ), 200
