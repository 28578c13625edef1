"""trainerpath: the CST and PST trainer pathways as guarded state machines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE = Path(__file__).resolve().parent
# The front-end files the pages load, copied from npm by scripts/copy_static.py.
VENDOR_FILES = ("htmx.min.js", "pico.min.css")


def _templates_folder() -> str:
    # A wheel carries the templates inside the package; a checkout keeps them beside it.
    inside = PACKAGE / "templates"
    return str(inside if inside.is_dir() else PACKAGE.parent / "templates")


def refuse_missing_vendor_files(app: Flask) -> None:
    """Say on stderr in one line what to run, and exit, when htmx or Pico is missing."""
    from .config import ConfigError

    vendor = Path(app.static_folder or PACKAGE / "static") / "vendor"
    missing = [name for name in VENDOR_FILES if not (vendor / name).is_file()]
    if not missing:
        return
    refusal = ConfigError(
        f"trainerpath: refusing to start without {' and '.join(missing)} in {vendor}: "
        "run `make setup`, or `npm ci && python scripts/copy_static.py` in the checkout."
    )
    print(refusal, file=sys.stderr, flush=True)
    raise refusal


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure a trainerpath application."""
    from . import api, cli, db, mail, uploads, web
    from .bounds import DigitsConverter, IdConverter
    from .config import load_config, refuse_bad_settings, refuse_unsafe_secret

    app = Flask(__name__, instance_relative_config=True, template_folder=_templates_folder())
    # Before any blueprint adds a rule: ``<id:...>`` matches only ids a row can have.
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["digits"] = DigitsConverter
    load_config(app, test_config)
    # A setting the app cannot use (TOKEN_TTL_DAYS=0.5) stops it now, not each request.
    refuse_bad_settings(app)
    if not cli.finding_commands():
        # An app that may serve refuses an unsafe secret key, or pages without htmx and
        # Pico, now; when the command line loads it only to find a command, the commands
        # that need the key refuse instead (and none of them serves the static files).
        refuse_unsafe_secret(app)
        refuse_missing_vendor_files(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    mail.init_app(app)
    # First: upload routes may read larger bodies, and the CSRF check reads the body.
    uploads.init_app(app)
    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
