"""Proof on the web pages: attaching with and without htmx, refusals next to the field,
downloads only for those who may see the item, with headers that never let a file run."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from file_samples import HTML, PDF, PNG, SVG
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from werkzeug.test import TestResponse

from trainerpath.models import Attachment, EvidenceBase, ReviewStatus, User
from trainerpath.services import audit
from trainerpath.uploads import MIB

from .conftest import HTMX, Cast, fetch_all, log_in, page, text

KIND = "teaching-sessions"


@pytest.fixture
def item(cast: Cast, make_evidence: Callable[..., EvidenceBase]) -> EvidenceBase:
    """A pending teaching session of Cara's."""
    return make_evidence(cast.candidate, KIND, "pending", title="CSM in Leeds")


def upload(
    client: FlaskClient,
    item: EvidenceBase,
    content: bytes = PDF,
    name: str = "sign-off.pdf",
    claimed: str = "application/pdf",
    headers: dict[str, str] | None = None,
    **extra: str,
) -> TestResponse:
    """Post a file with the proof form, as a browser does (the type it claims is ignored)."""
    data: dict[str, Any] = {"file": (io.BytesIO(content), name, claimed), **extra}
    return client.post(
        f"/evidence/{KIND}/{item.id}/attachments",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )


def stored(engine: Engine) -> list[Attachment]:
    """Every attachment row."""
    return fetch_all(engine, select(Attachment).order_by(Attachment.id))


