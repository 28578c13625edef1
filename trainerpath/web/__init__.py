"""The web interface for people: blueprints, login, CSRF, htmx, headers, error pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from trainerpath.bounds import MAX_NOTE
from trainerpath.dashboards.common import STATUS_LABELS, format_number
from trainerpath.extensions import htmx, login_manager
from trainerpath.pathways import CURRENT
from trainerpath.services.evidence_kinds import KINDS

from . import (
    admin,
    attachments,
    auth,
    candidate,
    errors,
    exports,
    forms,
    imports,
    login,
    mentor,
    notifications,
    public,
    recovery,
    security,
    settings,
    zones,
)
from .common import UrlPattern, current_url, humanise


def days_ago(days: int | None) -> str:
    """A number of days as a phrase: today, yesterday, 5 days ago."""
    if days is None:
        return "—"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def duration(seconds: float | None) -> str:
    """A length of time as people say it: 40 minutes, 5.5 hours, 2.3 days (— for none)."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{round(seconds / 60)} minutes"
    if seconds < 2 * 86400:
        return f"{format_number(round(seconds / 3600, 1))} hours"
    return f"{format_number(round(seconds / 86400, 1))} days"


def _template_globals() -> dict[str, Any]:
    return {
        "EVIDENCE_KINDS": KINDS,
        "PATHWAYS": CURRENT,
        "url_pattern": UrlPattern,
        "current_url": current_url,
        "viewer_zone": zones.viewer_zone_name,
        "MAX_NOTE": MAX_NOTE,
        "STATUS_LABELS": STATUS_LABELS,
        "autofocus": forms.autofocus,
    }


def init_app(app: Flask) -> None:
    """Register the web blueprints and everything they rely on."""
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))
    login.init_app()
    login_manager.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.jinja_env.filters["day"] = zones.format_local_day
    app.jinja_env.filters["moment"] = zones.format_moment
    app.jinja_env.filters["days_ago"] = days_ago
    app.jinja_env.filters["humanise"] = humanise
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.globals.update(_template_globals())
    for blueprint in (
        public.bp,
        auth.bp,
        recovery.bp,
        settings.bp,
        candidate.bp,
        mentor.bp,
        admin.bp,
        notifications.bp,
        attachments.bp,
        exports.bp,
        imports.bp,
        zones.bp,
    ):
        app.register_blueprint(blueprint)
