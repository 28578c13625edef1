"""Proof attached to evidence: add a file or a link, list, open and delete them.

The rules: PDF, PNG, JPEG or WebP only, decided from the content; at most
``max_file_bytes`` a file, ``max_per_item`` files and links an item, ``quota_bytes`` of
files a candidate; links are https. Only the candidate adds or removes, and only while
the item is pending or rejected; adding or removing is a change to the item (a
rejected one goes back to pending, and a concurrent review loses with a conflict).
Whoever may see the item may list and open its attachments.

The row and its file are both stored or neither (attachment_store.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import Attachment, AttachmentKind, EvidenceBase, User, Viewer
from trainerpath.uploads import UploadSettings, megabytes

from . import attachment_store, audit
from .access import can_view
from .errors import NotFound, ValidationFailed
from .evidence import ensure_changeable, ensure_owner, mark_proof_changed, visible_item
from .file_types import ACCEPTED_NAMES, BY_MEDIA_TYPE, HEAD_BYTES, detect

MAX_FILENAME = 255
MAX_URL = 2000
FALLBACK_NAME = "attachment"


@dataclass(frozen=True)
class OpenedAttachment:
    """A stored file, open for reading, with what a download needs to say about it."""

    attachment: Attachment
    stream: IO[bytes]

    @property
    def download_name(self) -> str:
        """The name to save it under: as sent, with the extension of its real type."""
        return download_name(self.attachment)


def sanitise_filename(sent: str | None) -> str:
    """The last part of the name sent, without control characters, at most 255 long."""
    name = (sent or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: invisible ones such as the right-to-left override,
    # which can make "cod.exe" look like "exe.doc".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = name.strip().strip(".").strip()
    if len(name) > MAX_FILENAME:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: MAX_FILENAME - len(suffix)] + suffix
    return name or FALLBACK_NAME


def download_name(attachment: Attachment) -> str:
    """The stored name, ending in an extension of the file's real type."""
    name = attachment.filename or FALLBACK_NAME
    file_type = BY_MEDIA_TYPE.get(attachment.content_type or "")
    if file_type is None or name.lower().endswith(file_type.extensions):
        return name
    return name + file_type.extensions[0]


def url_problem(url: str) -> str | None:
    """Why a link is refused, or None: https with a host, no credentials, no spaces."""
    if not url:
        return "required"
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "must be a web address such as https://example.org/certificate"
    if parts.scheme.lower() != "https":
        return "must start with https:// (other links are not accepted)"
    if not host or "." not in host:
        return "must be a web address such as https://example.org/certificate"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    return None


def _id(user: User) -> int:
    assert user.id is not None
    return user.id


def _file_refused(why: str) -> ValidationFailed:
    return ValidationFailed({"file": why}, f"The file was not attached: {why}.")


def _item_for_change(
    session: Session, actor: User, kind: str, item_id: int, doing: str
) -> EvidenceBase:
    """The item, if the actor is its candidate and it is not verified (404, 403, 409)."""
    item = visible_item(session, actor, kind, item_id)
    ensure_owner(actor, item.candidate_id, doing)
    ensure_changeable(item)
    return item


def check_can_attach(*, session: Session, actor: User, kind: str, item_id: int) -> EvidenceBase:
    """Refuse now what would refuse any file: no such item (404), not the candidate (403),
    a verified item (409). Lets a view answer before it reads the upload."""
    return _item_for_change(session, actor, kind, item_id, "attach proof to their evidence")