def files_in(root: Path) -> list[Path]:
    """Every file in the upload directory, temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_candidate_attaches_a_pdf_without_javascript_and_sees_it_on_the_item(
    client: FlaskClient, cast: Cast, item: EvidenceBase, engine: Engine, upload_dir: Path
) -> None:
    log_in(client, cast.candidate)
    proof_page = client.get(f"/evidence/{KIND}/{item.id}/proof")
    assert page(proof_page).find(class_="badge").text.strip() == "◷ Waiting for review"
    form = page(proof_page).by_id("proof").find("form")
    assert form.get("enctype") == "multipart/form-data"
    assert form.get("hx-encoding") == "multipart/form-data"
    response = upload(client, item, next=f"/evidence/{KIND}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/evidence/{KIND}"
    [attachment] = stored(engine)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "sign-off.pdf",
        "application/pdf",
        len(PDF),
    )
    assert len(files_in(upload_dir)) == 1
    listing = page(client.get(f"/evidence/{KIND}"))
    row = listing.by_id(f"item-{KIND}-{item.id}")
    link = row.find("a", href=f"/attachments/{attachment.id}")
    assert link is not None and link.text == "sign-off.pdf"
    assert "PDF" in row.text and "Add or remove proof" in row.text


def test_a_file_sent_with_its_windows_path_keeps_only_its_name(
    client: FlaskClient, cast: Cast, item: EvidenceBase, engine: Engine
) -> None:
    """Old browsers send the whole path, backslashes unescaped."""
    log_in(client, cast.candidate)
    assert upload(client, item, name="C:\\Users\\cara\\sign-off.pdf").status_code == 303
    [attachment] = stored(engine)
    assert attachment.filename == "sign-off.pdf"


def test_with_htmx_the_proof_section_is_swapped_in_place(
    client: FlaskClient, cast: Cast, item: EvidenceBase
) -> None:
    log_in(client, cast.candidate)
    response = upload(client, item, headers=HTMX)
    assert response.status_code == 200
    section = page(response).by_id("proof")
    assert "“sign-off.pdf” attached." in section.text
    [link] = [a for a in section.find_all("a") if a.text == "sign-off.pdf"]
    assert "download" in link.attrs and (link.get("href") or "").startswith("/attachments/")
    assert "evidence-changed" in response.headers["HX-Trigger"]


def test_the_edit_page_carries_the_proof_section(
    client: FlaskClient, cast: Cast, item: EvidenceBase
) -> None:
    log_in(client, cast.candidate)
    edit = page(client.get(f"/evidence/{KIND}/{item.id}/edit"))
    form = edit.by_id("proof").find("form")
    assert form.get("action") == f"/evidence/{KIND}/{item.id}/attachments"
    assert form.find("input", type="file").get("name") == "file"


@pytest.mark.parametrize(
    ("content", "name", "claimed"),
    [
        (HTML, "certificate.pdf", "application/pdf"),
        (SVG, "badge.svg", "image/svg+xml"),
        (SVG, "badge.png", "image/png"),
    ],
)
def test_a_file_that_is_not_pdf_or_an_image_is_refused_next_to_the_field(
    client: FlaskClient,
    cast: Cast,
    item: EvidenceBase,
    engine: Engine,
    upload_dir: Path,
    content: bytes,
    name: str,
    claimed: str,
) -> None:
    log_in(client, cast.candidate)
    response = upload(client, item, content, name, claimed)
    assert response.status_code == 422
    error = page(response).by_id("proof-file-error")
    assert error.text.endswith("Must be a PDF, PNG, JPEG or WebP file (judged by its content).")
    assert page(response).by_id("proof-file").get("aria-invalid") == "true"
    assert stored(engine) == [] and files_in(upload_dir) == []


def test_a_file_over_ten_megabytes_is_refused_unread_and_nothing_is_written(
    client: FlaskClient, cast: Cast, item: EvidenceBase, engine: Engine, upload_dir: Path
) -> None:
    log_in(client, cast.candidate)
    response = upload(client, item, PDF + bytes(10 * MIB + 100_000))
    assert response.status_code == 413
    error = page(response).by_id("proof-file-error")
    assert "larger than 10 MB, the most a file may be" in error.text
    assert stored(engine) == [] and files_in(upload_dir) == []
    # Just over the limit, within what the request may carry: refused by the service.
    response = upload(client, item, PDF + bytes(10 * MIB))
    assert response.status_code == 422
    assert "larger than 10 MB" in page(response).by_id("proof-file-error").text
    assert stored(engine) == [] and files_in(upload_dir) == []


def test_a_large_body_is_refused_to_anyone_without_showing_the_item(
    client: FlaskClient, cast: Cast, item: EvidenceBase
) -> None:
    log_in(client, cast.other_candidate)
    response = upload(client, item, PDF + bytes(11 * MIB))
    assert response.status_code == 413
    assert "CSM in Leeds" not in text(response) and page(response).find(id="proof") is None


def test_only_a_form_with_a_file_is_accepted(
    client: FlaskClient, cast: Cast, item: EvidenceBase
) -> None:
    log_in(client, cast.candidate)
    response = client.post(f"/evidence/{KIND}/{item.id}/attachments", data={})
    assert response.status_code == 422
    assert page(response).by_id("proof-file-error").text.endswith("Choose a file to attach.")


def test_a_request_that_fails_after_the_file_was_written_leaves_no_file(
    client: FlaskClient,
    cast: Cast,
    item: EvidenceBase,
    engine: Engine,
    upload_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log_in(client, cast.candidate)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(audit, "record", broken)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = upload(client, item)
    assert response.status_code == 500
    assert stored(engine) == [] and files_in(upload_dir) == []


def test_links_must_be_https(
    client: FlaskClient, cast: Cast, item: EvidenceBase, engine: Engine
) -> None:
    log_in(client, cast.candidate)
    url = f"/evidence/{KIND}/{item.id}/links"
    refused = client.post(url, data={"url": "http://example.org/badge"})
    assert refused.status_code == 422
    html = page(refused)
    assert html.by_id("proof-url-error").text.endswith(
        "Must start with https:// (other links are not accepted)."
    )
    assert html.by_id("proof-url").get("value") == "http://example.org/badge"
    assert client.post(url, data={"url": "https://bcert.me/x1"}).status_code == 303
    shown = page(client.get(f"/evidence/{KIND}/{item.id}/proof")).by_id("proof")
    link = shown.find("a", href="https://bcert.me/x1")
    assert link is not None and "noopener" in link.get("rel") and "noreferrer" in link.get("rel")
    assert [a.url for a in stored(engine)] == ["https://bcert.me/x1"]


@pytest.fixture
def attached(client: FlaskClient, cast: Cast, item: EvidenceBase, engine: Engine) -> Attachment:
    """Cara's teaching session with a PNG attached (claimed as HTML); Cara logged out."""
    log_in(client, cast.candidate)
    assert upload(client, item, PNG, "evil.html", "text/html").status_code == 303
    client.post("/logout")
    [attachment] = stored(engine)
    return attachment


