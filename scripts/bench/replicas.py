"""The three apps gunicorn serves for the side-by-side figures, one factory each.

- ``page_app()``: trainerpath itself, as deployed.
- ``template_app()``: trainerpath with one more route, ``/bench/template/<n>``, that
  renders the templates of route n from the context one real request rendered them
  with (recorded with Flask's ``template_rendered`` signal while the app loads), or for
  an API view serialises the JSON payload that request returned: the cost of the HTML
  (or JSON) alone, with the database and the view's Python work taken out.
- ``bare_app()``: a bare Flask app whose ``/bench/bare/<n>`` returns route n's bytes.

The benchmark writes what they need to a JSON file named by $TRAINERPATH_BENCH_SPEC:
the database URL and secret key, and for each route its path, the headers that log it
in, and the file holding the body a real request returned.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, template_rendered
from flask.typing import ResponseReturnValue
from jinja2 import Template

from .clients import USER_AGENT
from .servers import Server, Servers

SPEC = "TRAINERPATH_BENCH_SPEC"
TEMPLATE_PATH = "/bench/template/"
BARE_PATH = "/bench/bare/"


@dataclass(frozen=True)
class RouteSpec:
    """What a replica needs to know about one measured route."""

    path: str
    headers: dict[str, str]
    body_file: str
    content_type: str
    api: bool


def write_spec(path: Path, database_url: str, secret_key: str, routes: list[RouteSpec]) -> None:
    """Write the spec file the replicas read."""
    routes_json = [route.__dict__ for route in routes]
    spec = {"database_url": database_url, "secret_key": secret_key, "routes": routes_json}
    path.write_text(json.dumps(spec, indent=1))


def start_page(
    servers: Servers, name: str, database_url: str, secret: str, workers: int, workdir: Path
) -> Server:
    """Serve trainerpath on ``database_url`` with gunicorn, and wait until it answers."""
    spec_file = workdir / f"{name}.json"
    write_spec(spec_file, database_url, secret, [])
    page = servers.start(name, "bench.replicas:page_app()", workers, env={SPEC: str(spec_file)})
    page.wait_until_serving("/login")
    return page


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(Path(os.environ[SPEC]).read_text())
    return spec


def _routes(spec: dict[str, Any]) -> list[RouteSpec]:
    return [RouteSpec(**route) for route in spec["routes"]]


def page_app() -> Flask:
    """trainerpath, configured from the spec (the instance folder and environment aside)."""
    from trainerpath import create_app

    spec = _spec()
    return create_app({"SECRET_KEY": spec["secret_key"], "DATABASE_URL": spec["database_url"]})


Replay = Callable[[], ResponseReturnValue]
Rendered = tuple[str, dict[str, Any]]


def _record_request(app: Flask, route: RouteSpec) -> Replay:
    """Make route's request once and return what repeats its rendering without the view."""
    renders: list[Rendered] = []

    def record(_sender: Flask, template: Template, context: dict[str, Any], **_: Any) -> None:
        renders.append((template.name or "", dict(context)))

    with template_rendered.connected_to(record, app):
        # The login cookie was issued to this user agent; the client's own jar stays out.
        headers = {"User-Agent": USER_AGENT, **route.headers}
        answer = app.test_client(use_cookies=False).get(route.path, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"template replica: {route.path} answered {answer.status_code}")
    if route.api:
        payload = answer.get_json()
        return lambda: app.json.response(payload)
    if not renders:
        raise RuntimeError(f"template replica: {route.path} rendered no template")

    def render_again() -> str:
        html = ""
        for name, context in renders:  # every template the view rendered, in order
            html = render_template(name, **context)
        return html

    return render_again


def template_app() -> Flask:
    """trainerpath plus the routes that render each measured route's recorded context."""
    page = page_app()
    replays: list[Replay] = []

    @page.get(TEMPLATE_PATH + "<int:index>")
    def template(index: int) -> ResponseReturnValue:
        return replays[index]()

    for route in _routes(_spec()):
        replays.append(_record_request(page, route))
    # Served with --preload: the workers fork from here, so hand them no open connection.
    page.extensions["trainerpath.engine"].dispose()
    return page


def bare_app() -> Flask:
    """A Flask app with nothing but one route per measured route returning its bytes."""
    bare = Flask("bare")
    answers = [
        (Path(route.body_file).read_bytes(), route.content_type) for route in _routes(_spec())
    ]

    @bare.get(BARE_PATH + "<int:index>")
    def same_bytes(index: int) -> Response:
        body, content_type = answers[index]
        return Response(body, content_type=content_type)

    return bare
