"""Proof on evidence items for people: the candidate attaches and removes files and links;
the candidate, their mentors and admins download them.

The forms are plain multipart POSTs that redirect (no JavaScript needed); with htmx they
swap the proof section in place and show the upload's progress. A refused file or link
shows its reason next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from trainerpath.db import get_session
from trainerpath.models import Attachment, EvidenceBase, ReviewStatus, Role
from trainerpath.services import attachments as service
from trainerpath.services.errors import InvalidState, NotFound, Refusal, ValidationFailed
from trainerpath.services.evidence import visible_item
from trainerpath.services.evidence_kinds import KINDS, EvidenceKind
from trainerpath.services.file_types import ACCEPT_ATTRIBUTE, BY_MEDIA_TYPE
from trainerpath.uploads import (
    accepts_upload,
    file_response,
    megabytes,
    sent_filename,
    upload_settings,
)

from .common import after_post, humanise, page_or_partial, safe_next, wants_partial, web_blueprint
from .errors import error_page
from .login import me, role_required

bp = web_blueprint("attachments")


@dataclass(frozen=True)
class Proof:
    """What the proof section of an item shows: its attachments and the two forms."""

    kind: EvidenceKind
    item: EvidenceBase
    attachments: list[Attachment]
    errors: dict[str, str] = field(default_factory=dict)  # field name -> sentence
    message: str | None = None
    url: str = ""  # the link as typed, when it was refused
    accept: str = ACCEPT_ATTRIBUTE

    @property
    def changeable(self) -> bool:
        """Whether proof may still be added or removed (verified items are final)."""
        return self.item.review_status != ReviewStatus.VERIFIED

    @property
    def max_bytes(self) -> int:
        """The largest file accepted, for the browser's own check before it sends."""
        return upload_settings().max_file_bytes

    @property
    def limits(self) -> str:
        """The rules in a sentence, shown under the file field."""
        settings = upload_settings()
        return (
            f"PDF, PNG, JPEG or WebP, up to {megabytes(settings.max_file_bytes)} each; "
            f"at most {settings.max_per_item} files and links on one item."
        )


def proof_of(kind: EvidenceKind, item: EvidenceBase, **extra: Any) -> Proof:
    """The proof section of an item the signed-in user may see."""
    assert item.id is not None
    found = service.attachments_by_item(get_session(), kind.slug, [item.id])
    return Proof(kind, item, found.get(item.id, []), **extra)


def _kind(slug: str) -> EvidenceKind:
    kind = KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def _proof_page_url(kind: EvidenceKind, item_id: int) -> str:
    return url_for("attachments.proof", kind=kind.slug, item_id=item_id)


def _show(proof: Proof, status: int = 200) -> Response:
    """The proof page, or only its section for htmx."""
    return page_or_partial(
        "candidate/proof.html", "candidate/_proof.html", status=status, proof=proof
    )


@bp.get("/evidence/<kind>/<id:item_id>/proof")
@role_required(Role.CANDIDATE)
def proof(kind: str, item_id: int) -> Response:
    """An item's proof: its files and links, and the forms to add more."""
    spec = _kind(kind)
    item = visible_item(get_session(), me(), spec.slug, item_id)
    return _show(proof_of(spec, item))


def _done(spec: EvidenceKind, item_id: int, message: str) -> Response:
    """After a change: the fresh section for htmx, else back where the form was."""
    get_session().commit()
    if wants_partial():
        item = visible_item(get_session(), me(), spec.slug, item_id)
        response = _show(proof_of(spec, item, message=message))
        response.headers["HX-Trigger"] = '{"evidence-changed": null}'
        return response
    flash(message, "success")
    return after_post(safe_next(request.form.get("next"), _proof_page_url(spec, item_id)))


def _refused(spec: EvidenceKind, item_id: int, refusal: Refusal, **extra: Any) -> Response:
    """Show the section again with the reason next to its field; nothing was stored."""
    session = get_session()
    session.rollback()
    item = visible_item(session, me(), spec.slug, item_id)
    if isinstance(refusal, ValidationFailed):
        errors = {name: humanise(why) for name, why in refusal.errors.items()}
        status = 422
    else:
        errors = {"form": refusal.message}
        status = 409
    return _show(proof_of(spec, item, errors=errors, **extra), status)


