"""Blueprints for people."""

from flask import Flask

from . import public


def init_app(app: Flask) -> None:
    """Register the web blueprints."""
    app.register_blueprint(public.bp)
