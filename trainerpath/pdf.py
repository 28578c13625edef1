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

from flask import Response, abort, current_app, render_template
from werkzeug.security import safe_join

from trainerpath.dashboards.dossier import Dossier

BASE_URL = "http://trainerpath.invalid/"  # never fetched: only resolves relative links


NO_PDF = (
    "PDFs need the Pango libraries that WeasyPrint loads (on Debian or Ubuntu: apt-get "
    "install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0); the printable page "
    "works without them."
)


def _weasyprint() -> Any:
    """WeasyPrint, imported when a PDF is asked for, not with the app: without its system
    libraries the app still runs and only a PDF is refused (503, saying what to install)."""
    try:
        import weasyprint
        import weasyprint.urls
    except OSError:  # a system library (Pango) is missing
        abort(503, description=NO_PDF)
    return weasyprint


def static_only(static_folder: str, static_url_path: str) -> Any:
    """A WeasyPrint URL fetcher that reads files under the static folder and refuses the rest."""
    urls = _weasyprint().urls
    prefix = static_url_path.rstrip("/") + "/"

    class StaticOnly(urls.URLFetcher):  # type: ignore[name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            """The static file ``url`` names, or ValueError (WeasyPrint leaves it out)."""
            parts = urlsplit(url)
            if url.startswith(BASE_URL) and parts.path.startswith(prefix):
                path = safe_join(static_folder, parts.path.removeprefix(prefix))
                if path is not None and Path(path).is_file():
                    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    body = Path(path).read_bytes()
                    return urls.URLFetcherResponse(url, body, {"Content-Type": kind})
            raise ValueError(f"not fetched: {url}")

    return StaticOnly(allowed_protocols=())


def html_to_pdf(html: str) -> bytes:
    """Render an HTML page of this app (its links relative to the site) as PDF."""
    app = current_app
    assert app.static_folder is not None and app.static_url_path is not None
    fetcher = static_only(app.static_folder, app.static_url_path)
    document = _weasyprint().HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    return pdf


def dossier_response(dossier: Dossier) -> Response:
    """The dossier's page made into a PDF, sent to be shown in the browser (``inline``)."""
    html = render_template("dossier/dossier.html", dossier=dossier, for_pdf=True)
    response = Response(html_to_pdf(html), mimetype="application/pdf")
    name = f"dossier-{dossier.ruleset.pathway}-{dossier.enrollment.id}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
