"""Friendly error pages for people; the API's JSON error shape for /api/ paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from trainerpath.api.errors import CODE_OF_STATUS, handle_race
from trainerpath.db import get_session, lost_race
from trainerpath.services.errors import Refusal

from .security import NulCharacter, is_api_request

PAGES: dict[int, tuple[str, str]] = {
    400: ("That request did not make sense", "Please go back and try again."),
    403: (
        "This page is not for you",
        "Your account does not have access to this page. If you think it should, ask an admin.",
    ),
    404: (
        "We could not find that page",
        "The address may be mistyped, or the page may have moved or been removed.",
    ),
    405: ("That does not work here", "This address does not accept that kind of request."),
    409: ("That could not be done", "Someone or something changed it first."),
    413: (
        "That was more than we accept",
        "What you sent is larger than this site accepts. Please go back and send less.",
    ),
    422: ("Some details need another look", "Please go back and check the form."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: (
        "Something went wrong on our side",
        "We have noted the problem. Please try again in a moment.",
    ),
}

API_CODES = CODE_OF_STATUS | {429: "too_many_requests", 500: "internal_error"}

REFUSAL_STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "validation_error": 422,
}


def error_page(status: int, message: str | None = None) -> Response:
    """Render the friendly page for ``status`` (with a specific message when one is known)."""
    title, advice = PAGES.get(status, PAGES[500 if status >= 500 else 400])
    html = render_template(
        "errors/error.html", status=status, title=title, advice=advice, message=message
    )
    return make_response(html, status)


def _api_error(status: int, message: str) -> Response:
    body = {"error": {"code": API_CODES.get(status, "error"), "message": message, "details": None}}
    response = jsonify(body)
    response.status_code = status
    return response


def _own_handler(error: Exception) -> Callable[[Exception], Any] | None:
    """The handler a blueprint of this request registered for this kind of error, if any.

    Flask prefers app-wide handlers for a status code over a blueprint's handler for
    HTTPException in general, so the API's own JSON errors would never be used.
    """
    for name in request.blueprints:
        handlers = current_app.error_handler_spec.get(name, {}).get(None, {})
        for cls in type(error).__mro__:
            if cls in handlers:
                return handlers[cls]
    return None


def handle_http_error(error: HTTPException) -> Any:
    """Answer an HTTP error: JSON under /api/, a friendly page everywhere else."""
    status = error.code or 500
    if is_api_request():
        own = _own_handler(error)
        return own(error) if own else _api_error(status, error.description or "Error.")
    message = error.description if isinstance(error, NulCharacter) else None
    if isinstance(error, CSRFError):
        message = (
            "This form has expired or did not come from this site. "
            "Please reload the page and submit it again."
        )
    response = error_page(status, message)
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


def handle_server_error(error: InternalServerError) -> Any:
    """Roll back whatever the request did and show the friendly 500 page."""
    get_session().rollback()
    if is_api_request():
        own = _own_handler(error)
        return own(error) if own else _api_error(500, "Something went wrong on our side.")
    return error_page(500)


def handle_database_error(error: DBAPIError) -> Any:
    """A transaction PostgreSQL gave up for another's sake (a deadlock): a conflict, as a
    unique index losing a race is (409, nothing written), not a failure of ours."""
    if not lost_race(error):
        raise error
    if is_api_request():
        return handle_race(error)
    get_session().rollback()
    return error_page(409, "Someone changed this at the same moment. Please try again.")


def handle_refusal(refusal: Refusal) -> Response:
    """A refusal nobody handled in the view: 404 and 403 pages, or the reason."""
    get_session().rollback()
    status = REFUSAL_STATUS.get(refusal.code, 409)
    return error_page(status, None if status in (403, 404) else refusal.message)


def init_app(app: Flask) -> None:
    """Register the error pages on the app (refusals are handled per web blueprint)."""
    for status in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(status, handle_http_error)
    app.register_error_handler(CSRFError, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(DBAPIError, handle_database_error)
