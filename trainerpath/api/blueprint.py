"""The API blueprint and the registry of its operations."""

from __future__ import annotations

from flask import Blueprint

from .registry import Registry

PREFIX = "/api/v1"

bp = Blueprint(
    "api", __name__, url_prefix=PREFIX, static_folder="static", static_url_path="/static"
)
registry = Registry(bp, PREFIX)