@bp.post("/evidence/<kind>/<id:item_id>/attachments")
@role_required(Role.CANDIDATE)
@accepts_upload
def upload(kind: str, item_id: int) -> Response:
    """Attach one file to the signed-in candidate's pending or rejected item."""
    spec = _kind(kind)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        refusal = ValidationFailed({"file": "choose a file to attach"})
        return _refused(spec, item_id, refusal)
    try:
        attachment = service.add_file(
            session=get_session(),
            actor=me(),
            kind=spec.slug,
            item_id=item_id,
            stream=sent.stream,
            filename=sent_filename(sent),
            uploads=upload_settings(),
        )
    except NotFound:
        raise
    except Refusal as refusal:
        return _refused(spec, item_id, refusal)
    return _done(spec, item_id, f"“{attachment.filename}” attached.")


@bp.post("/evidence/<kind>/<id:item_id>/links")
@role_required(Role.CANDIDATE)
def add_link(kind: str, item_id: int) -> Response:
    """Attach an https link (a digital badge, a certificate page) to the item."""
    spec = _kind(kind)
    url = request.form.get("url", "")
    try:
        service.add_link(
            session=get_session(),
            actor=me(),
            kind=spec.slug,
            item_id=item_id,
            url=url,
            uploads=upload_settings(),
        )
    except NotFound:
        raise
    except Refusal as refusal:
        return _refused(spec, item_id, refusal, url=url[: service.MAX_URL])
    return _done(spec, item_id, "Link attached.")


@bp.post("/attachments/<id:attachment_id>/delete")
@role_required(Role.CANDIDATE)
def remove(attachment_id: int) -> Response:
    """Remove a file or link from the signed-in candidate's pending or rejected item."""
    session = get_session()
    attachment = service.visible_attachment(session, me(), attachment_id)
    spec = _kind(attachment.evidence_kind)
    item_id = attachment.evidence_id
    try:
        service.delete_attachment(
            session=session, actor=me(), attachment_id=attachment_id, uploads=upload_settings()
        )
    except NotFound:
        raise
    except Refusal as refusal:
        return _refused(spec, item_id, refusal)
    return _done(spec, item_id, f"“{attachment.filename or attachment.url}” removed.")


@bp.get("/attachments/<id:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    """The file, to whoever may see its item (anyone else: 404). A download unless
    ``?inline=1``, which shows a PDF or an image in the browser with its real type."""
    opened = service.open_attachment(
        session=get_session(), viewer=me(), attachment_id=attachment_id, uploads=upload_settings()
    )
    get_session().commit()  # nothing written; end the read before streaming the file
    attachment = opened.attachment
    return file_response(
        opened.stream,
        content_type=attachment.content_type or "application/octet-stream",
        size=attachment.size or 0,
        download_name=opened.download_name,
        inline=request.args.get("inline") == "1",
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """A body over the upload limit was refused unread: say so next to the file field, to
    the candidate whose item it is (anyone else gets the plain 413 page)."""
    settings = upload_settings()
    why = f"This file is larger than {megabytes(settings.max_file_bytes)}, the most a file may be."
    args = request.view_args or {}
    spec = KINDS.get(str(args.get("kind")))
    if spec is None or not current_user.is_authenticated or me().role != Role.CANDIDATE:
        return error_page(413, why)
    try:
        item = visible_item(get_session(), me(), spec.slug, int(args.get("item_id", 0)))
    except (NotFound, InvalidState):
        get_session().rollback()
        return error_page(413, why)
    # htmx swaps only answers it expects (422); without it, the status says what happened.
    return _show(proof_of(spec, item, errors={"file": why}), 422 if wants_partial() else 413)


@bp.app_template_filter("filesize")
def file_size(size: int | None) -> str:
    """A file's size as people read it: 812 bytes, 120 KB, 1.5 MB."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return megabytes(size)


@bp.app_template_filter("filetype")
def file_type_name(content_type: str | None) -> str:
    """A file's type as people name it: PDF, PNG, JPEG, WebP."""
    found = BY_MEDIA_TYPE.get(content_type or "")
    return found.name if found else ""
