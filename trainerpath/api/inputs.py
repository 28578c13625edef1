"""Read a request: its JSON body (400 if malformed, 422 if the wrong shape) and its page."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from trainerpath.services.errors import ValidationFailed

from .errors import ApiError, validation_failed

M = TypeVar("M", bound=BaseModel)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 2**31 - 1
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,12}")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_integer(text: str) -> int:
    """Read a JSON integer, however many digits it has.

    Python refuses to convert more than 4,300 digits (``sys.get_int_max_str_digits``), but
    such a number is still valid JSON: it must reach validation and be refused there as out
    of range (422), not answered as malformed (400). Every bound refuses it, so its exact
    value cannot matter: the longest number Python still writes as text stands in for it.
    """
    try:
        return int(text)
    except ValueError:
        stand_in = 10 ** (sys.get_int_max_str_digits() - 1)
        return -stand_in if text.startswith("-") else stand_in


def _has_bad_text(value: Any) -> bool:
    """Whether a decoded value holds text that is not valid Unicode (a lone surrogate)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bad_text(v) for v in value)
    return False


def whole_body(cache: bool = True) -> bytes:
    """The request's body, refused (413) when it is larger than the request may be.

    A body sent with a Content-Length over the limit is refused before it is read. A
    chunked one has no length: Werkzeug then reads up to the limit and refuses only a
    further read, so one that filled the limit is read once more to tell.
    """
    data = request.get_data(cache=cache)
    limit = request.max_content_length
    if limit is not None and len(data) >= limit and request.content_length is None:
        request.stream.read(1)  # raises RequestEntityTooLarge if more was sent
    return data


def json_object() -> dict[str, Any]:
    """Decode the body as a JSON object, or refuse with 400."""
    raw = whole_body()
    try:
        # UTF-8, a leading byte order mark allowed (RFC 8259 §8.1): json.loads would also
        # guess UTF-16 and UTF-32 from the bytes, which JSON between systems never is.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "The request body is not valid JSON: it is not UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_int=_json_integer)
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    if _has_bad_text(data):
        raise ApiError(400, "The request body holds text that is not valid Unicode.")
    return data


def _validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_failed(model, error) from None


def read_body(model: type[M]) -> M:
    """Decode and validate the body against a strict model (400, then 422 per field)."""
    return _validated(model, json_object())


def read_raw_body(model: type[BaseModel]) -> dict[str, Any]:
    """Like read_body, but return the decoded fields as sent, for a service to clean."""
    data = json_object()
    _validated(model, data)
    return data


def _whole_number(name: str, default: int, low: int, high: int) -> tuple[int, str | None]:
    text = request.args.get(name)
    if text is None:
        return default, None
    if not WHOLE_NUMBER.fullmatch(text):
        return default, "must be a whole number"
    value = int(text)
    if not low <= value <= high:
        return default, f"must be between {low} and {high}"
    return value, None


def pagination() -> tuple[int, int]:
    """Return ``page`` and ``per_page`` from the query string, or refuse with 422."""
    page, page_error = _whole_number("page", 1, 1, MAX_PAGE)
    per_page, per_page_error = _whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    errors = {
        name: error for name, error in (("page", page_error), ("per_page", per_page_error)) if error
    }
    if errors:
        raise ValidationFailed(errors)
    return page, per_page
