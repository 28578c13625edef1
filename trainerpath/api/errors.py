"""Every API error as ``{"error": {"code", "message", "details"}}``, from one place.

Services raise typed Refusals whose ``code`` is the API's error code; this module maps
codes to statuses, rolls the request's transaction back, and renders the shape.
"""

from __future__ import annotations

import typing
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from trainerpath.services.errors import Refusal, ValidationFailed
from trainerpath.services.evidence_kinds import REQUIRED

from .schemas import DATE_MESSAGE, Why

STATUS_OF_CODE = {
    "bad_request": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "invalid_state": 409,
    "guard_unmet": 409,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "too_many_requests": 429,
}
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}
CONCURRENT_CHANGE = "Someone else changed this at the same moment; reload and try again."


class ApiError(Exception):
    """An error the API answers directly (400, 401, 404, 405), outside the services."""

    def __init__(
        self,
        status: int,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = CODE_OF_STATUS[status]
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render the error shape with its status."""
    from .schemas import Error

    body = Error.model_validate(
        {"error": {"code": code, "message": message, "details": details}}
    ).model_dump_json()
    return Response(body, status=status, mimetype="application/json", headers=headers)


def _roll_back() -> None:
    # A refused request changes nothing: drop whatever the services flushed.
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def handle_refusal(refusal: Refusal) -> Response:
    """Answer a service's refusal with its code and status."""
    _roll_back()
    status = STATUS_OF_CODE.get(refusal.code, 409)
    message = refusal.message
    if isinstance(refusal, ValidationFailed) and not refusal.explicit:
        message = refusal.summary  # the details name the fields: say each once
    return error_response(status, refusal.code, message, refusal.details)


def handle_api_error(error: ApiError) -> Response:
    """Answer an error raised by the API layer itself."""
    _roll_back()
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def handle_http_exception(error: HTTPException) -> Response:
    """Answer Werkzeug's HTTP errors (an unknown static file, a body too large) as JSON."""
    _roll_back()
    status = error.code or 500
    code = CODE_OF_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
    if isinstance(error, RequestEntityTooLarge):
        limit = request.max_content_length  # an upload route's own, or the app's
        error.description = (
            f"The request is larger than the {limit} bytes this server accepts."
            if limit
            else "The request is larger than this server accepts."
        )
    headers = {}
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return error_response(status, code, error.description or error.name, None, headers)


def handle_race(_error: Exception) -> Response:
    """A unique index or a version check lost a race: 409, nothing written."""
    _roll_back()
    return error_response(409, "conflict", CONCURRENT_CHANGE)


def handle_internal_error(_error: InternalServerError) -> Response:
    """An unexpected failure: JSON, not an HTML page, and nothing written."""
    _roll_back()
    return error_response(500, "internal_error", "Something went wrong on our side.")


def register(blueprint: Blueprint) -> None:
    """Install the error handlers on the API blueprint."""
    blueprint.register_error_handler(Refusal, handle_refusal)
    blueprint.register_error_handler(ApiError, handle_api_error)
    blueprint.register_error_handler(IntegrityError, handle_race)
    blueprint.register_error_handler(StaleDataError, handle_race)
    blueprint.register_error_handler(InternalServerError, handle_internal_error)
    blueprint.register_error_handler(HTTPException, handle_http_exception)


# -- pydantic's errors as {"field": "why"} -------------------------------------------


def _allowed_values(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(value) for value in typing.get_args(annotation)]
    values: list[str] = []
    for arg in typing.get_args(annotation):
        values.extend(_allowed_values(arg))
    return values


def number(value: Any) -> str:
    """Write a bound as people read it: 30, 2147483647, 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _between(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"must be between {number(low)} and {number(high)}"
    if low is not None:
        return f"must be at least {number(low)}"
    return f"must be at most {number(high)}"


def _property_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    prop: dict[str, Any] = schema.get("properties", {}).get(name, {})
    for option in prop.get("anyOf", []):
        if option.get("type") != "null":
            return {**option, **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


def why(model: type[BaseModel], error: ErrorDetails) -> str:
    """Say in a few words why a field's value is refused, in the services' wording."""
    kind = error["type"]
    name = str(error["loc"][0]) if error["loc"] else ""
    field = model.model_fields.get(name)
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return REQUIRED
    if kind == "extra_forbidden":
        return "unknown field"
    if value is None:
        return REQUIRED  # null stands for "no value", as it does for the services
    if kind == "string_type":
        return "must be text"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return "must be a whole number"
    if (kind == "float_type" and type(value) is int) or kind == "finite_number":
        # A number too large to be a float (10**400) or read as infinite (1e400) is still
        # a number: out of range.
        bounds = _property_schema(model, name)
        if "minimum" in bounds or "maximum" in bounds:
            return _between(bounds)
    if kind in ("float_type", "float_parsing", "finite_number"):
        return "must be a number"
    if kind == "bool_type":
        return "must be true or false"
    if kind == "date_format":
        return DATE_MESSAGE
    if kind == "literal_error" and field is not None:
        return "must be one of: " + ", ".join(_allowed_values(field.annotation))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _between(_property_schema(model, name))
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} characters"
    if kind == "string_pattern_mismatch" and isinstance(value, str):
        if not value.strip():
            return REQUIRED
        if "\x00" in value:
            return "must not contain NUL characters"
        reasons = [meta for meta in (field.metadata if field else []) if isinstance(meta, Why)]
        if reasons:
            return reasons[0].message
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def validation_failed(model: type[BaseModel], error: ValidationError) -> ValidationFailed:
    """Turn pydantic's errors into the services' refusal: the first reason per field."""
    details: dict[str, str] = {}
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "body"
        if name not in details:
            details[name] = why(model, item)
    return ValidationFailed(details)
