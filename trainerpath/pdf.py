"""HTML to PDF with WeasyPrint, which fetches nothing but our own static files.

The dossier's PDF is made from the very HTML its page shows. WeasyPrint would follow any
URL in that HTML (a stylesheet, an image, a font) over the network; ``StaticOnly`` serves
the files under the app's static folder and refuses everything else, so rendering never
leaves the process. WeasyPrint needs Pango at run time (see the README's setup notes).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

from trainerpath.dashboards.dossier import Dossier

BASE_URL = "http://trainerpath.invalid/"  # never fetched: only resolves relative links


class StaticOnly(URLFetcher):
    """A URL fetcher that reads files under the static folder and refuses the rest."""

    def __init__(self, static_folder: str, static_url_path: str) -> None:
        super().__init__(allowed_protocols=())
        self.folder = static_folder
        self.prefix = static_url_path.rstrip("/") + "/"

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The static file ``url`` names, or ValueError (WeasyPrint then leaves it out)."""
        parts = urlsplit(url)
        if url.startswith(BASE_URL) and parts.path.startswith(self.prefix):
            path = safe_join(self.folder, parts.path.removeprefix(self.prefix))
            if path is not None and Path(path).is_file():
                kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": kind})
        raise ValueError(f"not fetched: {url}")


def html_to_pdf(html: str) -> bytes:
    """Render an HTML page of this app (its links relative to the site) as PDF."""
    app = current_app
    assert app.static_folder is not None and app.static_url_path is not None
    fetcher = StaticOnly(app.static_folder, app.static_url_path)
    pdf: bytes = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    return pdf


def dossier_response(dossier: Dossier) -> Response:
    """The dossier's page made into a PDF, sent to be shown in the browser (``inline``)."""
    html = render_template("dossier/dossier.html", dossier=dossier, for_pdf=True)
    response = Response(html_to_pdf(html), mimetype="application/pdf")
    name = f"dossier-{dossier.ruleset.pathway}-{dossier.enrollment.id}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
