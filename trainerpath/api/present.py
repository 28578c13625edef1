"""Turn rows and service results into the API's response bodies, checked by their models."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from flask import Response, request
from pydantic import BaseModel

from trainerpath.models import (
    Attachment,
    Enrollment,
    EvidenceBase,
    Notification,
    Role,
    User,
)
from trainerpath.notification_kinds import KINDS as NOTIFICATION_KINDS
from trainerpath.pathways import Ruleset, is_current
from trainerpath.queries import CandidateRecord, HistoryEntry, Page
from trainerpath.services.evidence_kinds import evidence_kind
from trainerpath.services.notifications import message
from trainerpath.services.pathways import EnrollmentStatus

from .schemas import EVIDENCE, Export

T = TypeVar("T")


def respond(model: type[BaseModel], data: dict[str, Any], status: int = 200) -> Response:
    """Validate ``data`` against the documented response model and send it as JSON.

    A reading request's transaction ends when the request does: serialising JSON takes
    microseconds, and ending the read here first cost more than it saved (unlike a page,
    whose rendering ends it, see ``db.end_reads``)."""
    body = model.model_validate(data).model_dump_json(by_alias=True)
    return Response(body, status=status, mimetype="application/json")


def no_content() -> Response:
    """An empty 204 response."""
    return Response(status=204)


def user_out(user: User) -> dict[str, Any]:
    """A user without any secret."""
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role}


def item_out(kind: str, item: EvidenceBase) -> dict[str, Any]:
    """An evidence item: its own fields and its review."""
    return {
        "id": item.id,
        "candidate_id": item.candidate_id,
        **evidence_kind(kind).values_of(item),
        **{name: getattr(item, name) for name in EVIDENCE[kind].derived},
        "review_status": item.review_status,
        "review_note": item.review_note,
        "reviewed_by": item.reviewed_by,
        "reviewed_at": item.reviewed_at,
        "created_at": item.created_at,
    }


def notification_out(notification: Notification) -> dict[str, Any]:
    """A notification, its link made absolute for a client outside the browser."""
    return {
        "id": notification.id,
        "kind": NOTIFICATION_KINDS[notification.kind].api_kind,
        "setting": notification.kind,
        "message": message(notification),
        "body": notification.body,
        "url": request.host_url.rstrip("/") + request.script_root + notification.link,
        "count": notification.count,
        "candidate_id": notification.candidate_id,
        "subject": notification.subject,
        "read_at": notification.read_at,
        "created_at": notification.created_at,
        "updated_at": notification.updated_at,
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    """An attachment's metadata (never its bytes or where they are stored)."""
    return {
        "id": attachment.id,
        "kind": attachment.kind,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": attachment.url,
        "created_at": attachment.created_at,
    }


