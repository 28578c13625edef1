"""Log, correct, delete and review evidence items (pathways.md §3).

Correcting, deleting and reviewing read the item, check its state and then write with
a statement conditional on what was read: if someone else changed the item meanwhile
the write matches no row and the request is refused with Conflict, before any audit
row. Verified evidence stays immutable whatever the timing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock
from trainerpath.bounds import note_text, parse_id
from trainerpath.models import EvidenceBase, ReviewStatus, Role, User, Viewer, aware, utcnow
from trainerpath.notification_kinds import EVIDENCE_REJECTED
from trainerpath.uploads import UploadSettings, upload_settings

from . import attachment_store, audit, notifications, review_history
from .access import can_view, visible_candidate
from .errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from .evidence_kinds import KINDS, REQUIRED, EvidenceKind, evidence_kind

VERIFIED = ReviewStatus.VERIFIED.value
DECISIONS = (VERIFIED, ReviewStatus.REJECTED.value)
# A corrected rejected item waits for review again, as if new.
BACK_TO_PENDING: dict[str, Any] = {
    "review_status": ReviewStatus.PENDING.value,
    "review_note": None,
    "reviewed_by": None,
    "reviewed_at": None,
}


def _kind(slug: str) -> EvidenceKind:
    try:
        return evidence_kind(slug)
    except KeyError:
        raise NotFound(f"No evidence kind called {slug!r}.") from None


def visible_item(session: Session, viewer: Viewer, slug: str, item_id: int) -> EvidenceBase:
    """Return the evidence item if ``viewer`` may see it, else refuse with NotFound."""
    kind = _kind(slug)
    item = session.get(kind.model, item_id)
    if item is None or not can_view(session, viewer, item.candidate_id):
        raise NotFound(f"No such {kind.label.lower()}.")
    return item


def ensure_owner(actor: User, item_candidate_id: int, doing: str) -> None:
    """Refuse (Forbidden) unless ``actor`` is the candidate whose item it is."""
    if actor.role != Role.CANDIDATE or actor.id != item_candidate_id:
        raise Forbidden(f"Only the candidate can {doing}.")


def ensure_changeable(item: EvidenceBase) -> None:
    """Refuse (InvalidState) to change a verified item."""
    if item.review_status == ReviewStatus.VERIFIED:
        raise InvalidState("A verified item can no longer be changed or deleted.")


def _as_read(item: EvidenceBase) -> ColumnElement[bool]:
    """Match the item's row only while it is as this request read it.

    Every change to an item sets ``review_status`` or ``updated_at``, so a row whose
    both still match has not been reviewed, corrected or deleted by anyone else since.
    """
    model = type(item)
    return (
        (col(model.id) == item.id)
        & (col(model.review_status) == item.review_status)
        & (col(model.updated_at) == item.updated_at)
    )


def _lost_race() -> Conflict:
    return Conflict("Someone else changed this item at the same moment; reload and try again.")


def _write_as_read(session: Session, item: EvidenceBase, values: dict[str, Any]) -> None:
    """UPDATE the item only if nobody changed it since it was read, else Conflict."""
    result = session.execute(
        update(type(item))
        .where(_as_read(item))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise _lost_race()
    session.refresh(item)


def log_evidence(
    *,
    session: Session,
    actor: User,
    candidate_id: int,
    kind: str,
    data: dict[str, Any],
    today: date | None = None,
) -> EvidenceBase:
    """Add an evidence item to the candidate's own record, pending review."""
    spec = _kind(kind)
    visible_candidate(session, actor, candidate_id)
    values = spec.validate(data, today or clock.today())
    ensure_owner(actor, candidate_id, "log evidence on their record")
    item = spec.model(candidate_id=candidate_id, **values)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=actor,
        candidate_id=candidate_id,
        action="evidence.logged",
        subject=f"{kind}/{item.id}",
        detail=spec.summary(item),
    )
    notifications.evidence_waiting(session, actor=actor, slug=kind, item=item)
    return item


def correct_evidence(
    *,
    session: Session,
    actor: User,
    kind: str,
    item_id: int,
    changes: dict[str, Any],
    today: date | None = None,
) -> EvidenceBase:
    """Merge ``changes`` into a pending or rejected item; a rejected one goes back to pending."""
    spec = _kind(kind)
    item = visible_item(session, actor, kind, item_id)
    values = spec.validate(spec.values_of(item) | changes, today or clock.today())
    ensure_owner(actor, item.candidate_id, "change their evidence")
    ensure_changeable(item)
    was_rejected = item.review_status == ReviewStatus.REJECTED
    if was_rejected:
        values |= BACK_TO_PENDING
    _write_as_read(session, item, values | {"updated_at": utcnow()})
    audit.record(
        session,
        actor=actor,
        candidate_id=item.candidate_id,
        action="evidence.resubmitted" if was_rejected else "evidence.corrected",
        subject=f"{kind}/{item.id}",
        detail=spec.summary(item),
    )
    if was_rejected:
        notifications.resolved(
            session,
            kind=EVIDENCE_REJECTED,
            candidate_id=item.candidate_id,
            subject=f"{kind}/{item.id}",
        )
    notifications.evidence_waiting(session, actor=actor, slug=kind, item=item)
    return item


