"""The API's attachment operations: upload (multipart), link, list, download and delete.

An upload is checked in the contract's order for bodies that are not JSON: the token
(401), the item (404), the caller's role (403), the item's state (409), then the body
(415, 413) and the file (422). The checks end their transaction before the body is read,
so on SQLite a slow upload holds no lock; the service checks again when it stores.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.services import attachments as service
from trainerpath.services.errors import ValidationFailed
from trainerpath.services.evidence import visible_item
from trainerpath.services.evidence_kinds import KINDS
from trainerpath.services.file_types import ACCEPTED
from trainerpath.uploads import accepts_upload, file_response, sent_filename, upload_settings

from . import schemas
from .auth import caller, viewer
from .blueprint import registry
from .errors import ApiError
from .inputs import read_body
from .present import attachment_out, no_content, respond

TAG = "Attachments"
ATTACHMENT_ID = {"attachment_id": "The attachment's id."}
MULTIPART = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": "PDF, PNG, JPEG or WebP (judged by the content).",
                }
            },
            "required": ["file"],
            "additionalProperties": False,
        }
    }
}
FILE_CONTENT: dict[str, Any] = {
    file_type.media_type: {"schema": {"type": "string", "format": "binary"}}
    for file_type in ACCEPTED
}


def _one_file() -> Any:
    """The single part named ``file`` of a multipart body (413 if too large, 422 else)."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Send the file as multipart/form-data, in a part named file.")
    files, fields = request.files, request.form  # reads the body, within its limit
    unknown = {name: "unknown field" for name in [*files, *fields] if name != "file"}
    if unknown:
        raise ValidationFailed(unknown)
    sent = files.getlist("file")
    if len(sent) != 1:
        raise ValidationFailed({"file": "required" if not sent else "send one file at a time"})
    return sent[0]


def _register(slug: str) -> None:
    """Declare the upload, link and list operations under one kind's item path."""
    kind = KINDS[slug]
    noun = kind.label.lower()
    endpoint = slug.replace("-", "_")
    item_id = {"item_id": f"The {noun}'s id."}

    @accepts_upload
    def upload_item_attachment(item_id: int) -> Response:
        session = get_session()
        service.check_can_attach(session=session, actor=caller(), kind=slug, item_id=item_id)
        sent = _one_file_after_checks()
        attachment = service.add_file(
            session=session,
            actor=caller(),
            kind=slug,
            item_id=item_id,
            stream=sent.stream,
            filename=sent_filename(sent),
            uploads=upload_settings(),
        )
        session.commit()
        return respond(schemas.Attachment, attachment_out(attachment), 201)

    def link_item(item_id: int) -> Response:
        session = get_session()
        visible_item(session, viewer(), slug, item_id)
        body = read_body(schemas.LinkCreate)
        attachment = service.add_link(
            session=session,
            actor=caller(),
            kind=slug,
            item_id=item_id,
            url=body.url,
            uploads=upload_settings(),
        )
        session.commit()
        return respond(schemas.Attachment, attachment_out(attachment), 201)

    def list_item_attachments(item_id: int) -> Response:
        found = service.attachments_of(get_session(), viewer(), slug, item_id)
        return respond(schemas.AttachmentList, {"items": [attachment_out(a) for a in found]})

    registry.route(
        "POST",
        f"/evidence/{slug}/{{item_id}}/attachments",
        endpoint=f"upload_attachment_{endpoint}",
        tag=TAG,
        summary=f"Attach a file to a {noun} (the candidate)",
        description=(
            "One part named `file`. PDF, PNG, JPEG or WebP by content, not empty, at most "
            "10 MB (configurable), at most 20 files and links on an item and the candidate's "
            'storage quota; otherwise 422 `{"file": "why"}`. Only while the item is pending '
            "or rejected (a verified item is 409); on a rejected item it is a correction: "
            "the item goes back to pending. Checks run 401, 404, 403, 409, 415, 413, 422."
        ),
        upload=MULTIPART,
        responses={201: schemas.Attachment},
        errors=(403, 404, 409, 413, 415, 422),
        parameters=item_id,
        links={
            "download_attachment": ("download_attachment", {"attachment_id": "$response.body#/id"}),
            "delete_attachment": ("delete_attachment", {"attachment_id": "$response.body#/id"}),
        },
    )(upload_item_attachment)
    registry.route(
        "POST",
        f"/evidence/{slug}/{{item_id}}/links",
        endpoint=f"add_link_{endpoint}",
        tag=TAG,
        summary=f"Attach an https link to a {noun} (the candidate)",
        description=(
            'https only, with a host and no credentials, else 422 `{"url": "why"}`; counts '
            "toward the 20 attachments of an item. Only while the item is pending or rejected."
        ),
        body=schemas.LinkCreate,
        responses={201: schemas.Attachment},
        errors=(400, 403, 404, 409, 422),
        parameters=item_id,
        links={
            "delete_attachment": ("delete_attachment", {"attachment_id": "$response.body#/id"}),
        },
    )(link_item)
    registry.route(
        "GET",
        f"/evidence/{slug}/{{item_id}}/attachments",
        endpoint=f"list_attachments_{endpoint}",
        tag=TAG,
        summary=f"List a {noun}'s files and links",
        description="Oldest first, not paginated. Anyone who may see the item may list.",
        responses={200: schemas.AttachmentList},
        errors=(404,),
        parameters=item_id,
    )(list_item_attachments)


def _one_file_after_checks() -> Any:
    """End the checks' transaction, then read the body (it may take a while to arrive)."""
    get_session().commit()  # nothing was written; SQLite's write lock is released
    return _one_file()


for _slug in KINDS:
    _register(_slug)


@registry.route(
    "GET",
    "/attachments/{attachment_id}",
    tag=TAG,
    summary="Download a file",
    responses={200: FILE_CONTENT},
    errors=(404,),
    parameters=ATTACHMENT_ID,
)
def download_attachment(attachment_id: int) -> Response:
    """The bytes with their real `Content-Type`, `Content-Disposition: attachment`,
    `X-Content-Type-Options: nosniff` and a sandboxing CSP. A link has no file: 404."""
    opened = service.open_attachment(
        session=get_session(),
        viewer=viewer(),
        attachment_id=attachment_id,
        uploads=upload_settings(),
    )
    get_session().commit()  # nothing written: end the read before sending the file
    attachment = opened.attachment
    return file_response(
        opened.stream,
        content_type=attachment.content_type or "application/octet-stream",
        size=attachment.size or 0,
        download_name=opened.download_name,
        inline=False,
    )


@registry.route(
    "DELETE",
    "/attachments/{attachment_id}",
    tag=TAG,
    summary="Remove a file or link (the candidate)",
    responses={204: None},
    errors=(403, 404, 409),
    parameters=ATTACHMENT_ID,
)
def delete_attachment(attachment_id: int) -> Response:
    """Only while the item is pending or rejected (a verified item's proof is final: 409);
    the file is deleted once the removal commits."""
    session = get_session()
    service.delete_attachment(
        session=session, actor=caller(), attachment_id=attachment_id, uploads=upload_settings()
    )
    session.commit()
    return no_content()
