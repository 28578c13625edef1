"""Attachment files on disk, kept in step with their rows: both or neither.

A file is written under a random key (never the user's file name) into a temporary file
in the upload directory, then renamed into place, so a reader never sees half a file and
several servers sharing one network directory never collide (no shared state, no lock
files: the key is unique and the rename atomic). The session remembers what it wrote
and what it deleted:

- a written file whose transaction does not commit (refused, rolled back, or the
  session closed) is removed when the transaction ends;
- a deleted row's file is removed only after the commit, so a rollback keeps it.

A process killed between the rename and the commit leaves a file with no row;
``sweep_orphans`` (``flask cleanup-uploads``) removes such files once they are older
than a grace period, so an upload still in flight elsewhere is left alone.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col

from trainerpath.models import Attachment

CHUNK = 64 * 1024
TEMP_PREFIX = ".upload-"
WRITTEN = "trainerpath.attachments_written"  # session.info: paths not yet committed
DOOMED = "trainerpath.attachments_doomed"  # session.info: paths to remove after commit


class TooLarge(Exception):
    """The content is longer than the cap it was written with."""


@dataclass(frozen=True)
class StoredFile:
    """A file written under its key."""

    key: str
    path: Path
    size: int


def path_of(root: Path, key: str) -> Path:
    """Where the file of ``key`` lives: fanned out by its first two characters."""
    return root / key[:2] / key


def write_file(session: Session, root: Path, head: bytes, rest: IO[bytes], cap: int) -> StoredFile:
    """Write ``head`` then the rest of the stream under a new key, at most ``cap`` bytes.

    Over the cap, nothing more is read and nothing stays on disk (TooLarge). The file is
    removed again unless ``session``'s transaction commits.
    """
    if not session.in_transaction():
        session.begin()  # so that its end, commit or not, settles the file's fate
    root.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    handle, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=root)
    temp = Path(temp_name)
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            for chunk in _chunks(head, rest):
                size += len(chunk)
                if size > cap:
                    raise TooLarge
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        final = path_of(root, key)
        final.parent.mkdir(exist_ok=True)
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    session.info.setdefault(WRITTEN, []).append(final)
    return StoredFile(key, final, size)


def _chunks(head: bytes, rest: IO[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    while chunk := rest.read(CHUNK):
        yield chunk


def remove_after_commit(session: Session, root: Path, key: str) -> None:
    """Remove the file of ``key`` once ``session``'s transaction commits."""
    session.info.setdefault(DOOMED, []).append(path_of(root, key))


def discard_item_attachments(
    session: Session, kind: str, item_id: int, root: Callable[[], Path]
) -> None:
    """Delete the rows of an item's attachments; their files go after the commit.

    ``root`` gives the upload directory; it is asked only if the item has files.
    """
    of_item = (col(Attachment.evidence_kind) == kind) & (col(Attachment.evidence_id) == item_id)
    keys = [
        k for k in session.execute(select(col(Attachment.storage_key)).where(of_item)).scalars()
    ]
    if not keys:
        return
    session.execute(delete(Attachment).where(of_item))
    for key in keys:
        if key is not None:
            remove_after_commit(session, root(), key)


@event.listens_for(Session, "after_commit")
def _remove_doomed_files(session: Session) -> None:
    for path in session.info.pop(DOOMED, []):
        path.unlink(missing_ok=True)
    session.info.pop(WRITTEN, None)  # committed with their rows: they stay


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    for path in session.info.pop(WRITTEN, []):
        path.unlink(missing_ok=True)
    session.info.pop(DOOMED, None)  # not committed: the rows, and so the files, stay


def sweep_orphans(session: Session, root: Path, grace_seconds: float) -> list[Path]:
    """Remove files with no attachment row, and abandoned temporary files, older than
    ``grace_seconds``; return what was removed. One query per directory of 256."""
    if not root.is_dir():
        return []
    cutoff = time.time() - grace_seconds
    removed: list[Path] = []
    for temp in root.glob(TEMP_PREFIX + "*"):
        if _older(temp, cutoff):
            temp.unlink(missing_ok=True)
            removed.append(temp)
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        old = {p.name: p for p in folder.iterdir() if p.is_file() and _older(p, cutoff)}
        if not old:
            continue
        known = set(
            session.execute(
                select(col(Attachment.storage_key)).where(col(Attachment.storage_key).in_(old))
            ).scalars()
        )
        for name, path in sorted(old.items()):
            if name not in known:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False
