"""Small helpers every web view uses: pages or partials, redirects, messages."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_htmx import make_response as htmx_response
from werkzeug.wrappers import Response

from trainerpath.extensions import htmx
from trainerpath.services.errors import Refusal

from .errors import handle_refusal


def web_blueprint(name: str, url_prefix: str | None = None) -> Blueprint:
    """A blueprint for people: a refusal nobody handled becomes a friendly page."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix)
    blueprint.register_error_handler(Refusal, handle_refusal)
    return blueprint


def wants_partial() -> bool:
    """Whether htmx asked for a fragment (a history restore needs the whole page)."""
    return bool(htmx) and not htmx.history_restore_request


def page_or_partial(page: str, partial: str, /, status: int = 200, **context: Any) -> Response:
    """Render the page, or only its partial for htmx; the answer varies with HX-Request."""
    template = partial if wants_partial() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def partial(
    template: str,
    /,
    status: int = 200,
    trigger: str | dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """Render a fragment for htmx, optionally telling other parts of the page to refresh."""
    response = htmx_response(render_template(template, **context), status, trigger=trigger)
    response.vary.add("HX-Request")
    return response


def focus_after_settle(response: Response, element_id: str) -> Response:
    """Have app.js move focus (and scroll) to ``element_id`` once htmx has settled the
    answer: a part swapped in away from where the reader was (``focus-on``)."""
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"focus-on": {"id": element_id}})
    return response


def after_post(endpoint_url: str) -> Response:
    """Redirect after a successful form post (Post/Redirect/Get)."""
    response = redirect(endpoint_url, 303)
    response.vary.add("HX-Request")
    return response


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` when it is a path on this site, else ``default``.

    No backslash (browsers read it as ``/``) and no control character (it cannot go in a
    ``Location`` header: the answer would fail after the form had done its work).
    """
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return default
    return target


def back_or(default_endpoint: str, **values: Any) -> str:
    """Where to go after a form: the form's ``next`` field if safe, else an endpoint."""
    return safe_next(request.form.get("next"), url_for(default_endpoint, **values))


def humanise(reason: str) -> str:
    """Turn a service's field reason ("must be at most 5") into a sentence."""
    if reason == "required":
        return "This field is required."
    text = reason[:1].upper() + reason[1:]
    return text if text.endswith(".") else text + "."


def form_errors(reasons: dict[str, str]) -> dict[str, str]:
    """The service's per-field reasons as sentences."""
    return {name: humanise(reason) for name, reason in reasons.items()}


class UrlPattern:
    """A route's URL built once and filled in per item, so a list of many items calls
    url_for once: ``edit = UrlPattern("candidate.edit_evidence", "item_id", kind=slug)``,
    then ``edit(item_id=3)`` (a Jinja global as ``url_pattern``)."""

    MARK = 1_999_999_000  # digits no route holds: stand-ins that pass any converter

    def __init__(self, endpoint: str, *names: str, **fixed: Any) -> None:
        marks: dict[str, Any] = {name: self.MARK + n for n, name in enumerate(names)}
        url = url_for(endpoint, **fixed, **marks).replace("{", "{{").replace("}", "}}")
        for name, mark in marks.items():
            url = url.replace(str(mark), "{" + name + "}")
        self.template = url

    def __call__(self, **values: object) -> str:
        """The URL with these values (quoted) in place of the names."""
        return self.template.format_map({k: quote(str(v), safe="") for k, v in values.items()})


def current_url() -> str:
    """The path and query string of this request (where to come back to after a form)."""
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")
