"""API requests no operation's view answers: JSON, in the contract's order of checks.

They are a URL that matches no route (404), a method its route does not take (405), and
Flask's automatic answer to OPTIONS. Only the public paths (the OpenAPI document, the
docs and their stylesheet, logging in) answer them without a token; anywhere else a
missing or unusable token is the 401 that comes first.
"""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from .auth import authenticate, bearer_token, token_holder
from .blueprint import PREFIX, bp, registry
from .errors import ApiError, handle_api_error

STATIC = "static"  # the docs' stylesheet, as public as the docs


@bp.before_app_request
def answer_unrouted() -> Response | None:
    """Answer an API URL that matches no route, or a method its route does not take (401
    first, then 404 or 405 with Allow), and OPTIONS only to whom may call the route.

    Routing failed before any blueprint was chosen, so the blueprint's error handlers
    would not see it; before-request hooks of the app still run.
    """
    error = request.routing_exception
    if not (request.path + "/").startswith(PREFIX + "/"):
        return None
    try:
        if isinstance(error, MethodNotAllowed):
            allowed = sorted(error.valid_methods or [])
            if not _public(_endpoint_taking(allowed)):
                _authenticated()
            raise ApiError(
                405, f"{request.method} is not allowed here.", headers={"Allow": ", ".join(allowed)}
            )
        if isinstance(error, NotFound):
            _authenticated()
            raise ApiError(404, f"There is no such endpoint; see {PREFIX}/docs.")
        if error is None and request.method == "OPTIONS" and not _public(request.endpoint):
            _authenticated()
    except ApiError as refusal:
        return handle_api_error(refusal)
    return None


def _authenticated() -> None:
    """Refuse with the right 401 unless the request carries a usable token."""
    if bearer_token() is None or token_holder() is None:
        authenticate()


def _endpoint_taking(methods: list[str]) -> str | None:
    """The endpoint the request's URL reaches with one of ``methods``."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            endpoint, _arguments = adapter.match(method=method)
        except HTTPException:
            continue
        return str(endpoint)
    return None


def _public(endpoint: str | None) -> bool:
    """Whether ``endpoint`` (an API blueprint's) answers without a token."""
    name = (endpoint or "").removeprefix(bp.name + ".")
    if name == STATIC:
        return True
    return any(op.endpoint == name and op.public for op in registry.operations)
