"""Pages anyone may read: the home page, each pathway's rules, and the CST/PST comparison.

Everything shown about a pathway comes from its rulesets: the states in order, the
events leaving each, who fires them, and the requirements that guard them with their
numbers and windows. Every version of a pathway's rules is shown, the current one
first. A signed-in candidate also sees where they stand under each.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from trainerpath import dashboards
from trainerpath.db import get_session
from trainerpath.models import Role, User
from trainerpath.pathways import CURRENT, rulesets_of

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
    """The home page: each pathway under its current rules."""
    outlines = dashboards.outlines_for(get_session(), list(CURRENT.values()), _candidate())
    return render_template("public/index.html", outlines=outlines)


@bp.get("/pathways/<pathway>")
def pathway(pathway: str) -> str:
    """One pathway: every version of its rules, and the steps of one in full.

    The current rules are shown unless ``?ruleset=cst@1`` asks for another version of
    the same pathway; every version is listed (the current one first) with its
    requirements, and links to its own route.
    """
    rulesets = rulesets_of(pathway)
    if not rulesets:
        abort(404)
    wanted = request.args.get("ruleset") or rulesets[0].id
    outlines = dashboards.outlines_for(get_session(), rulesets, _candidate())
    shown = next((outline for outline in outlines if outline.ruleset.id == wanted), None)
    if shown is None:
        abort(404)
    return render_template("public/pathway.html", outline=shown, outlines=outlines)


@bp.get("/pathways/compare")
def compare() -> str:
    """Every ruleset of CST and PST side by side; a candidate sees where they stand on each."""
    rulesets = [ruleset for pathway in CURRENT for ruleset in rulesets_of(pathway)]
    candidate = _candidate()
    outlines = dashboards.outlines_for(get_session(), rulesets, candidate)
    return render_template("public/compare.html", outlines=outlines, candidate=candidate)
