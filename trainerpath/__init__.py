"""trainerpath: the CST and PST trainer pathways as guarded state machines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE = Path(__file__).resolve().parent


def _templates_folder() -> str:
    # A wheel carries the templates inside the package; a checkout keeps them beside it.
    inside = PACKAGE / "templates"
    return str(inside if inside.is_dir() else PACKAGE.parent / "templates")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure a trainerpath application."""
    from . import api, cli, db, web
    from .config import load_config, refuse_unsafe_secret

    app = Flask(__name__, instance_relative_config=True, template_folder=_templates_folder())
    load_config(app, test_config)
    if not cli.finding_commands():
        # An app that may serve refuses an unsafe secret key now; when the command line
        # loads it only to find a command, the commands that need the key refuse instead.
        refuse_unsafe_secret(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
