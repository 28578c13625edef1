"""The JSON API v1 (../shared/docs/api.md): bearer tokens, JSON errors, OpenAPI reference."""

from __future__ import annotations

from typing import Any

from flask import Flask

from trainerpath.extensions import csrf
from trainerpath.services.errors import NotFound

from . import attachments, errors, imports, openapi, unrouted, views
from .auth import authenticate
from .blueprint import bp, registry
from .registry import ID_MAX, Operation

__all__ = ["attachments", "bp", "imports", "init_app", "openapi", "registry", "unrouted", "views"]


def _guard(operation: Operation, arguments: dict[str, Any]) -> None:
    """Authenticate (401), then refuse ids no row can have (404), before any view runs."""
    if not operation.public:
        authenticate()
    if any(not 1 <= arguments[name] <= ID_MAX for name in operation.path_parameters):
        raise NotFound("No such resource.")


registry.guard = _guard
errors.register(bp)


def init_app(app: Flask) -> None:
    """Register the API; it authenticates with tokens, so it is exempt from CSRF."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