def _lock_room(
    session: Session,
    actor: User,
    kind: str,
    item: EvidenceBase,
    adding_bytes: int,
    uploads: UploadSettings,
    field: str,
) -> None:
    """Mark the item changed, then check, under the candidate's row lock, that the item
    has room for one more attachment and the candidate's quota for ``adding_bytes``.

    The item's row is written first and the candidate's locked second, the order a
    review takes them in (its standings refresh locks the candidate), so they cannot
    deadlock; two uploads of one candidate on several servers wait for each other.
    """
    mark_proof_changed(session=session, actor=actor, kind=kind, item=item)
    session.execute(
        select(col(User.id))
        .where(col(User.id) == item.candidate_id)
        .with_for_update(key_share=True)
    )
    on_item = session.execute(
        select(func.count())
        .select_from(Attachment)
        .where(col(Attachment.evidence_kind) == kind, col(Attachment.evidence_id) == item.id)
    ).scalar_one()
    if on_item >= uploads.max_per_item:
        why = f"this item already has {uploads.max_per_item} attachments, the most it may have"
        raise ValidationFailed({field: why}, f"Not attached: {why}.")
    if not adding_bytes:
        return
    used = int(
        session.execute(
            select(func.coalesce(func.sum(col(Attachment.size)), 0)).where(
                col(Attachment.candidate_id) == item.candidate_id
            )
        ).scalar_one()
        or 0
    )
    if used + adding_bytes > uploads.quota_bytes:
        why = (
            f"it would take your files past your {megabytes(uploads.quota_bytes)} of storage "
            f"({megabytes(used)} used); remove files you no longer need"
        )
        raise _file_refused(why)


def _size_of(stream: IO[bytes]) -> int | None:
    """The length of what is left in a seekable stream, without reading it."""
    try:
        start = stream.tell()
        end = stream.seek(0, 2)
        stream.seek(start)
    except (OSError, AttributeError, ValueError):
        return None
    return end - start


def add_file(
    *,
    session: Session,
    actor: User,
    kind: str,
    item_id: int,
    stream: IO[bytes],
    filename: str | None,
    uploads: UploadSettings,
) -> Attachment:
    """Attach a file to the actor's own pending or rejected item."""
    item = check_can_attach(session=session, actor=actor, kind=kind, item_id=item_id)
    limit = uploads.max_file_bytes
    too_large = f"is larger than {megabytes(limit)}, the most a file may be"
    announced = _size_of(stream)
    if announced is not None and announced > limit:
        raise _file_refused(too_large)  # before a byte of it is written
    head = stream.read(HEAD_BYTES)
    if not head:
        raise _file_refused("is empty")
    file_type = detect(head)
    if file_type is None:
        raise _file_refused(f"must be a {ACCEPTED_NAMES} file (judged by its content)")
    try:
        stored = attachment_store.write_file(session, uploads.root, head, stream, limit)
    except attachment_store.TooLarge:
        raise _file_refused(too_large) from None
    _lock_room(session, actor, kind, item, stored.size, uploads, "file")
    attachment = Attachment(
        evidence_kind=kind,
        evidence_id=item_id,
        candidate_id=item.candidate_id,
        kind=AttachmentKind.FILE.value,
        storage_key=stored.key,
        filename=sanitise_filename(filename),
        content_type=file_type.media_type,
        size=stored.size,
        uploaded_by=_id(actor),
    )
    return _added(
        session,
        actor,
        kind,
        item,
        attachment,
        f"{attachment.filename} ({file_type.name}, {megabytes(stored.size)})",
    )


def add_link(
    *,
    session: Session,
    actor: User,
    kind: str,
    item_id: int,
    url: str | None,
    uploads: UploadSettings,
) -> Attachment:
    """Attach an https link to the actor's own pending or rejected item."""
    item = _item_for_change(session, actor, kind, item_id, "attach proof to their evidence")
    url = (url or "").strip()
    problem = url_problem(url)
    if problem:
        raise ValidationFailed({"url": problem})
    _lock_room(session, actor, kind, item, 0, uploads, "url")
    attachment = Attachment(
        evidence_kind=kind,
        evidence_id=item_id,
        candidate_id=item.candidate_id,
        kind=AttachmentKind.LINK.value,
        url=url,
        uploaded_by=_id(actor),
    )
    return _added(session, actor, kind, item, attachment, url)