def page_out(page: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of items with its position and the total."""
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}


def page_of(everything: Sequence[T], page: int, per_page: int) -> Page[T]:
    """One page of a list held in memory."""
    start = (page - 1) * per_page
    return Page(list(everything[start : start + per_page]), page, per_page, len(everything))


def enrollment_summary(enrollment: Enrollment) -> dict[str, Any]:
    """An enrollment in a list: id, pathway and state."""
    return {"id": enrollment.id, "pathway": enrollment.pathway, "state": enrollment.state}


def history_out(record: HistoryEntry) -> dict[str, Any]:
    """One history entry."""
    return {
        "event": record.event,
        "from": record.from_state,
        "to": record.to_state,
        "actor_id": record.actor_id,
        "at": record.at,
        "note": record.note,
    }


def enrollment_out(status: EnrollmentStatus) -> dict[str, Any]:
    """The enrollment object of api.md: requirements, events and history."""
    enrollment = status.enrollment
    return {
        "id": enrollment.id,
        "candidate_id": enrollment.candidate_id,
        "pathway": enrollment.pathway,
        "ruleset": enrollment.ruleset,
        "track": enrollment.track,
        "state": enrollment.state,
        "requirements": [requirement.as_dict() for requirement in status.requirements],
        "events": [
            {"name": event.name, "allowed": event.allowed, "reasons": event.reasons}
            for event in status.events
        ],
        "history": [history_out(record) for record in status.history],
        "created_at": enrollment.created_at,
        "updated_at": enrollment.updated_at,
    }


def _event_rows(ruleset: Ruleset) -> list[dict[str, Any]]:
    """One row per event and source state; ``to`` is null where it has several targets."""
    targets: dict[tuple[str, str], set[str]] = {}
    for source, event, target, _guards in ruleset.transitions():
        targets.setdefault((source, event), set()).add(target)
    return [
        {
            "name": event,
            "from": source,
            "to": next(iter(to)) if len(to) == 1 else None,  # resume: where it was
            "who": [role.value for role in Role if role in ruleset.who[event]],
            "note_required": event in ruleset.notes_required,
            "guards": ruleset.guards(source, event),
        }
        for (source, event), to in targets.items()
    ]


def ruleset_out(ruleset: Ruleset, today: date) -> dict[str, Any]:
    """A ruleset as its declaration states it, with each window as it stands ``today``."""
    requirements = []
    for key, need in ruleset.requirements.items():
        window = need.window(today)
        requirements.append(
            {
                "key": key,
                "label": need.label,
                "target": need.target,
                "unit": need.unit,
                "window": window.as_dict() if window else None,
            }
        )
    return {
        "key": ruleset.id,
        "pathway": ruleset.pathway,
        "version": ruleset.version,
        "title": ruleset.title,
        "awarding_body": ruleset.awarding_body,
        "current": is_current(ruleset),
        "tracks": [value for value, _label in ruleset.tracks],
        "states": [str(state.value) for state in ruleset.states],
        "events": _event_rows(ruleset),
        "requirements": requirements,
    }


def export_out(record: CandidateRecord, exported_at: Any) -> dict[str, Any]:
    """The candidate's whole record as one document."""
    candidate = record.candidate
    return {
        "format": "trainerpath-export",
        "version": 1,
        "exported_at": exported_at,
        "profile": {
            "id": candidate.id,
            "email": candidate.email,
            "name": candidate.name,
            "role": candidate.role,
            "is_active": candidate.is_active,
            "created_at": candidate.created_at,
        },
        "evidence": {
            kind: [item_out(kind, item) for item in items]
            for kind, items in record.evidence.items()
        },
        "enrollments": [
            {
                "id": enrollment.id,
                "pathway": enrollment.pathway,
                "ruleset": enrollment.ruleset,
                "track": enrollment.track,
                "state": enrollment.state,
                "withdrawn_from": enrollment.withdrawn_from,
                "created_at": enrollment.created_at,
                "updated_at": enrollment.updated_at,
                "history": [history_out(entry) for entry in history],
            }
            for enrollment, history in record.enrollments
        ],
        "mentorships": [
            {
                "id": row.mentorship.id,
                "mentor_id": row.mentorship.mentor_id,
                "mentor_name": row.mentor_name,
                "started_at": row.mentorship.started_at,
                "ended_at": row.mentorship.ended_at,
            }
            for row in record.mentorships
        ],
        "attachments": [
            attachment_out(attachment)
            | {"evidence_kind": attachment.evidence_kind, "evidence_id": attachment.evidence_id}
            for attachment in record.attachments
        ],
        "feedback": [
            {
                "id": note.id,
                "author_id": note.author_id,
                "enrollment_id": note.enrollment_id,
                "body": note.body,
                "created_at": note.created_at,
            }
            for note in record.feedback
        ],
    }


def export_json(record: CandidateRecord, exported_at: Any) -> str:
    """The export document exactly as the API sends it, as JSON text (the web's download)."""
    return Export.model_validate(export_out(record, exported_at)).model_dump_json(by_alias=True)
