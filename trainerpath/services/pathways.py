"""Enrol in a pathway, see where an enrollment stands, and fire its events.

The one place where pathways.md §4 is enforced: the web pages and the API both call
``fire_event``, and both describe an enrollment with ``enrollment_status``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col
from statemachine.exceptions import TransitionNotAllowed

from trainerpath.models import Enrollment, Role, TransitionRecord, User, utcnow
from trainerpath.pathways import (
    CHECKS,
    CURRENT,
    Facts,
    Population,
    Requirement,
    Ruleset,
    ruleset_for,
)

from . import audit
from .access import can_view, visible_candidate
from .errors import Conflict, Forbidden, GuardUnmet, InvalidState, NotFound, ValidationFailed
from .evidence_kinds import REQUIRED

ROLE_PHRASES = {
    frozenset({Role.CANDIDATE}): "the candidate",
    frozenset({Role.MENTOR, Role.ADMIN}): "a mentor or an admin",
    frozenset({Role.CANDIDATE, Role.ADMIN}): "the candidate or an admin",
}


@dataclass(frozen=True)
class EventOption:
    """An event of the current state as one viewer sees it."""

    name: str
    label: str
    target: str | None
    allowed: bool
    reasons: list[str]
    note_required: bool


@dataclass(frozen=True)
class EnrollmentStatus:
    """Everything a dashboard or the API shows about one enrollment."""

    enrollment: Enrollment
    ruleset: Ruleset
    requirements: list[Requirement]
    events: list[EventOption]
    history: list[TransitionRecord]


def _id(value: int | None) -> int:
    assert value is not None, "flushed rows have ids"
    return value


def who_phrase(ruleset: Ruleset, event: str) -> str:
    """Say in words who may fire ``event``."""
    roles = ruleset.who[event]
    return ROLE_PHRASES.get(roles, " or ".join(sorted(roles)))


def event_label(ruleset: Ruleset, event: str) -> str:
    """The event's name for people, e.g. "Submit application"."""
    return str(getattr(ruleset.machine, event).name)


def event_phrase(ruleset: Ruleset, event: str) -> str:
    """The event's name to use mid-sentence: "record TAC approval" (acronyms kept)."""
    label = event_label(ruleset, event)
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def state_label(ruleset: Ruleset, state: str) -> str:
    """The state's name for people, e.g. "TAC review"."""
    return str(ruleset.state(state).name)


def visible_enrollment(session: Session, viewer: User, enrollment_id: int) -> Enrollment:
    """Return the enrollment if ``viewer`` may see it, else refuse with NotFound."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None or not can_view(session, viewer, enrollment.candidate_id):
        raise NotFound("No such enrollment.")
    return enrollment


def enrol(*, session: Session, actor: User, candidate_id: int, pathway: str) -> Enrollment:
    """Start the candidate on the current ruleset of ``pathway``."""
    visible_candidate(session, actor, candidate_id)
    ruleset = CURRENT.get(pathway) if isinstance(pathway, str) else None
    if ruleset is None:
        raise ValidationFailed({"pathway": "must be one of: " + ", ".join(CURRENT)})
    if actor.role == Role.MENTOR:
        raise Forbidden("Only the candidate or an admin can enrol in a pathway.")
    existing = session.execute(
        select(col(Enrollment.id)).where(
            col(Enrollment.candidate_id) == candidate_id,
            col(Enrollment.pathway) == pathway,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"Already enrolled in the {ruleset.title} pathway.")
    enrollment = Enrollment(
        candidate_id=candidate_id,
        pathway=pathway,
        ruleset=ruleset.id,
        state=ruleset.initial_state,
    )
    session.add(enrollment)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"Already enrolled in the {ruleset.title} pathway.") from None
    audit.record(
        session,
        actor=actor,
        candidate_id=candidate_id,
        action="enrollment.created",
        subject=f"enrollments/{enrollment.id}",
        detail=ruleset.id,
    )
    return enrollment


def check_requirements(
    session: Session, candidate_id: int, keys: list[str], today: date | None = None
) -> list[Requirement]:
    """Run the named requirement checks against the candidate's evidence."""
    facts = Facts(session=session, candidate_id=candidate_id, today=today or date.today())
    return [CHECKS[key](facts) for key in keys]


def check_requirements_of_many(
    session: Session, needs: Iterable[tuple[int, str]], today: date | None = None
) -> dict[tuple[int, str], Requirement]:
    """Run each named check once for all the candidates that need it.

    ``needs`` lists (candidate id, check key) pairs; the answer maps each pair to the
    candidate's requirement. A table of candidates costs a fixed number of queries.
    """
    wanted: dict[str, set[int]] = {}
    for candidate_id, key in needs:
        wanted.setdefault(key, set()).add(candidate_id)
    day = today or date.today()
    results: dict[tuple[int, str], Requirement] = {}
    for key, candidate_ids in wanted.items():
        people = Population(session=session, candidate_ids=tuple(sorted(candidate_ids)), today=day)
        for candidate_id, requirement in CHECKS[key].many(people).items():
            results[candidate_id, key] = requirement
    return results


