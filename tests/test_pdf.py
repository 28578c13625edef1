"""WeasyPrint renders with our static files only: nothing is fetched from elsewhere."""

from __future__ import annotations

import pytest
from flask import Flask

from trainerpath.pdf import BASE_URL, static_only


def test_the_fetcher_serves_our_stylesheet_and_refuses_any_other_url(app: Flask) -> None:
    assert app.static_folder is not None and app.static_url_path is not None
    fetcher = static_only(app.static_folder, app.static_url_path)

    stylesheet = fetcher.fetch(BASE_URL + "static/dossier.css")

    assert stylesheet.content_type == "text/css" and b"@page" in stylesheet.read()
    for url in (
        "https://example.org/static/dossier.css",
        BASE_URL + "static/../../pyproject.toml",
        BASE_URL + "static/nothing-here.css",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError, match="not fetched"):
            fetcher.fetch(url)
