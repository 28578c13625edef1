"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models,
and the reference page rendered from it."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from flask import Response, render_template
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .blueprint import PREFIX, registry
from .errors import number
from .inputs import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from .registry import ID_MAX, Operation
from .schemas import Error

REF = "#/components/schemas/{model}"
TITLE = "trainerpath JSON API"
VERSION = "1"
INTRODUCTION = """\
For scripts, imports and integrations. Paths, field names and status codes do not change
without a new version prefix. All bodies are JSON; dates are `YYYY-MM-DD`, timestamps ISO
8601 in UTC with a `Z`; identifiers are integers. Lists are paginated
(`?page=&per_page=`, `per_page` 1 to 100). Request bodies are strict: unknown fields are
refused and numbers are not coerced from strings or booleans.

Get a token with `POST /api/v1/tokens` and send it on every other call as
`Authorization: Bearer <token>`. Every error has the shape
`{"error": {"code", "message", "details"}}`. Checks run in this order and the first that
fails answers: 401, 404, 400, 422 (body shape), 403 (role), 409 (state), 422 (required
note), 409 (guards). A refused request changes nothing."""

ERROR_DESCRIPTIONS = {
    400: "`bad_request`: malformed JSON, or a body that is not an object.",
    401: "`unauthenticated`: no, invalid, expired or revoked token.",
    403: "`forbidden`: the caller's role may never do this.",
    404: "`not_found`: no such resource, or one the caller may not know exists.",
    409: (
        "`invalid_state`: not possible in the current state; `guard_unmet`: a guard is "
        "unmet (details: `unmet` keys and their `requirements`); `conflict`: a duplicate, "
        "or a concurrent change won the race."
    ),
    413: "`too_large`: the request is larger than the server accepts.",
    415: (
        "`unsupported_media_type`: an upload that is not `multipart/form-data`, an import "
        "that is not `text/csv`."
    ),
    422: "`validation_error`: a field is missing, unknown or invalid; details: `{field: why}`.",
    429: (
        "`too_many_requests`: too many failed attempts; wait the `Retry-After` header's seconds."
    ),
}
SUCCESS_DESCRIPTIONS = {200: "OK.", 201: "Created.", 204: "Done; no content."}
METHOD_ORDER = ("get", "post", "patch", "put", "delete")
TAGS = {
    "Authentication": "Tokens and the caller.",
    "Users": "Accounts (admins).",
    "Mentorships": "Who mentors whom (admins).",
    "Candidates": "Candidates, their summaries and their whole record.",
    "Evidence": "The five evidence kinds of pathways.md section 3, and their review.",
    "Enrollments": "Pathway enrollments, their requirements, events and history.",
    "Attachments": (
        "Proof on evidence items: PDF, PNG, JPEG or WebP files (judged by their content) and "
        "https links. The candidate adds and removes them while the item is pending or "
        "rejected; whoever may see the item lists and downloads them."
    ),
    "Import": (
        "Evidence from a spreadsheet: a CSV file of one kind, checked row by row, then "
        "imported all or nothing (the candidate)."
    ),
    "Rulesets": "The versions of each pathway's rules: states, events and requirements.",
    "Notifications": "What others did about the caller's work; only one's own.",
    "Reference": "This document and the page you may be reading.",
}


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    pairs: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for op in registry.operations:
        if op.body is not None:
            pairs[(op.body, "validation")] = None
        for spec in op.responses.values():
            if isinstance(spec, type):
                pairs[(spec, "serialization")] = None
    return list(pairs)


def _id_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
    }


PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "Which page, from 1.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": "Items per page; above 100 or below 1 is 422.",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE,
        },
    },
]


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": op.endpoint,
        "tags": [op.tag],
        "summary": op.summary,
    }
    if op.description:
        result["description"] = op.description
    parameters = [
        _id_parameter(name, op.parameters.get(name, f"The {name.removesuffix('_id')}'s id."))
        for name in op.path_parameters
    ]
    if op.paginated:
        parameters += copy.deepcopy(PAGE_PARAMETERS)
    parameters += [
        {"name": name, "in": "query", "required": False, **copy.deepcopy(dict(spec))}
        for name, spec in op.query.items()
    ]
    if parameters:
        result["parameters"] = parameters
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    elif op.upload is not None:
        result["requestBody"] = {"required": True, "content": copy.deepcopy(dict(op.upload))}
    responses: dict[str, Any] = {}
    for status, spec in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": SUCCESS_DESCRIPTIONS.get(status, "OK.")}
        if isinstance(spec, type):
            response["content"] = {"application/json": {"schema": refs[(spec, "serialization")]}}
        elif spec is not None:
            response["content"] = spec
        if op.links and status < 300:
            response["links"] = {
                name: {"operationId": target, "parameters": dict(parameters)}
                for name, (target, parameters) in op.links.items()
            }
        responses[str(status)] = response
    error_ref = refs[(Error, "serialization")]
    # Any body may be larger than the server accepts.
    for status in sorted({*op.errors, *((413,) if op.body or op.upload else ())}):
        description = ERROR_DESCRIPTIONS[status]
        if op.public and status == 401:
            description = "`unauthenticated`: wrong e-mail address or password."
        responses[str(status)] = {
            "description": description,
            "content": {"application/json": {"schema": error_ref}},
        }
    result["responses"] = responses
    result["security"] = [] if op.public else [{"bearerAuth": []}]
    return result


