"""Attachments over the JSON API: multipart uploads, links, lists, downloads and deletes,
each checked against the OpenAPI document; the order of checks for non-JSON bodies."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from file_samples import HTML, PDF, PNG, SVG
from werkzeug.test import TestResponse

from trainerpath.api.openapi import openapi_document
from trainerpath.models import EvidenceBase
from trainerpath.uploads import MIB

from .conftest import API, Api, Cast, count_rows, error_of

KIND = "teaching-sessions"


def send_file(
    api: Api,
    token: str | None,
    item_id: int,
    content: bytes = PDF,
    name: str = "sign-off.pdf",
    *,
    extra: dict[str, Any] | None = None,
    kind: str = KIND,
) -> TestResponse:
    """POST a multipart upload and check the answer against the document."""
    path = f"{API}/evidence/{kind}/{item_id}/attachments"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data: dict[str, Any] = {"file": (io.BytesIO(content), name, "application/pdf")}
    data.update(extra or {})
    response = api.client.post(path, data=data, headers=headers, content_type="multipart/form-data")
    api.checker.check("POST", path, response)
    return response


@pytest.fixture
def items(cast: Cast, make_evidence: Callable[..., EvidenceBase]) -> dict[str, int]:
    """A pending and a verified teaching session of the candidate, by status."""
    return {
        status: int(make_evidence(cast.candidate, KIND, status).id or 0)
        for status in ("pending", "verified")
    }


def files_in(root: Path) -> list[Path]:
    """Every file under the upload directory."""
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\cara\\Desktop\\scan.pdf", "scan.pdf"),
        ("scans\\2024\\scan.pdf", "scan.pdf"),
        ("../scans/scan.pdf", "scan.pdf"),
        ('the "final" scan.pdf', 'the "final" scan.pdf'),
    ],
)
def test_the_filename_is_the_last_part_of_the_name_sent(
    api: Api, cast: Cast, items: dict[str, int], sent: str, kept: str
) -> None:
    """Clients send a name's backslashes as they are (Werkzeug's test client as browsers
    and curl do): they divide folders, not escape the next character."""
    created = send_file(api, cast.token("candidate"), items["pending"], name=sent)
    assert created.status_code == 201
    assert created.get_json()["filename"] == kept


def test_the_candidate_uploads_lists_downloads_and_deletes(
    api: Api, cast: Cast, items: dict[str, int], upload_dir: Path
) -> None:
    token = cast.token("candidate")
    created = send_file(api, token, items["pending"], PNG, "../scans/letter")
    assert created.status_code == 201
    body = created.get_json()
    assert {k: body[k] for k in ("kind", "filename", "content_type", "size", "url")} == {
        "kind": "file",
        "filename": "letter",
        "content_type": "image/png",
        "size": len(PNG),
        "url": None,
    }
    link = api.post(
        f"/evidence/{KIND}/{items['pending']}/links", token, {"url": "https://bcert.me/a1"}
    )
    assert link.status_code == 201 and link.get_json()["kind"] == "link"
    listed = api.get(f"/evidence/{KIND}/{items['pending']}/attachments", cast.token("mentor"))
    assert [a["id"] for a in listed.get_json()["items"]] == [body["id"], link.get_json()["id"]]
    download = api.get(f"/attachments/{body['id']}", cast.token("admin"))
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"] == "attachment; filename=letter.png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert api.delete(f"/attachments/{body['id']}", token).status_code == 204
    assert api.delete(f"/attachments/{link.get_json()['id']}", token).status_code == 204
    assert files_in(upload_dir) == []
    assert api.get(f"/evidence/{KIND}/{items['pending']}/attachments", token).get_json() == {
        "items": []
    }


@pytest.mark.parametrize(
    ("content", "name", "why"),
    [
        (HTML, "certificate.pdf", "must be a PDF, PNG, JPEG or WebP file (judged by its content)"),
        (SVG, "badge.svg", "must be a PDF, PNG, JPEG or WebP file (judged by its content)"),
        (b"", "empty.pdf", "is empty"),
        (PDF + bytes(10 * MIB), "huge.pdf", "is larger than 10 MB, the most a file may be"),
    ],
)
def test_a_refused_file_is_422_on_the_file_field_and_leaves_nothing(
    api: Api,
    cast: Cast,
    items: dict[str, int],
    engine: Any,
    upload_dir: Path,
    content: bytes,
    name: str,
    why: str,
) -> None:
    response = send_file(api, cast.token("candidate"), items["pending"], content, name)
    assert error_of(response) == (422, "validation_error", {"file": why})
    assert count_rows(engine, "attachments") == 0 and files_in(upload_dir) == []


def test_a_body_over_the_limit_is_413_before_it_is_read(
    api: Api, cast: Cast, items: dict[str, int], upload_dir: Path
) -> None:
    response = send_file(api, cast.token("candidate"), items["pending"], PDF + bytes(11 * MIB))
    status, code, _details = error_of(response)
    assert (status, code) == (413, "too_large")
    assert str(10 * MIB + 64 * 1024) in response.get_json()["error"]["message"]
    assert files_in(upload_dir) == []


def test_other_parts_and_other_media_types_are_refused(
    api: Api, cast: Cast, items: dict[str, int]
) -> None:
    token = cast.token("candidate")
    extra = send_file(api, token, items["pending"], extra={"note": "hi"})
    assert error_of(extra) == (422, "validation_error", {"note": "unknown field"})
    as_json = api.post(f"/evidence/{KIND}/{items['pending']}/attachments", token, {"file": "x"})
    assert error_of(as_json)[:2] == (415, "unsupported_media_type")


def test_checks_run_in_the_contracts_order_before_the_body_is_read(
    api: Api, cast: Cast, items: dict[str, int]
) -> None:
    path = f"/evidence/{KIND}/{items['pending']}/attachments"
    not_multipart = {"data": "{}"}
    # No token: 401 whatever the body.
    assert api.call("POST", path, None, **not_multipart).status_code == 401
    # Someone who may not see the item: 404 before the media type is looked at.
    assert api.call("POST", path, cast.token("other_candidate"), **not_multipart).status_code == 404
    assert api.call("POST", path, cast.token("other_mentor"), **not_multipart).status_code == 404
    # Their mentor may see it but never attach: 403.
    assert api.call("POST", path, cast.token("mentor"), **not_multipart).status_code == 403
    # A verified item: 409, even with a body far too large.
    verified = send_file(api, cast.token("candidate"), items["verified"], PDF + bytes(11 * MIB))
    assert error_of(verified)[:2] == (409, "invalid_state")


def test_a_verified_items_files_cannot_be_removed_and_others_cannot_remove_them(
    api: Api,
    cast: Cast,
    items: dict[str, int],
    upload_dir: Path,
) -> None:
    token = cast.token("candidate")
    attachment_id = send_file(api, token, items["pending"]).get_json()["id"]
    api.post(
        f"/evidence/{KIND}/{items['pending']}/review",
        cast.token("mentor"),
        {"decision": "verified"},
    )
    assert error_of(api.delete(f"/attachments/{attachment_id}", token))[:2] == (
        409,
        "invalid_state",
    )
    assert api.delete(f"/attachments/{attachment_id}", cast.token("mentor")).status_code == 403
    assert (
        api.delete(f"/attachments/{attachment_id}", cast.token("other_candidate")).status_code
        == 404
    )
    assert len(files_in(upload_dir)) == 1


@pytest.mark.parametrize(
    ("who", "status"), [("other_candidate", 404), ("other_mentor", 404), ("mentor", 200)]
)
def test_downloads_are_for_those_who_may_see_the_item(
    api: Api, cast: Cast, items: dict[str, int], who: str, status: int
) -> None:
    attachment_id = send_file(api, cast.token("candidate"), items["pending"]).get_json()["id"]
    assert api.get(f"/attachments/{attachment_id}", cast.token(who)).status_code == status


def test_deleting_the_item_deletes_its_attachments(
    api: Api, cast: Cast, items: dict[str, int], engine: Any, upload_dir: Path
) -> None:
    token = cast.token("candidate")
    send_file(api, token, items["pending"])
    send_file(api, token, items["pending"], PNG, "scan.png")
    assert api.delete(f"/evidence/{KIND}/{items['pending']}", token).status_code == 204
    assert count_rows(engine, "attachments") == 0 and files_in(upload_dir) == []


def test_an_http_link_is_refused(api: Api, cast: Cast, items: dict[str, int]) -> None:
    response = api.post(
        f"/evidence/{KIND}/{items['pending']}/links",
        cast.token("candidate"),
        {"url": "http://x.org"},
    )
    assert error_of(response) == (
        422,
        "validation_error",
        {"url": "must start with https:// (other links are not accepted)"},
    )


# -- every documented response of the attachment operations happens -------------------

DOCUMENT = openapi_document()
ATTACHMENT_PAIRS = [
    (method, path, op["operationId"], int(status))
    for path, item in DOCUMENT["paths"].items()
    for method, op in item.items()
    if op["tags"] == ["Attachments"]
    for status in op["responses"]
]


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "status"),
    ATTACHMENT_PAIRS,
    ids=[f"{m.upper()} {p} {s}" for m, p, _e, s in ATTACHMENT_PAIRS],
)
def test_every_documented_attachment_response_happens(
    api: Api,
    cast: Cast,
    make_evidence: Callable[..., EvidenceBase],
    method: str,
    path: str,
    endpoint: str,
    status: int,
) -> None:
    kind = path.split("/evidence/")[1].split("/")[0] if "/evidence/" in path else KIND
    pending = int(make_evidence(cast.candidate, kind, "pending").id or 0)
    verified = int(make_evidence(cast.candidate, kind, "verified").id or 0)
    token = cast.token("candidate")
    file_id = send_file(api, token, pending, kind=kind).get_json()["id"]
    item_id = {409: verified, 404: 999_999}.get(status, pending)
    attachment_id = 999_999 if status == 404 else file_id
    if status == 409:  # a verified item's file
        api.post(
            f"/evidence/{kind}/{pending}/review", cast.token("mentor"), {"decision": "verified"}
        )
        item_id = verified
    who = {401: None, 403: "mentor"}.get(status, "candidate")
    concrete = path.removeprefix(API).format(item_id=item_id, attachment_id=attachment_id)
    token = cast.token(who) if who else None
    if endpoint.startswith("upload_attachment"):
        content = {422: HTML, 413: PDF + bytes(11 * MIB)}.get(status, PDF)
        if status == 415:
            response = api.call("POST", concrete, token, {"file": "x"})
        else:
            response = send_file(api, token, item_id, content, kind=kind)
    elif endpoint.startswith("add_link"):
        body: Any = {400: "{nope", 413: " " * (MIB + 1), 422: {"url": "ftp://x.org"}}.get(
            status, {"url": "https://x.org/b"}
        )
        if isinstance(body, str):
            response = api.call("POST", concrete, token, data=body)
        else:
            response = api.call("POST", concrete, token, body)
    else:
        response = api.call(method.upper(), concrete, token)
    assert response.status_code == status, response.get_data()[:300]
    assert (method, path, str(status)) in api.checker.checked
    if status >= 400:
        error_of(response)


def test_the_export_lists_attachments_without_their_bytes_or_storage(
    api: Api, cast: Cast, items: dict[str, int]
) -> None:
    token = cast.token("candidate")
    file_id = send_file(api, token, items["pending"]).get_json()["id"]
    export = api.get(f"/candidates/{cast.candidate.id}/export", cast.token("mentor")).get_json()
    [exported] = export["attachments"]
    assert exported["id"] == file_id
    assert (exported["evidence_kind"], exported["evidence_id"]) == (KIND, items["pending"])
    assert (exported["filename"], exported["size"]) == ("sign-off.pdf", len(PDF))
    assert "storage_key" not in exported and "%PDF" not in str(export)
