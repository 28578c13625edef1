"""Proof attached to evidence, through the services: what is stored, what is refused,
and that a row and its file are always stored or removed together."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import People
from file_samples import HTML, JPEG, PDF, PNG, SVG, WEBP
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import Attachment, AuditEntry, EvidenceBase, ReviewStatus, User
from trainerpath.services import attachment_store
from trainerpath.services.attachments import (
    add_file,
    add_link,
    attachments_of,
    delete_attachment,
    open_attachment,
    sanitise_filename,
    url_problem,
)
from trainerpath.services.errors import (
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from trainerpath.services.evidence import delete_evidence, review_evidence
from trainerpath.uploads import MIB, UploadSettings, upload_settings

KIND = "teaching-sessions"


@pytest.fixture
def uploads(app: Flask) -> UploadSettings:
    """The app's upload settings (the test upload directory)."""
    return upload_settings(app)


@pytest.fixture
def item(people: People, make_evidence: Callable[..., EvidenceBase]) -> EvidenceBase:
    """A pending teaching session of the candidate."""
    return make_evidence(people.candidate, KIND, "pending")


def files_in(root: Path) -> list[Path]:
    """Every file under the upload directory, temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attach(
    session: Session,
    who: User,
    item: EvidenceBase,
    uploads: UploadSettings,
    content: bytes = PDF,
    name: str = "sign-off letter.pdf",
) -> Attachment:
    """Attach ``content`` as a file and commit."""
    assert item.id is not None
    attachment = add_file(
        session=session,
        actor=who,
        kind=KIND,
        item_id=item.id,
        stream=io.BytesIO(content),
        filename=name,
        uploads=uploads,
    )
    session.commit()
    return attachment


def refusal_of(session: Session, call: Callable[[], object]) -> ValidationFailed:
    """Run a service call that must be refused for its file; roll back as a view does."""
    with pytest.raises(ValidationFailed) as refused:
        call()
    session.rollback()
    return refused.value


def rows(session: Session) -> list[Attachment]:
    """Every stored attachment."""
    return list(session.execute(select(Attachment)).scalars())


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")],
)
def test_an_accepted_file_is_stored_under_a_random_key_with_its_type_from_the_content(
    session: Session,
    people: People,
    item: EvidenceBase,
    uploads: UploadSettings,
    content: bytes,
    media_type: str,
) -> None:
    attachment = attach(session, people.candidate, item, uploads, content, name="../../etc/x.bin")
    assert attachment.content_type == media_type
    assert attachment.size == len(content)
    assert attachment.filename == "x.bin"
    assert attachment.storage_key and "x.bin" not in attachment.storage_key
    [stored] = files_in(uploads.root)
    assert stored == attachment_store.path_of(uploads.root, attachment.storage_key)
    assert stored.read_bytes() == content


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (HTML, "certificate.pdf"),
        (SVG, "logo.png"),
        (SVG, "logo.svg"),
        (b"GIF89a" + bytes(20), "a.gif"),
    ],
)
def test_content_that_is_not_pdf_png_jpeg_or_webp_is_refused_whatever_its_name(
    session: Session,
    people: People,
    item: EvidenceBase,
    uploads: UploadSettings,
    content: bytes,
    name: str,
) -> None:
    refused = refusal_of(
        session, lambda: attach(session, people.candidate, item, uploads, content, name)
    )
    assert refused.errors == {
        "file": "must be a PDF, PNG, JPEG or WebP file (judged by its content)"
    }
    assert rows(session) == [] and files_in(uploads.root) == []


def test_an_empty_file_is_refused(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    refused = refusal_of(session, lambda: attach(session, people.candidate, item, uploads, b""))
    assert refused.errors == {"file": "is empty"}


class Unseekable(io.RawIOBase):
    """A stream whose length is unknown until it is read, as from a socket; counts reads."""

    def __init__(self, content: bytes, fail_after: int | None = None) -> None:
        self.data = io.BytesIO(content)
        self.fail_after = fail_after
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("not seekable")

    def read(self, size: int = -1) -> bytes:
        if self.fail_after is not None and self.read_so_far >= self.fail_after:
            raise ConnectionResetError("the client went away")
        chunk = self.data.read(size)
        self.read_so_far += len(chunk)
        return chunk


def test_a_file_over_the_limit_is_refused_before_any_of_it_is_read_or_written(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    big = io.BytesIO(PDF + bytes(uploads.max_file_bytes))
    assert item.id is not None
    refused = refusal_of(
        session,
        lambda: add_file(
            session=session,
            actor=people.candidate,
            kind=KIND,
            item_id=item.id or 0,
            stream=big,
            filename="scan.pdf",
            uploads=uploads,
        ),
    )
    assert refused.errors == {"file": "is larger than 10 MB, the most a file may be"}
    assert big.tell() == 0  # not a byte read
    assert files_in(uploads.root) == [] and rows(session) == []


def test_a_stream_of_unknown_length_is_cut_off_at_the_limit_and_leaves_nothing(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    small = UploadSettings(uploads.root, max_file_bytes=1000)
    stream = Unseekable(PDF + bytes(50_000_000))
    refused = refusal_of(
        session,
        lambda: add_file(
            session=session,
            actor=people.candidate,
            kind=KIND,
            item_id=item.id or 0,
            stream=stream,  # type: ignore[arg-type]
            filename="scan.pdf",
            uploads=small,
        ),
    )
    assert "larger than" in refused.errors["file"]
    assert stream.read_so_far <= 1000 + attachment_store.CHUNK  # it stopped reading
    assert files_in(uploads.root) == [] and rows(session) == []


def test_an_upload_broken_off_midway_leaves_no_file_and_no_row(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    stream = Unseekable(PDF + bytes(500_000), fail_after=200_000)
    with pytest.raises(ConnectionResetError):
        add_file(
            session=session,
            actor=people.candidate,
            kind=KIND,
            item_id=item.id or 0,
            stream=stream,  # type: ignore[arg-type]
            filename="scan.pdf",
            uploads=uploads,
        )
    session.rollback()
    assert files_in(uploads.root) == [] and rows(session) == []


def test_a_transaction_that_does_not_commit_takes_its_file_with_it(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    add_file(
        session=session,
        actor=people.candidate,
        kind=KIND,
        item_id=item.id or 0,
        stream=io.BytesIO(PDF),
        filename="a.pdf",
        uploads=uploads,
    )
    assert len(files_in(uploads.root)) == 1  # written, not yet committed
    session.rollback()
    assert files_in(uploads.root) == [] and rows(session) == []


def test_a_session_closed_without_commit_takes_its_file_with_it(
    engine, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    with Session(engine) as other:
        add_file(
            session=other,
            actor=people.candidate,
            kind=KIND,
            item_id=item.id or 0,
            stream=io.BytesIO(PDF),
            filename="a.pdf",
            uploads=uploads,
        )
    assert files_in(uploads.root) == []


def test_the_twenty_first_attachment_of_an_item_is_refused(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    for n in range(15):
        attach(session, people.candidate, item, uploads, name=f"page {n}.pdf")
    for n in range(5):
        add_link(
            session=session,
            actor=people.candidate,
            kind=KIND,
            item_id=item.id or 0,
            url=f"https://example.org/proof/{n}",
            uploads=uploads,
        )
        session.commit()
    refused = refusal_of(session, lambda: attach(session, people.candidate, item, uploads))
    assert refused.errors == {"file": "this item already has 20 attachments, the most it may have"}
    assert len(rows(session)) == 20 and len(files_in(uploads.root)) == 15


def test_a_file_that_would_pass_the_candidates_quota_is_refused(
    session: Session,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    uploads: UploadSettings,
) -> None:
    tight = UploadSettings(uploads.root, quota_bytes=2 * MIB)
    first = make_evidence(people.candidate, KIND, "pending")
    second = make_evidence(people.candidate, "assessments", "pending")
    attach(session, people.candidate, first, tight, PDF + bytes(MIB + 500_000))
    assert second.id is not None
    refused = refusal_of(
        session,
        lambda: add_file(
            session=session,
            actor=people.candidate,
            kind="assessments",
            item_id=second.id or 0,
            stream=io.BytesIO(PDF + bytes(600_000)),
            filename="report.pdf",
            uploads=tight,
        ),
    )
    assert refused.errors == {
        "file": "it would take your files past your 2 MB of storage (1.5 MB used); "
        "remove files you no longer need"
    }
    assert len(files_in(uploads.root)) == 1
    # Another candidate's files do not count against this one.
    other_item = make_evidence(people.other_candidate, KIND, "pending")
    attach(session, people.other_candidate, other_item, tight, PDF + bytes(MIB))


def test_only_the_candidate_attaches_and_only_while_the_item_can_change(
    session: Session,
    people: People,
    item: EvidenceBase,
    make_evidence: Callable[..., EvidenceBase],
    uploads: UploadSettings,
) -> None:
    with pytest.raises(Forbidden):
        attach(session, people.mentor, item, uploads)
    session.rollback()
    with pytest.raises(NotFound):
        attach(session, people.other_candidate, item, uploads)
    session.rollback()
    verified = make_evidence(people.candidate, KIND, "verified")
    with pytest.raises(InvalidState):
        attach(session, people.candidate, verified, uploads)
    session.rollback()
    assert files_in(uploads.root) == [] and rows(session) == []


def test_attaching_to_a_rejected_item_sends_it_back_for_review_and_is_audited(
    session: Session,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    uploads: UploadSettings,
) -> None:
    rejected = make_evidence(people.candidate, KIND, "rejected")
    rejected.review_note = "Where is the sign-off letter?"
    session.commit()
    attachment = attach(session, people.candidate, rejected, uploads)
    session.refresh(rejected)
    assert rejected.review_status == ReviewStatus.PENDING
    assert rejected.review_note is None
    actions = session.execute(select(AuditEntry.action, AuditEntry.subject)).all()
    assert ("evidence.resubmitted", f"{KIND}/{rejected.id}") in actions
    assert ("attachment.added", f"{KIND}/{rejected.id}/attachments/{attachment.id}") in actions


def test_a_review_that_read_the_item_before_a_file_was_added_loses_with_a_conflict(
    session: Session,
    engine,
    people: People,
    item: EvidenceBase,
    uploads: UploadSettings,
) -> None:
    mentor = people.mentor
    with Session(engine, expire_on_commit=False) as reviewer:
        read = reviewer.get(type(item), item.id)  # the mentor's request has read the item
        assert read is not None
        reviewer.commit()
        attach(session, people.candidate, item, uploads)  # then the candidate added proof
        with pytest.raises(Conflict):
            review_evidence(
                session=reviewer,
                actor=mentor,
                kind=KIND,
                item_id=item.id or 0,
                decision="verified",
            )
        reviewer.rollback()
    session.refresh(item)
    assert item.review_status == ReviewStatus.PENDING


def test_links_must_be_https_web_addresses(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    link = add_link(
        session=session,
        actor=people.candidate,
        kind=KIND,
        item_id=item.id or 0,
        url="  https://bcert.me/abc123  ",
        uploads=uploads,
    )
    session.commit()
    assert (link.kind, link.url, link.storage_key) == ("link", "https://bcert.me/abc123", None)
    refused = refusal_of(
        session,
        lambda: add_link(
            session=session,
            actor=people.candidate,
            kind=KIND,
            item_id=item.id or 0,
            url="http://bcert.me/abc123",
            uploads=uploads,
        ),
    )
    assert refused.errors == {"url": "must start with https:// (other links are not accepted)"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org/cert", None),
        ("", "required"),
        ("javascript:alert(1)", "must start with https:// (other links are not accepted)"),
        ("ftp://example.org/x", "must start with https:// (other links are not accepted)"),
        ("https://", "must be a web address such as https://example.org/certificate"),
        ("https://localhost/x", "must be a web address such as https://example.org/certificate"),
        ("https://me:secret@example.org/", "must not contain a user name or password"),
        ("https://example.org/a b", "must not contain spaces or control characters"),
        ("https://example.org/" + "a" * 2000, "must be at most 2000 characters"),
    ],
)
def test_what_makes_a_link_acceptable(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("letter.pdf", "letter.pdf"),
        ("C:\\Users\\cara\\Desktop\\letter.pdf", "letter.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("tab\there\nnewline.pdf", "tabherenewline.pdf"),
        ("", "attachment"),
        ("..", "attachment"),
        (None, "attachment"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_file_names_are_kept_without_paths_or_control_characters(
    sent: str | None, kept: str
) -> None:
    assert sanitise_filename(sent) == kept


def test_the_candidate_their_mentor_and_admins_open_a_file_others_are_told_it_does_not_exist(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    attachment = attach(session, people.candidate, item, uploads, PNG, "scan")
    for who in (people.candidate, people.mentor, people.admin):
        opened = open_attachment(
            session=session, viewer=who, attachment_id=attachment.id or 0, uploads=uploads
        )
        with opened.stream:
            assert opened.stream.read() == PNG
        assert opened.download_name == "scan.png"
    for who in (people.other_candidate, people.unassigned_mentor):
        with pytest.raises(NotFound):
            open_attachment(
                session=session, viewer=who, attachment_id=attachment.id or 0, uploads=uploads
            )
        with pytest.raises(NotFound):
            attachments_of(session, who, KIND, item.id or 0)
    assert [a.id for a in attachments_of(session, people.mentor, KIND, item.id or 0)] == [
        attachment.id
    ]


def test_removing_an_attachment_removes_its_file_after_the_commit_not_before(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    attachment = attach(session, people.candidate, item, uploads)
    [stored] = files_in(uploads.root)
    delete_attachment(
        session=session, actor=people.candidate, attachment_id=attachment.id or 0, uploads=uploads
    )
    assert stored.exists()
    session.rollback()  # changed their mind, or the request failed: the file stays
    assert stored.exists() and len(rows(session)) == 1
    delete_attachment(
        session=session, actor=people.candidate, attachment_id=attachment.id or 0, uploads=uploads
    )
    session.commit()
    assert not stored.exists() and rows(session) == []
    audit = session.execute(
        select(AuditEntry.action).where(col(AuditEntry.action) == "attachment.removed")
    )
    assert audit.scalars().all() == ["attachment.removed"]


def test_files_of_a_verified_item_cannot_be_removed(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    attachment = attach(session, people.candidate, item, uploads)
    review_evidence(
        session=session, actor=people.mentor, kind=KIND, item_id=item.id or 0, decision="verified"
    )
    session.commit()
    with pytest.raises(InvalidState):
        delete_attachment(
            session=session,
            actor=people.candidate,
            attachment_id=attachment.id or 0,
            uploads=uploads,
        )
    session.rollback()
    assert len(files_in(uploads.root)) == 1 and len(rows(session)) == 1
    with pytest.raises(Forbidden):
        delete_attachment(
            session=session, actor=people.mentor, attachment_id=attachment.id or 0, uploads=uploads
        )


def test_deleting_an_item_removes_its_attachments_and_their_files(
    session: Session,
    people: People,
    item: EvidenceBase,
    make_evidence: Callable[..., EvidenceBase],
    uploads: UploadSettings,
) -> None:
    attach(session, people.candidate, item, uploads, PDF, "one.pdf")
    attach(session, people.candidate, item, uploads, PNG, "two.png")
    add_link(
        session=session,
        actor=people.candidate,
        kind=KIND,
        item_id=item.id or 0,
        url="https://example.org/x",
        uploads=uploads,
    )
    kept_item = make_evidence(people.candidate, KIND, "pending")
    kept = attach(session, people.candidate, kept_item, uploads, JPEG, "kept.jpg")
    delete_evidence(
        session=session, actor=people.candidate, kind=KIND, item_id=item.id or 0, uploads=uploads
    )
    assert len(files_in(uploads.root)) == 3  # until the commit
    session.commit()
    assert files_in(uploads.root) == [
        attachment_store.path_of(uploads.root, kept.storage_key or "")
    ]
    assert [a.id for a in rows(session)] == [kept.id]


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_sweep_removes_old_files_without_a_row_and_leaves_the_rest(
    session: Session, people: People, item: EvidenceBase, uploads: UploadSettings
) -> None:
    kept = attach(session, people.candidate, item, uploads)
    kept_path = attachment_store.path_of(uploads.root, kept.storage_key or "")
    _age(kept_path, 7200)
    orphan = attachment_store.path_of(uploads.root, "ab" + "0" * 30)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(PDF)
    _age(orphan, 7200)
    in_flight = attachment_store.path_of(uploads.root, "ab" + "1" * 30)
    in_flight.write_bytes(PDF)  # just renamed into place; its row is about to commit
    abandoned = uploads.root / (attachment_store.TEMP_PREFIX + "x1")
    abandoned.write_bytes(b"%PDF-half")
    _age(abandoned, 7200)
    session.commit()
    removed = attachment_store.sweep_orphans(session, uploads.root, grace_seconds=3600)
    assert sorted(removed) == sorted([orphan, abandoned])
    assert files_in(uploads.root) == sorted([kept_path, in_flight])


def test_cleanup_uploads_removes_a_planted_orphan_but_not_a_fresh_one(
    runner, upload_dir: Path
) -> None:
    orphan = attachment_store.path_of(upload_dir, "cd" + "2" * 30)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PDF)
    _age(orphan, 2 * 3600)
    fresh = attachment_store.path_of(upload_dir, "cd" + "3" * 30)
    fresh.write_bytes(PDF)
    result = runner.invoke(args=["cleanup-uploads"])
    assert result.exit_code == 0, result.output
    assert not orphan.exists() and fresh.exists()
    assert result.output.splitlines()[-1] == f"1 orphaned upload removed from {upload_dir}."
    result = runner.invoke(args=["cleanup-uploads", "--grace-minutes", "0"])
    assert not fresh.exists()
    assert "1 orphaned upload removed" in result.output
