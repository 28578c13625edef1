"""Configuration: defaults, then instance/config.py, then TRAINERPATH_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class Defaults:
    """The settings every app starts from."""

    SECRET_KEY = DEFAULT_SECRET_KEY
    DATABASE_URL: str | None = None  # None: a SQLite file in the instance folder
    TOKEN_TTL_DAYS = 30
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session


class ConfigError(SystemExit):
    """A setting that makes starting unsafe; its message is one line for people."""


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in order: defaults, instance file, environment, test overrides."""
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("TRAINERPATH")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE_URL"):
        db_file = Path(app.instance_path) / "trainerpath.db"
        app.config["DATABASE_URL"] = f"sqlite:///{db_file}"
    _refuse_unsafe_secret(app)


def _refuse_unsafe_secret(app: Flask) -> None:
    if app.debug or app.testing:
        return
    secret = app.config.get("SECRET_KEY")
    if not secret or secret == DEFAULT_SECRET_KEY:
        raise ConfigError(
            "trainerpath: refusing to start without a secret key: set TRAINERPATH_SECRET_KEY "
            "or SECRET_KEY in instance/config.py (`make run` writes one for you)."
        )
