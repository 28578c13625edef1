"""Pages anyone may read: the home page and the pathway rulesets."""

from flask import Blueprint, abort, render_template

from trainerpath.pathways import CURRENT
from trainerpath.services.pathways import event_label, state_label, who_phrase

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    """The home page."""
    return render_template("public/index.html", rulesets=list(CURRENT.values()))


@bp.get("/pathways/<pathway>")
def pathway(pathway: str) -> str:
    """One pathway's states, events, requirements and who decides each step."""
    ruleset = CURRENT.get(pathway)
    if ruleset is None:
        abort(404)
    return render_template(
        "public/pathway.html",
        ruleset=ruleset,
        event_label=event_label,
        state_label=state_label,
        who_phrase=who_phrase,
    )