def mark_proof_changed(*, session: Session, actor: User, kind: str, item: EvidenceBase) -> None:
    """Record that a file or link of the item was added or removed: the item changed.

    Like a correction, a rejected item goes back to pending. If someone changed the item
    since it was read (a mentor verifying it), Conflict: verified proof stays as verified.
    """
    ensure_changeable(item)
    was_rejected = item.review_status == ReviewStatus.REJECTED
    _write_as_read(
        session, item, {"updated_at": utcnow()} | (BACK_TO_PENDING if was_rejected else {})
    )
    if was_rejected:
        audit.record(
            session,
            actor=actor,
            candidate_id=item.candidate_id,
            action="evidence.resubmitted",
            subject=f"{kind}/{item.id}",
            detail=_kind(kind).summary(item) + " (proof changed)",
        )
        notifications.resolved(
            session,
            kind=EVIDENCE_REJECTED,
            candidate_id=item.candidate_id,
            subject=f"{kind}/{item.id}",
        )
    notifications.evidence_waiting(session, actor=actor, slug=kind, item=item)


def delete_evidence(
    *,
    session: Session,
    actor: User,
    kind: str,
    item_id: int,
    uploads: UploadSettings | None = None,
) -> None:
    """Delete a pending or rejected item of the candidate's own, with its attachments
    (their files are removed once the deletion commits)."""
    spec = _kind(kind)
    item = visible_item(session, actor, kind, item_id)
    ensure_owner(actor, item.candidate_id, "delete their evidence")
    ensure_changeable(item)
    candidate_id, subject, detail = item.candidate_id, f"{kind}/{item.id}", spec.summary(item)
    was_rejected = item.review_status == ReviewStatus.REJECTED
    result = session.execute(
        delete(type(item)).where(_as_read(item)).execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise _lost_race()
    session.expunge(item)
    attachment_store.discard_item_attachments(
        session, kind, item_id, lambda: (uploads or upload_settings()).root
    )
    audit.record(
        session,
        actor=actor,
        candidate_id=candidate_id,
        action="evidence.deleted",
        subject=subject,
        detail=detail,
    )
    if was_rejected:
        notifications.resolved(
            session, kind=EVIDENCE_REJECTED, candidate_id=candidate_id, subject=subject
        )
    notifications.settle_waiting(session, candidate_id)


def _decide(
    session: Session,
    *,
    actor: User,
    spec: EvidenceKind,
    item: EvidenceBase,
    decision: str,
    note: str | None,
) -> None:
    """Write a decision on a pending item as read, its audit row and its history row."""
    at = utcnow()
    _write_as_read(
        session,
        item,
        {
            "review_status": decision,
            "review_note": note,
            "reviewed_by": actor.id,
            "reviewed_at": at,
        },
    )
    audit.record(
        session,
        actor=actor,
        candidate_id=item.candidate_id,
        action=f"evidence.{decision}",
        subject=f"{spec.slug}/{item.id}",
        detail=spec.summary(item) + (f" (note: {note})" if note else ""),
    )
    review_history.record_review(session, kind=spec, item=item, actor=actor, at=at)


def _ensure_reviewer(actor: User) -> None:
    if actor.role == Role.CANDIDATE:
        raise Forbidden("Only the candidate's mentor or an admin can review evidence.")


def review_evidence(
    *,
    session: Session,
    actor: User,
    kind: str,
    item_id: int,
    decision: str,
    note: str | None = None,
) -> EvidenceBase:
    """Verify or reject a pending item; rejecting needs a note."""
    spec = _kind(kind)
    item = visible_item(session, actor, kind, item_id)
    if decision not in DECISIONS:
        raise ValidationFailed({"decision": "must be verified or rejected"})
    _ensure_reviewer(actor)
    if item.review_status != ReviewStatus.PENDING:
        raise InvalidState(
            f"This item was already {item.review_status}; only pending items can be reviewed."
        )
    note, too_long = note_text(note)
    if too_long:
        raise ValidationFailed({"note": too_long}, f"The note is too long: it {too_long}.")
    if decision == ReviewStatus.REJECTED and note is None:
        raise ValidationFailed({"note": REQUIRED}, "A note is required to reject evidence.")
    _decide(session, actor=actor, spec=spec, item=item, decision=decision, note=note)
    notifications.evidence_reviewed(
        session, actor=actor, slug=kind, label=spec.label, summary=spec.summary(item), item=item
    )
    notifications.settle_waiting(session, item.candidate_id)
    return item


BULK_LIMIT = 200  # items one "Verify selected" may name (a queue page holds at most 200)
SEEN_TEXT = re.compile(r"([a-z-]{1,32})/([0-9]{1,10})@(.{1,40})")


@dataclass(frozen=True)
class SeenItem:
    """An item as a reviewer saw it: its kind, id and ``updated_at`` at the time."""

    slug: str
    item_id: int
    seen: datetime

    @classmethod
    def of(cls, slug: str, item: EvidenceBase) -> SeenItem:
        """The item as it is now."""
        assert item.id is not None
        return cls(slug, item.id, aware(item.updated_at))

    @property
    def token(self) -> str:
        """The item as a form sends it: ``teaching-sessions/12@<updated_at>``."""
        return f"{self.slug}/{self.item_id}@{self.seen.isoformat()}"

    @classmethod
    def parse(cls, token: str) -> SeenItem | None:
        """The item a form's ``token`` names, or None if it names none."""
        found = SEEN_TEXT.fullmatch(token)
        item_id = parse_id(found[2]) if found else None
        if found is None or item_id is None:
            return None
        try:
            seen = datetime.fromisoformat(found[3])
        except ValueError:
            return None
        return cls(found[1], item_id, aware(seen))


@dataclass(frozen=True)
class BulkVerified:
    """What a "Verify selected" did: the items verified, and those left, with why."""

    verified: list[str] = field(default_factory=list)  # "Teaching session “…”"
    left: list[tuple[str, str]] = field(default_factory=list)  # (the item, why not)


_GONE = "is no longer waiting for your review (deleted, or no longer your candidate's)"


def verify_items(*, session: Session, actor: User, items: Sequence[SeenItem]) -> BulkVerified:
    """Verify the selected pending items, each only if it is still as the reviewer saw it.

    One transaction: an item that was changed or reviewed since the reviewer's page
    showed it is left pending and reported by name, one deleted or no longer the actor's
    to review is reported by kind and number, and the others are verified. If none of
    the items is the actor's to review, NotFound, changing nothing. Each candidate is
    told once, however many of their items were verified.
    """
    _ensure_reviewer(actor)
    wanted = list(dict.fromkeys(items))
    if not wanted:
        raise ValidationFailed({"items": "select at least one item"}, "Select the items to verify.")
    if len(wanted) > BULK_LIMIT:
        raise ValidationFailed({"items": f"at most {BULK_LIMIT} at once"})
    said: dict[SeenItem, tuple[str, str | None]] = {}  # each item's name, and why it was left
    found: list[tuple[SeenItem, EvidenceKind, EvidenceBase]] = []
    # Rows are taken in one order whatever the form's: two reviewers verifying the same
    # items at once then wait for each other instead of deadlocking.
    for seen in sorted(wanted, key=lambda seen: (seen.slug, seen.item_id)):
        try:
            item = visible_item(session, actor, seen.slug, seen.item_id)
        except NotFound:
            # Deleted meanwhile, or no longer the actor's to review: the same words for
            # both (and for an id that never was theirs), so nothing is given away.
            label = KINDS[seen.slug].label if seen.slug in KINDS else "Item"
            said[seen] = (f"{label} no. {seen.item_id}", _GONE)
            continue
        found.append((seen, _kind(seen.slug), item))
    if not found:
        raise NotFound("None of these items waits for your review.")
    by_candidate: dict[int, list[tuple[EvidenceKind, EvidenceBase]]] = {}
    for seen, spec, item in found:
        name = f"{spec.label} “{spec.summary(item)}”"
        if item.review_status != ReviewStatus.PENDING:
            said[seen] = (name, f"was already {item.review_status}")
            continue
        if aware(item.updated_at) != seen.seen:
            said[seen] = (name, "was changed by the candidate after your page showed it")
            continue
        try:
            _decide(session, actor=actor, spec=spec, item=item, decision=VERIFIED, note=None)
        except Conflict:
            said[seen] = (name, "was changed at the same moment")
            continue
        said[seen] = (name, None)
        by_candidate.setdefault(item.candidate_id, []).append((spec, item))
    outcome = BulkVerified()
    for seen in wanted:  # told in the order of the reviewer's page
        name, why = said[seen]
        if why is None:
            outcome.verified.append(name)
        else:
            outcome.left.append((name, why))
    for candidate_id in sorted(by_candidate):
        done = by_candidate[candidate_id]
        if len(done) == 1:
            spec, item = done[0]
            notifications.evidence_reviewed(
                session,
                actor=actor,
                slug=spec.slug,
                label=spec.label,
                summary=spec.summary(item),
                item=item,
            )
        else:
            notifications.evidence_verified_together(
                session,
                actor=actor,
                candidate_id=candidate_id,
                verified=[(f"{spec.slug}/{item.id}", spec.summary(item)) for spec, item in done],
            )
        notifications.settle_waiting(session, candidate_id)
    return outcome
