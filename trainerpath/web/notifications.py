"""Everyone's notifications: the bell's count, the list, opening one, marking them read.

Only one's own: another user's notification is a 404, as if it did not exist. With
htmx, marking read answers 204 and ``HX-Trigger: notifications-changed``, on which the
bell and the list fetch themselves again; without it, the form redirects back.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_htmx import make_response as htmx_response
from flask_login import login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.paging import PageRequest
from trainerpath.services import notifications

from .common import (
    UrlPattern,
    after_post,
    back_or,
    current_url,
    page_or_partial,
    partial,
    safe_next,
    wants_partial,
    web_blueprint,
)
from .login import me

bp = web_blueprint("notifications")

CHANGED = "notifications-changed"


def _changed(message: str) -> Response:
    """Answer a successful mark-read: 204 telling htmx what changed, else back to the list."""
    if wants_partial():
        return htmx_response("", 204, trigger={CHANGED: None, "notify": {"message": message}})
    flash(message, "success")
    return after_post(back_or("notifications.index"))


@bp.get("/notifications")
@login_required
def index() -> Response:
    """One's notifications, newest first, a page at a time (``?unread=1``: unread only)."""
    session = get_session()
    user = me()
    unread_only = request.args.get("unread") == "1"
    page = notifications.notifications_page(
        session, user, PageRequest.from_args(request.args), unread_only
    )
    return page_or_partial(
        "notifications/index.html",
        "notifications/_list.html",
        page=page,
        unread_only=unread_only,
        unread=notifications.unread_count(session, user),
        links=_links(),
    )


def _links() -> dict[str, Any]:
    """What every item of the list shares: URL patterns, the CSRF token, where to come back."""
    return {
        "open": UrlPattern("notifications.open_one", "notification_id"),
        "read": UrlPattern("notifications.read", "notification_id"),
        "csrf": generate_csrf(),
        "back": current_url(),
        "message": notifications.message,
        "limit": notifications.UNREAD_COUNT_LIMIT,
    }


@bp.get("/notifications/bell")
@login_required
def bell() -> Response:
    """The bell with the unread count, for htmx; without htmx, the list itself."""
    if not wants_partial():
        return redirect(url_for("notifications.index"))
    unread = notifications.unread_count(get_session(), me())
    return partial(
        "notifications/_bell.html", unread=unread, limit=notifications.UNREAD_COUNT_LIMIT
    )


# What ``Sec-Fetch-Site`` says of a request another site started (a link or a redirect
# on its page): the browser sends the session cookie with it (SameSite=Lax), though the
# person never chose to open the notification here.
FROM_ELSEWHERE = frozenset({"cross-site", "same-site"})


@bp.get("/notifications/<id:notification_id>")
@login_required
def open_one(notification_id: int) -> Response:
    """Mark the notification read and go to what it is about; a link from another site
    only goes there, as a GET from elsewhere must change nothing."""
    session = get_session()
    user = me()
    if request.headers.get("Sec-Fetch-Site") in FROM_ELSEWHERE:
        found = notifications.own_notification(session, user=user, notification_id=notification_id)
    else:
        # End the read that loaded the user: the UPDATE then begins a transaction of its
        # own, which on SQLite waits for the write lock like any writer instead of failing.
        session.commit()
        found = notifications.mark_read(session, user=user, notification_id=notification_id)
        session.commit()
    # Our own paths, stored as we wrote them; checked all the same, as any redirect is.
    link = safe_next(found.link, "")
    return redirect(request.script_root + link if link else url_for(".index"), 303)


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def read(notification_id: int) -> Response:
    """Mark one notification read."""
    session = get_session()
    notifications.mark_read(session, user=me(), notification_id=notification_id)
    session.commit()
    return _changed("Marked as read.")


@bp.post("/notifications/read-all")
@login_required
def read_all() -> Response:
    """Mark every notification read."""
    session = get_session()
    marked = notifications.mark_all_read(session, user=me())
    session.commit()
    return _changed(
        f"{marked} {'notification' if marked == 1 else 'notifications'} marked as read."
    )
