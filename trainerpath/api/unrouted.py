"""API URLs that match no route: JSON answers, in the contract's order of checks."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from .auth import authenticate, bearer_token, token_holder
from .blueprint import PREFIX, bp
from .errors import ApiError, handle_api_error


@bp.before_app_request
def answer_unrouted() -> Response | None:
    """Answer API URLs that match no route as JSON: 405 with Allow, else 401 first, then 404.

    Routing failed before any blueprint was chosen, so the blueprint's error handlers
    would not see it; before-request hooks of the app still run.
    """
    error = request.routing_exception
    if error is None or not (request.path + "/").startswith(PREFIX + "/"):
        return None
    try:
        if isinstance(error, MethodNotAllowed):
            allowed = ", ".join(sorted(error.valid_methods or []))
            raise ApiError(
                405, f"{request.method} is not allowed here.", headers={"Allow": allowed}
            )
        if isinstance(error, NotFound):
            if bearer_token() is None or token_holder() is None:
                authenticate()  # raises the right 401
            raise ApiError(404, f"There is no such endpoint; see {PREFIX}/docs.")
    except ApiError as refusal:
        return handle_api_error(refusal)
    return None
