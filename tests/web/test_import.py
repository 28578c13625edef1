"""CSV import on the web pages: the template, the preview with each row's errors beside it
and look-alikes flagged, then the import of pending items; candidates only."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from werkzeug.test import TestResponse

from trainerpath.models import EvidenceBase, Notification, TeachingSession

from .conftest import Cast, fetch_all, log_in, page, text

KIND = "teaching-sessions"
URL = f"/evidence/{KIND}/import"
HEADER = "title;course_type;first_day;days;students;context"


def upload(client: FlaskClient, content: str | bytes, date_order: str = "dmy") -> TestResponse:
    """Send a file with the upload form, as a browser does."""
    body = content.encode() if isinstance(content, str) else content
    data: dict[str, Any] = {
        "file": (io.BytesIO(body), "log.csv", "text/csv"),
        "date_order": date_order,
    }
    return client.post(URL, data=data, content_type="multipart/form-data")


def confirm(client: FlaskClient, preview: TestResponse, **changes: str) -> TestResponse:
    """Press "Import" on a preview: its form's hidden fields go back as they are."""
    form = page(preview).by_id("preview").find("form")
    assert form is not None
    fields = {node.get("name"): node.get("value") for node in form.find_all("input", type="hidden")}
    data = fields | {"date_order": fields["previewed_order"], "action": "import"} | changes
    return client.post(URL, data=data, content_type="multipart/form-data")


def stored(engine: Engine) -> list[TeachingSession]:
    """Every teaching session, oldest first."""
    return fetch_all(engine, select(TeachingSession).order_by(TeachingSession.id))


def test_the_template_holds_the_header_and_an_example_that_imports_cleanly(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    template = client.get(f"/evidence/{KIND}/template.csv")
    assert template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    lines = template.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("title,course_type,first_day,days,students,context")
    assert len(lines) == 2
    preview = upload(client, template.get_data())
    assert "1 row, all ready to import" in text(preview)
    assert page(preview).find("button", value="import").text == "Import 1 teaching session"


def test_the_preview_shows_each_rows_errors_beside_it_and_offers_no_import(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    log_in(client, cast.candidate)
    csv = (
        f"{HEADER}\n"
        "CSM Leeds;scrum_master;04/03/2025;2;14;independent\n"
        "CSPO York;product_owner;Mar 11, 2025;2;lots;independent\n"
    )
    response = upload(client, csv)
    assert response.status_code == 200
    good, bad = page(response).by_id("line-2"), page(response).by_id("line-3")
    # Dates are shown as they will be stored: day first, as chosen.
    assert "4 Mar 2025" in good.text and "✓ Ready" in good.text
    assert "11 Mar 2025" in bad.text  # "Mar 11, 2025" is read on the web
    assert "lots ✗ Students: Must be a whole number." in bad.text
    assert "✗ 1 problem" in bad.text
    assert "2 rows, 1 with errors" in text(response)
    assert page(response).find("button", value="import") is None
    assert stored(engine) == []


def test_a_file_that_cannot_be_read_is_refused_with_the_reason(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.candidate)
    response = upload(client, "title;colour\nA;red\n")
    assert response.status_code == 422
    alert = page(response).find("div", role="alert")
    assert alert is not None and "not fields of this kind (“colour”)" in alert.text


def test_importing_creates_pending_items_and_flags_look_alikes_first(
    client: FlaskClient,
    cast: Cast,
    engine: Engine,
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    make_evidence(cast.candidate, KIND, title="CSM Leeds", first_day=date(2025, 3, 4))
    log_in(client, cast.candidate)
    csv = (
        f"{HEADER}\n"
        "csm  leeds;scrum_master;03/04/2025;2;14;independent\n"
        "CSPO York;product_owner;2025-03-11;2;9;independent\n"
        "CSPO York;product_owner;2025-03-11;2;9;independent\n"
    )
    preview = upload(client, csv, date_order="mdy")
    flags = [page(preview).by_id(f"line-{line}").text for line in (2, 3, 4)]
    assert "already on your record" in flags[0]
    assert "Possible duplicate" not in flags[1]
    assert "Same title and first day as line 3" in flags[2]
    # Changing the day/month order after the preview shows the preview again, imports nothing.
    again = confirm(client, preview, date_order="dmy")
    assert again.status_code == 200 and "check the preview again" in text(again)
    assert len(stored(engine)) == 1
    done = confirm(client, preview)
    assert done.status_code == 303
    items = stored(engine)[1:]
    assert [(i.title, i.first_day.isoformat(), i.review_status) for i in items] == [
        ("csm  leeds", "2025-03-04", "pending"),
        ("CSPO York", "2025-03-11", "pending"),
        ("CSPO York", "2025-03-11", "pending"),
    ]
    assert "Imported 3 teaching sessions" in text(client.get(done.headers["Location"]))
    (waiting,) = fetch_all(
        engine, select(Notification).where(Notification.recipient_id == cast.mentor.id)
    )
    assert waiting.count == 3


def test_only_the_candidate_imports(client: FlaskClient, cast: Cast, engine: Engine) -> None:
    log_in(client, cast.mentor)
    assert client.get(URL).status_code == 403
    assert upload(client, f"{HEADER}\nA;other;2025-01-01;1;1;independent\n").status_code == 403
    assert stored(engine) == []