def _added(
    session: Session,
    actor: User,
    kind: str,
    item: EvidenceBase,
    attachment: Attachment,
    detail: str,
) -> Attachment:
    session.add(attachment)
    session.flush()
    audit.record(
        session,
        actor=actor,
        candidate_id=item.candidate_id,
        action="attachment.added",
        subject=f"{kind}/{item.id}/attachments/{attachment.id}",
        detail=detail,
    )
    return attachment


def attachments_of(session: Session, viewer: Viewer, kind: str, item_id: int) -> list[Attachment]:
    """The attachments of an item ``viewer`` may see, oldest first (NotFound otherwise)."""
    visible_item(session, viewer, kind, item_id)
    return attachments_by_item(session, kind, [item_id]).get(item_id, [])


def attachments_by_key(
    session: Session, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], list[Attachment]]:
    """The attachments of items of any kinds, named by (kind, id), oldest first: one
    statement (a page of the review queue holds several kinds)."""
    ids: dict[str, list[int]] = {}
    for kind, item_id in keys:
        ids.setdefault(kind, []).append(item_id)
    if not ids:
        return {}
    wanted = or_(
        *(
            and_(col(Attachment.evidence_kind) == kind, col(Attachment.evidence_id).in_(of_kind))
            for kind, of_kind in ids.items()
        )
    )
    found: dict[tuple[str, int], list[Attachment]] = {}
    rows = session.execute(
        select(Attachment).where(wanted).order_by(col(Attachment.evidence_id), col(Attachment.id))
    ).scalars()
    for attachment in rows:
        found.setdefault((attachment.evidence_kind, attachment.evidence_id), []).append(attachment)
    return found


def attachments_by_item(
    session: Session, kind: str, item_ids: Iterable[int]
) -> dict[int, list[Attachment]]:
    """The attachments of several items of one kind, by item id, oldest first."""
    found = attachments_by_key(session, [(kind, item_id) for item_id in item_ids])
    return {item_id: files for (_kind, item_id), files in found.items()}


def visible_attachment(session: Session, viewer: Viewer, attachment_id: int) -> Attachment:
    """The attachment, if ``viewer`` may see its item, else NotFound."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not can_view(session, viewer, attachment.candidate_id):
        raise NotFound("No such attachment.")
    return attachment


def open_attachment(
    *, session: Session, viewer: Viewer, attachment_id: int, uploads: UploadSettings
) -> OpenedAttachment:
    """Open an attachment's file for someone who may see its item (NotFound otherwise,
    and for a link, which has no file)."""
    attachment = visible_attachment(session, viewer, attachment_id)
    if attachment.storage_key is None:
        raise NotFound("This attachment is a link; it has no file to download.")
    path = attachment_store.path_of(uploads.root, attachment.storage_key)
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise NotFound("The file of this attachment is missing.") from None
    return OpenedAttachment(attachment, stream)


def delete_attachment(
    *, session: Session, actor: User, attachment_id: int, uploads: UploadSettings
) -> Attachment:
    """Remove an attachment from the actor's own pending or rejected item; its file goes
    once the removal commits."""
    attachment = visible_attachment(session, actor, attachment_id)
    kind, item_id = attachment.evidence_kind, attachment.evidence_id
    item = _item_for_change(session, actor, kind, item_id, "remove proof from their evidence")
    mark_proof_changed(session=session, actor=actor, kind=kind, item=item)
    session.delete(attachment)
    session.flush()
    if attachment.storage_key is not None:
        attachment_store.remove_after_commit(session, uploads.root, attachment.storage_key)
    audit.record(
        session,
        actor=actor,
        candidate_id=item.candidate_id,
        action="attachment.removed",
        subject=f"{kind}/{item_id}/attachments/{attachment_id}",
        detail=attachment.filename or attachment.url,
    )
    return attachment
