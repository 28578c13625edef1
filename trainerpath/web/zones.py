"""Times in the viewer's own time zone: the template filters, and the page to choose it.

Stored times are UTC. Pages show them in the signed-in user's zone (UTC for visitors and
for users who have none yet); the API and files for programs keep UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import flash, g, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.services.errors import ValidationFailed
from trainerpath.services.time_zones import UTC_NAME, set_time_zone, zone_names
from trainerpath.wording import format_day

from .common import after_post, web_blueprint
from .forms import WebForm
from .login import me

bp = web_blueprint("zones")


def read_times_in(zone: str | None) -> None:
    """Show this request's times in ``zone``: an API caller's own, who has no login."""
    g.zone_name = zone or UTC_NAME


def viewer_zone_name() -> str:
    """The zone the signed-in user reads times in ("UTC" for anyone else)."""
    if "zone_name" not in g:
        chosen = me().time_zone if current_user.is_authenticated else None
        g.zone_name = chosen or UTC_NAME
    name: str = g.zone_name
    return name


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment in the viewer's zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(viewer_zone_name()))


def format_moment(value: datetime | None) -> str:
    """A timestamp as the viewer reads it, in their zone: 5 Mar 2025, 15:03."""
    if value is None:
        return "—"
    moment = local(value)
    return f"{format_day(moment)}, {moment:%H:%M}"


def format_local_day(value: date | datetime | None) -> str:
    """A day as people read it; a moment's day is the day in the viewer's zone."""
    if isinstance(value, datetime):
        return format_day(local(value))
    return format_day(value)


class ZoneForm(WebForm):
    """Choose a time zone (the select is drawn by the template from zone_names())."""


@bp.route("/account/time-zone", methods=["GET", "POST"])
@login_required
def time_zone() -> Response | tuple[str, int]:
    """Which time zone the pages show times in."""
    form = ZoneForm()
    chosen = request.form.get("time_zone", "") if request.method == "POST" else None
    error = None
    if request.method == "POST" and form.validate_on_submit():
        session = get_session()
        try:
            set_time_zone(session=session, user=me(), name=chosen)
        except ValidationFailed as refusal:
            session.rollback()
            error = refusal.errors["time_zone"]
        else:
            session.commit()
            flash(f"Times now show in {chosen}.", "success")
            return after_post(url_for("zones.time_zone"))
    page = render_template(
        "account/time_zone.html",
        form=form,
        zones=zone_names(),
        current=chosen if chosen is not None else viewer_zone_name(),
        error=error,
    )
    return page, 422 if error else 200
