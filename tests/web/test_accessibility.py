"""The accessibility audit's findings in the markup: what a screen reader is told about
errors, headings, landmarks and counts, and what each page is called."""

from __future__ import annotations

from flask.testing import FlaskClient

from .conftest import Cast, log_in, page


def test_a_refused_csv_upload_ties_its_message_to_the_file_field(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    refused = client.post(
        "/evidence/teaching-sessions/import",
        data={"date_order": "dmy"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    html = page(refused)
    field = html.by_id("import-file")
    assert field.get("aria-invalid") == "true"
    described = field.get("aria-describedby")
    assert described and html.by_id(described).text == "! Choose a CSV file to preview."