@cache
def openapi_document() -> dict[str, Any]:
    """Build the OpenAPI 3.1 document of every declared operation."""
    refs, definitions = models_json_schema(_models(), ref_template=REF)
    order = list(TAGS)
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(registry.operations, key=lambda op: order.index(op.tag)):
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": TITLE, "version": VERSION, "description": INTRODUCTION},
        "tags": [{"name": tag, "description": text} for tag, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /api/v1/tokens.",
                }
            },
        },
        "security": [{"bearerAuth": []}],
    }


@registry.route(
    "GET",
    "/openapi.json",
    public=True,
    tag="Reference",
    summary="This OpenAPI 3.1 document",
    responses={200: {"application/json": {"schema": {"type": "object"}}}},
)
def openapi_json() -> Response:
    """The OpenAPI document, generated from the code."""
    response = Response(_json(openapi_document()), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, for API tools
    return response


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


@registry.route(
    "GET",
    "/docs",
    public=True,
    tag="Reference",
    summary="The API reference for people",
    responses={200: {"text/html": {"schema": {"type": "string"}}}},
)
def docs() -> str:
    """A readable reference rendered from the OpenAPI document."""
    return render_template("api/docs.html", reference=reference(openapi_document()), rich=rich_text)


# -- the reference page's view of the document --------------------------------------


def rich_text(text: str) -> list[list[tuple[bool, str]]]:
    """Split text into paragraphs of (is_code, text) runs; `backticks` mark code."""
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n")]
    return [
        [(index % 2 == 1, run) for index, run in enumerate(paragraph.split("`")) if run]
        for paragraph in paragraphs
        if paragraph
    ]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def describe_type(schema: dict[str, Any]) -> dict[str, Any]:
    """Say what a property schema accepts: a type phrase, a linked model, constraints."""
    if "$ref" in schema:
        return {"text": "", "ref": _ref_name(schema["$ref"]), "rules": []}
    if "anyOf" in schema:
        options = [describe_type(option) for option in schema["anyOf"]]
        plain = [o for o in options if o["text"] != "null" or o["ref"]]
        nullable = len(plain) < len(options)
        if len(plain) == 1:
            described = dict(plain[0])
            if nullable:
                described["text"] = (described["text"] + " or null").strip()
            return described
        text = " or ".join(o["text"] or o["ref"] for o in options)
        return {"text": text, "ref": None, "rules": []}
    kind = schema.get("type", "any")
    rules: list[str] = []
    if "enum" in schema:
        rules.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
    if "const" in schema:
        rules.append(f"always `{schema['const']}`")
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    if "minimum" in schema and "maximum" in schema:
        rules.append(f"{number(schema['minimum'])} to {number(schema['maximum'])}")
    elif "minimum" in schema:
        rules.append(f"at least {number(schema['minimum'])}")
    if "minLength" in schema:
        rules.append(f"at least {schema['minLength']} characters")
    if "maxLength" in schema:
        rules.append(f"at most {schema['maxLength']} characters")
    if kind == "array":
        items = describe_type(schema.get("items", {}))
        return {"text": "array of " + items["text"], "ref": items["ref"], "rules": items["rules"]}
    return {"text": kind, "ref": None, "rules": rules}


def _with_default(described: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """Add what a left-out field stores, and whether it is read-only, to its rules."""
    rules = list(described["rules"])
    if prop.get("default") is not None:
        rules.append(f"default `{json.dumps(prop['default'])}`")
    if prop.get("readOnly"):
        rules.append("read-only")
    return {**described, "rules": rules}


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "required": name in required,
            "type": _with_default(describe_type(prop), prop),
            "description": rich_text(prop.get("description", "")),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _schema_ref(content: dict[str, Any] | None) -> str | None:
    schema = (content or {}).get("application/json", {}).get("schema", {})
    return _ref_name(schema["$ref"]) if "$ref" in schema else None


def reference(document: dict[str, Any]) -> dict[str, Any]:
    """Arrange the document for the reference page: operations by tag, then the models."""
    sections: dict[str, list[dict[str, Any]]] = {tag["name"]: [] for tag in document["tags"]}
    tag_text = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    for path, item in document["paths"].items():
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content")
            sections[operation["tags"][0]].append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation["summary"],
                    "description": rich_text(operation.get("description", "")),
                    "public": operation["security"] == [],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p["required"],
                            "type": describe_type(p["schema"]),
                            "description": rich_text(p.get("description", "")),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": _schema_ref(body),
                    "responses": [
                        {
                            "status": status,
                            "description": rich_text(response["description"]),
                            "model": _schema_ref(response.get("content")),
                            "media": ", ".join(response.get("content", {})),
                        }
                        for status, response in operation["responses"].items()
                    ],
                }
            )
    models = [
        {
            "name": name,
            "description": rich_text(schema.get("description", "")),
            "fields": _fields(schema),
            "examples": [_json(example) for example in schema.get("examples", [])],
        }
        for name, schema in sorted(document["components"]["schemas"].items())
    ]
    return {
        "title": document["info"]["title"],
        "version": document["info"]["version"],
        "introduction": rich_text(document["info"]["description"]),
        "sections": [
            {"name": name, "description": rich_text(tag_text[name]), "operations": operations}
            for name, operations in sections.items()
        ],
        "models": models,
    }
