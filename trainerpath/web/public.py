"""Pages anyone may read: the home page, each pathway's rules, and the CST/PST comparison.

Everything shown about a pathway comes from its ruleset: the states in order, the
events leaving each, who fires them, and the requirement checks that guard them. A
signed-in candidate also sees where they stand.
"""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from trainerpath import dashboards
from trainerpath.db import get_session
from trainerpath.models import Role, User
from trainerpath.pathways import CURRENT

from .common import web_blueprint
from .login import me

bp = web_blueprint("public")


def _candidate() -> User | None:
    """The signed-in candidate, if the visitor is one."""
    if current_user.is_authenticated and me().role == Role.CANDIDATE:
        return me()
    return None


@bp.get("/")
def index() -> str:
    """The home page."""
    session = get_session()
    candidate = _candidate()
    outlines = [dashboards.pathway_outline(session, r) for r in CURRENT.values()]
    standing = dashboards.standings(session, candidate, outlines) if candidate else {}
    return render_template("public/index.html", outlines=outlines, standing=standing)


@bp.get("/pathways/<pathway>")
def pathway(pathway: str) -> str:
    """One pathway: its steps, the requirements of each, and who decides."""
    ruleset = CURRENT.get(pathway)
    if ruleset is None:
        abort(404)
    session = get_session()
    candidate = _candidate()
    outline = dashboards.pathway_outline(session, ruleset, candidate.id if candidate else None)
    standing = dashboards.standings(session, candidate, [outline]) if candidate else {}
    return render_template(
        "public/pathway.html",
        outline=outline,
        standing=standing.get(pathway),
        candidate=candidate,
    )


@bp.get("/pathways/compare")
def compare() -> str:
    """CST and PST side by side; a candidate sees where they stand on each."""
    session = get_session()
    candidate = _candidate()
    candidate_id = candidate.id if candidate else None
    outlines = [dashboards.pathway_outline(session, r, candidate_id) for r in CURRENT.values()]
    standing = dashboards.standings(session, candidate, outlines) if candidate else {}
    return render_template(
        "public/compare.html", outlines=outlines, standing=standing, candidate=candidate
    )