def test_a_download_is_an_attachment_with_its_real_type_that_cannot_run(
    client: FlaskClient, cast: Cast, attached: Attachment
) -> None:
    log_in(client, cast.mentor)
    response = client.get(f"/attachments/{attached.id}")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=evil.html.png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    inline = client.get(f"/attachments/{attached.id}?inline=1")
    assert inline.headers["Content-Disposition"] == "inline; filename=evil.html.png"
    assert inline.mimetype == "image/png"
    assert inline.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("candidate", 200),
        ("mentor", 200),
        ("admin", 200),
        ("other_candidate", 404),
        ("other_mentor", 404),
    ],
)
def test_only_the_candidate_their_mentors_and_admins_may_download(
    client: FlaskClient, cast: Cast, attached: Attachment, who: str, status: int
) -> None:
    user: User = getattr(cast, who)
    log_in(client, user)
    assert client.get(f"/attachments/{attached.id}").status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, attached: Attachment) -> None:
    response = client.get(f"/attachments/{attached.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_mentor_sees_the_proof_in_the_review_queue_and_on_the_candidate_page(
    client: FlaskClient, cast: Cast, item: EvidenceBase, attached: Attachment
) -> None:
    log_in(client, cast.mentor)
    for url in ("/mentor/reviews", f"/mentor/candidates/{cast.candidate.id}"):
        entry = page(client.get(url)).by_id(f"review-{KIND}-{item.id}")
        link = entry.find("a", href=f"/attachments/{attached.id}")
        assert link is not None and link.text == "evil.html", url
        assert "PNG" in entry.text


def test_the_candidate_removes_a_file_and_it_is_gone(
    client: FlaskClient, cast: Cast, attached: Attachment, engine: Engine, upload_dir: Path
) -> None:
    log_in(client, cast.candidate)
    proof = page(client.get(f"/evidence/{KIND}/{attached.evidence_id}/proof"))
    remove = proof.find("form", action=f"/attachments/{attached.id}/delete")
    assert remove is not None and remove.get("hx-confirm") == (
        "Remove evil.html from this item's proof?"  # asked first, with JavaScript
    )
    response = client.post(f"/attachments/{attached.id}/delete", headers=HTMX)
    assert response.status_code == 200
    assert "“evil.html” removed." in page(response).by_id("proof").text
    assert stored(engine) == [] and files_in(upload_dir) == []


def test_a_verified_items_proof_is_final(
    client: FlaskClient,
    cast: Cast,
    item: EvidenceBase,
    attached: Attachment,
    engine: Engine,
    upload_dir: Path,
) -> None:
    log_in(client, cast.mentor)
    client.post(f"/mentor/reviews/{KIND}/{item.id}", data={"decision": "verified"})
    client.post("/logout")
    log_in(client, cast.candidate)
    shown = page(client.get(f"/evidence/{KIND}/{item.id}/proof")).by_id("proof")
    assert shown.find("form") is None and "its proof is final" in shown.text
    refused = client.post(f"/attachments/{attached.id}/delete")
    assert refused.status_code == 409
    assert "verified item can no longer be changed" in text(refused)
    assert upload(client, item).status_code == 409
    assert len(stored(engine)) == 1 and len(files_in(upload_dir)) == 1


def test_others_cannot_attach_or_remove(
    client: FlaskClient, cast: Cast, item: EvidenceBase, attached: Attachment
) -> None:
    log_in(client, cast.other_candidate)
    assert upload(client, item).status_code == 404
    assert client.post(f"/attachments/{attached.id}/delete").status_code == 404
    assert client.get(f"/evidence/{KIND}/{item.id}/proof").status_code == 404
    client.post("/logout")
    log_in(client, cast.mentor)
    assert upload(client, item).status_code == 403
    assert client.post(f"/attachments/{attached.id}/delete").status_code == 403


def test_deleting_the_item_deletes_its_files(
    client: FlaskClient,
    cast: Cast,
    item: EvidenceBase,
    attached: Attachment,
    engine: Engine,
    upload_dir: Path,
) -> None:
    log_in(client, cast.candidate)
    assert client.post(f"/evidence/{KIND}/{item.id}/delete").status_code == 303
    assert stored(engine) == [] and files_in(upload_dir) == []


def test_attaching_proof_to_a_rejected_item_sends_it_back_for_review(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., EvidenceBase], engine: Engine
) -> None:
    rejected = make_evidence(cast.candidate, KIND, "rejected")
    log_in(client, cast.candidate)
    assert upload(client, rejected).status_code == 303
    model = type(rejected)
    [again] = fetch_all(engine, select(model).where(model.id == rejected.id))
    assert again.review_status == ReviewStatus.PENDING
