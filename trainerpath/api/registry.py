"""The API's routes, declared once: each registers a Flask view and describes itself for OpenAPI.

A route is written with OpenAPI-style paths (``/candidates/{candidate_id}``); every
``{..._id}`` parameter is an integer, documented as a positive 32-bit one. The guard
sees the parameters, so an id the database could not hold never reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint
from pydantic import BaseModel

ID_MAX = 2**31 - 1
PARAMETER = re.compile(r"\{(\w+)\}")

View = Callable[..., Any]
# A response is a model (sent as JSON), raw OpenAPI content by media type, or None (no body).
ResponseSpec = type[BaseModel] | dict[str, Any] | None


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the OpenAPI document describes it."""

    method: str
    path: str  # OpenAPI style, relative to the blueprint prefix
    endpoint: str
    summary: str
    description: str
    tag: str
    public: bool
    body: type[BaseModel] | None
    responses: Mapping[int, ResponseSpec]
    errors: tuple[int, ...]
    paginated: bool = False
    # A body that is not JSON (an upload): its OpenAPI content by media type.
    upload: Mapping[str, Any] | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)  # name -> description
    # Query parameters beside the page's: name -> OpenAPI parameter (description, schema).
    query: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # OpenAPI links of the success response: name -> (operationId, {parameter: expression}).
    links: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)

    @property
    def path_parameters(self) -> list[str]:
        """The names of the path's parameters, in order."""
        return PARAMETER.findall(self.path)

    @property
    def rule(self) -> str:
        """The Flask rule of the path: ids become integer converters (ASCII digits)."""
        # Not int(min=, max=): Werkzeug then answers 405 instead of 404 for ids out of range.
        return PARAMETER.sub(r"<digits:\1>", self.path)


class Registry:
    """The operations of one blueprint, in the order they were declared."""

    def __init__(self, blueprint: Blueprint, prefix: str) -> None:
        self.blueprint = blueprint
        self.prefix = prefix
        self.operations: list[Operation] = []
        # Runs before every view, e.g. to authenticate; set by the package that owns auth.
        self.guard: Callable[[Operation, dict[str, Any]], None] = lambda _op, _args: None

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        responses: Mapping[int, ResponseSpec],
        errors: tuple[int, ...] = (),
        body: type[BaseModel] | None = None,
        upload: Mapping[str, Any] | None = None,
        public: bool = False,
        paginated: bool = False,
        description: str = "",
        endpoint: str | None = None,
        parameters: Mapping[str, str] | None = None,
        query: Mapping[str, Mapping[str, Any]] | None = None,
        links: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
    ) -> Callable[[View], View]:
        """Declare an operation and register ``view`` for it."""

        def decorator(view: View) -> View:
            operation = Operation(
                method=method.upper(),
                path=path,
                endpoint=endpoint or view.__name__,
                summary=summary,
                description=description or (view.__doc__ or "").strip(),
                tag=tag,
                public=public,
                body=body,
                responses=dict(responses),
                upload=upload,
                errors=tuple(sorted(set(errors) | ({401} if not public else set()))),
                paginated=paginated,
                parameters=dict(parameters or {}),
                query=dict(query or {}),
                links=dict(links or {}),
            )
            self.add(operation, view)
            return view

        return decorator

    def add(self, operation: Operation, view: View) -> None:
        """Register an operation's view on the blueprint."""
        if any(op.endpoint == operation.endpoint for op in self.operations):
            raise ValueError(f"endpoint {operation.endpoint!r} is declared twice")
        self.operations.append(operation)

        @wraps(view)
        def dispatch(**kwargs: Any) -> Any:
            self.guard(operation, kwargs)
            return view(**kwargs)

        self.blueprint.add_url_rule(
            operation.rule,
            endpoint=operation.endpoint,
            view_func=dispatch,
            methods=[operation.method],
        )

    def operation(self, endpoint: str) -> Operation:
        """Return the operation registered under ``endpoint`` (without the blueprint name)."""
        return next(op for op in self.operations if op.endpoint == endpoint)