def enrollment_status(
    *, session: Session, enrollment: Enrollment, viewer: User, today: date | None = None
) -> EnrollmentStatus:
    """Describe the enrollment: requirements of the next steps, events, history."""
    ruleset = ruleset_for(enrollment.ruleset)
    state = enrollment.state
    requirements = check_requirements(
        session, enrollment.candidate_id, ruleset.guards_leaving(state), today
    )
    by_key = {requirement.key: requirement for requirement in requirements}
    events = []
    for name in ruleset.event_names(state):
        reasons = []
        if viewer.role not in ruleset.who[name]:
            reasons.append(f"Only {who_phrase(ruleset, name)} can do this.")
        reasons.extend(
            by_key[key].message for key in ruleset.guards(state, name) if not by_key[key].met
        )
        target = enrollment.withdrawn_from if name == "resume" else ruleset.target(state, name)
        events.append(
            EventOption(
                name=name,
                label=event_label(ruleset, name),
                target=target,
                allowed=not reasons,
                reasons=reasons,
                note_required=name in ruleset.notes_required,
            )
        )
    return EnrollmentStatus(
        enrollment, ruleset, requirements, events, history_of(session, enrollment)
    )


def history_of(session: Session, enrollment: Enrollment) -> list[TransitionRecord]:
    """The enrollment's transitions, oldest first."""
    stmt = (
        select(TransitionRecord)
        .where(col(TransitionRecord.enrollment_id) == enrollment.id)
        .order_by(col(TransitionRecord.at), col(TransitionRecord.id))
    )
    return list(session.execute(stmt).scalars())


def fire_event(
    *,
    session: Session,
    enrollment: Enrollment,
    event: str,
    actor: User,
    note: str | None = None,
    today: date | None = None,
) -> TransitionRecord:
    """Fire ``event`` on the enrollment, or refuse with a Refusal that says why.

    Checks run in the API's order: visibility, event name, role, state, note, guards.
    The state change and its history row are flushed together; a concurrent change
    to the same enrollment makes the flush fail with Conflict.
    """
    if not can_view(session, actor, enrollment.candidate_id):
        raise NotFound("No such enrollment.")
    ruleset = ruleset_for(enrollment.ruleset)
    if not isinstance(event, str) or not ruleset.has_event(event):
        raise ValidationFailed({"event": "unknown"}, f"There is no event called {event!r}.")
    if actor.role not in ruleset.who[event]:
        raise Forbidden(f"Only {who_phrase(ruleset, event)} can {event_phrase(ruleset, event)}.")
    source = enrollment.state
    if event not in ruleset.event_names(source):
        raise InvalidState(
            f"{event_label(ruleset, event)} is not possible while the enrollment is in "
            f"{state_label(ruleset, source)}."
        )
    note = (note or "").strip() or None
    if event in ruleset.notes_required and note is None:
        raise ValidationFailed(
            {"note": REQUIRED}, f"A note is required to {event_phrase(ruleset, event)}."
        )
    requirements = check_requirements(
        session, enrollment.candidate_id, ruleset.guards(source, event), today
    )
    if unmet := [requirement for requirement in requirements if not requirement.met]:
        raise GuardUnmet(unmet)

    machine = ruleset.bind(enrollment, {r.key: r.met for r in requirements})
    try:
        machine.send(event)
    except TransitionNotAllowed:  # e.g. a withdrawn enrollment with no state to resume to
        raise InvalidState(
            f"{event_label(ruleset, event)} is not possible for this enrollment now."
        ) from None
    if event == "withdraw":
        enrollment.withdrawn_from = source
    elif event == "resume":
        enrollment.withdrawn_from = None
    enrollment.updated_at = utcnow()
    try:
        session.flush()  # UPDATE ... WHERE version = <read version>
    except StaleDataError:
        raise Conflict(
            "Someone else changed this enrollment at the same moment; reload and try again."
        ) from None
    record = TransitionRecord(
        enrollment_id=_id(enrollment.id),
        event=event,
        from_state=source,
        to_state=enrollment.state,
        actor_id=_id(actor.id),
        note=note,
    )
    session.add(record)
    audit.record(
        session,
        actor=actor,
        candidate_id=enrollment.candidate_id,
        action="enrollment.transition",
        subject=f"enrollments/{enrollment.id}",
        detail=f"{event}: {source} → {enrollment.state}" + (f" (note: {note})" if note else ""),
    )
    session.flush()
    return record
