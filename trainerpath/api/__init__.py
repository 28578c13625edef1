"""The JSON API v1 (../shared/docs/api.md): bearer tokens, JSON errors, OpenAPI reference."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from trainerpath.extensions import csrf
from trainerpath.services.errors import NotFound

from . import attachments, errors, imports, openapi, unrouted, views
from .auth import authenticate
from .blueprint import PREFIX, bp, registry
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


class CookielessApiSessions(SecureCookieSessionInterface):
    """The web pages' signed-cookie session; none for the API, which never uses one.

    An API request gets Flask's null session: nothing is read from a cookie, nothing is
    set on the answer, and a view that tried to keep something in it would fail loudly.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """A null session for the API's paths, else the signed cookie's."""
        if request.path.startswith(PREFIX + "/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Register the API; it authenticates with tokens, so it is exempt from CSRF."""
    csrf.exempt(bp)
    app.session_interface = CookielessApiSessions()
    app.register_blueprint(bp)
