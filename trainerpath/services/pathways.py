"""Enrol in a pathway, see where an enrollment stands, and fire its events.

The one place where pathways.md §4 is enforced: the web pages and the API both call
``fire_event``, and both describe an enrollment with ``enrollment_status``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col
from statemachine.exceptions import TransitionNotAllowed

from trainerpath import clock
from trainerpath.bounds import note_text
from trainerpath.models import (
    Enrollment,
    EnrollmentFacts,
    Role,
    TransitionRecord,
    User,
    Viewer,
    aware,
    utcnow,
)
from trainerpath.pathways import (
    CURRENT,
    RULESETS,
    Requirement,
    Ruleset,
    ruleset_for,
    rulesets_of,
)
from trainerpath.queries import HistoryEntry, transition_histories

from . import audit, notifications, standings
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

    enrollment: EnrollmentFacts
    ruleset: Ruleset
    requirements: list[Requirement]
    events: list[EventOption]
    history: list[HistoryEntry]
    actor_names: dict[int, str]  # who fired the history's events
    standing: standings.EnrollmentStanding | None = None  # where requirements came from


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


# Events whose button label reads badly mid-sentence ("Only the candidate can submit
# application"), with the words to use there instead.
MID_SENTENCE = {"submit_application": "submit the application"}


def event_phrase(ruleset: Ruleset, event: str) -> str:
    """The event's name to use mid-sentence: "record TAC approval" (acronyms kept),
    "submit the application"."""
    if event in MID_SENTENCE:
        return MID_SENTENCE[event]
    label = event_label(ruleset, event)
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def state_label(ruleset: Ruleset, state: str) -> str:
    """The state's name for people, e.g. "TAC review"."""
    return str(ruleset.state(state).name)


def paused_at(ruleset: Ruleset, enrollment: EnrollmentFacts) -> str:
    """The name of the state a withdrawn enrollment paused at (resume returns to it)."""
    return state_label(ruleset, enrollment.withdrawn_from or ruleset.initial_state)


def may_switch_to(enrollment: EnrollmentFacts, target: Ruleset) -> bool:
    """Whether the enrollment's state allows switching to ``target``: only while preparing,
    where both rulesets start (pathways.md §6)."""
    current = ruleset_for(enrollment.ruleset)
    return enrollment.state == current.initial_state == target.initial_state


def outcome_sentence(
    ruleset: Ruleset, event: str, enrollment: EnrollmentFacts, note: str | None = None
) -> str:
    """What firing ``event`` did to ``enrollment`` (already fired), in words, never naming
    the state twice: "Application submitted. Now: TAC review.", "Certified.", "Withdrawn:
    paused at Preparing; resume it to carry on."."""
    done = history_label(ruleset, event, note)
    if ruleset.is_withdrawn(enrollment.state):
        return f"{done}: paused at {paused_at(ruleset, enrollment)}; resume it to carry on."
    now = state_label(ruleset, enrollment.state)
    return f"{done}." if now.lower() in done.lower() else f"{done}. Now: {now}."


def visible_enrollment(session: Session, viewer: Viewer, enrollment_id: int) -> Enrollment:
    """Return the enrollment if ``viewer`` may see it, else refuse with NotFound."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None or not can_view(session, viewer, enrollment.candidate_id):
        raise NotFound("No such enrollment.")
    return enrollment


def _chosen_ruleset(
    pathway: object, ruleset_id: object, track: object
) -> tuple[Ruleset, str | None]:
    """The ruleset and track asked for, or ValidationFailed naming the field that is wrong."""
    current = CURRENT.get(pathway) if isinstance(pathway, str) else None
    if current is None:
        raise ValidationFailed({"pathway": "must be one of: " + ", ".join(CURRENT)})
    ruleset: Ruleset | None = current
    if ruleset_id is not None:
        ruleset = RULESETS.get(ruleset_id) if isinstance(ruleset_id, str) else None
        if ruleset is None or ruleset.pathway != current.pathway:
            choices = [r.id for r in RULESETS.values() if r.pathway == current.pathway]
            raise ValidationFailed({"ruleset": "must be one of: " + ", ".join(choices)})
    assert ruleset is not None
    return ruleset, _chosen_track(ruleset, track)


def _chosen_track(ruleset: Ruleset, track: object, keep: str | None = None) -> str | None:
    """The track asked for (``keep`` or the default when none is), checked against the ruleset."""
    if not ruleset.tracks:
        if track is not None:
            raise ValidationFailed({"track": f"{ruleset.id} has no tracks"})
        return None
    if track is None:
        return keep or ruleset.default_track
    if not isinstance(track, str) or track not in dict(ruleset.tracks):
        raise ValidationFailed(
            {"track": "must be one of: " + ", ".join(value for value, _ in ruleset.tracks)}
        )
    return track


def enrol(
    *,
    session: Session,
    actor: User,
    candidate_id: int,
    pathway: str,
    ruleset: str | None = None,
    track: str | None = None,
) -> Enrollment:
    """Start the candidate on ``ruleset`` (the pathway's current one if not given)."""
    visible_candidate(session, actor, candidate_id)
    chosen, chosen_track = _chosen_ruleset(pathway, ruleset, track)
    if actor.role == Role.MENTOR:
        raise Forbidden("Only the candidate or an admin can enrol in a pathway.")
    existing = session.execute(
        select(col(Enrollment.id)).where(
            col(Enrollment.candidate_id) == candidate_id,
            col(Enrollment.pathway) == chosen.pathway,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"Already enrolled in the {chosen.title} pathway.")
    enrollment = Enrollment(
        candidate_id=candidate_id,
        pathway=chosen.pathway,
        ruleset=chosen.id,
        track=chosen_track,
        state=chosen.initial_state,
    )
    session.add(enrollment)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"Already enrolled in the {chosen.title} pathway.") from None
    audit.record(
        session,
        actor=actor,
        candidate_id=candidate_id,
        action="enrollment.created",
        subject=f"enrollments/{enrollment.id}",
        detail=chosen.id + (f" ({chosen_track})" if chosen_track else ""),
    )
    return enrollment


def _ruleset_and_track(ruleset_id: str, track: str | None) -> str:
    return f"{ruleset_id} ({track})" if track else ruleset_id


# The note ``switch_ruleset`` writes for a switch of track under the same ruleset.
_TRACK_SWITCH_NOTE = re.compile(r"[a-z_]+@\d+: \S+ → \S+")


def history_label(ruleset: Ruleset, event: str, note: str | None) -> str:
    """The words for a history row: the ruleset's ("Approved by the TAC"), or those of
    the older ruleset of the pathway whose event it is (a row from before a switch of
    rules), or "Switched track" for a switch of track under the same ruleset (told by the
    note ``switch_ruleset`` writes for it: "cst@2: scrum_master → agile_coach")."""
    if event == "switch_ruleset" and note and _TRACK_SWITCH_NOTE.fullmatch(note):
        return "Switched track"
    owner = next((r for r in _pathway_rules(ruleset) if event in r.history), ruleset)
    return owner.history_label(event)


def _pathway_rules(ruleset: Ruleset) -> tuple[Ruleset, ...]:
    """``ruleset`` first, then every ruleset of its pathway: a history row written before
    a switch of rules names the states and events of the rules it was written under."""
    return (ruleset, *rulesets_of(ruleset.pathway))


def history_state_label(ruleset: Ruleset, state: str) -> str:
    """The name of a state in a history row, which may be one only an older ruleset of the
    pathway has ("TAC review" under cst@1, after a switch to cst@2)."""
    owner = next((r for r in _pathway_rules(ruleset) if state in r.machine.states_map), None)
    return state_label(owner, state) if owner else state


def is_setback(ruleset: Ruleset, event: str) -> bool:
    """Whether a history row's ``event`` is a setback under any of the pathway's rules."""
    return any(r.is_setback(event) for r in _pathway_rules(ruleset))


def switch_ruleset(
    *,
    session: Session,
    actor: User,
    enrollment: Enrollment,
    ruleset: object,
    track: object = None,
) -> TransitionRecord:
    """Move a ``preparing`` enrollment to another ruleset (or track) of its pathway.

    Checks run in the API's order: visibility, body (ruleset and track), role, state,
    then "unchanged". Writes one ``switch_ruleset`` history row and changes nothing else.
    """
    if not can_view(session, actor, enrollment.candidate_id):
        raise NotFound("No such enrollment.")
    target = RULESETS.get(ruleset) if isinstance(ruleset, str) else None
    if target is None or target.pathway != enrollment.pathway:
        choices = [r.id for r in RULESETS.values() if r.pathway == enrollment.pathway]
        raise ValidationFailed({"ruleset": "must be one of: " + ", ".join(choices)})
    keep = enrollment.track if target.id == enrollment.ruleset else None
    new_track = _chosen_track(target, track, keep)
    if actor.role not in (Role.CANDIDATE, Role.ADMIN):
        raise Forbidden("Only the candidate or an admin can switch an enrollment's rules.")
    current = ruleset_for(enrollment.ruleset)
    if not may_switch_to(enrollment, target):
        raise InvalidState(
            "The rules can be switched only while preparing, before the application "
            f"(this enrollment is in {state_label(current, enrollment.state)})."
        )
    if target.id == enrollment.ruleset and new_track == enrollment.track:
        raise ValidationFailed(
            {"ruleset": "unchanged"}, "The enrollment already follows these rules."
        )
    if target.id == enrollment.ruleset:
        note = f"{target.id}: {enrollment.track} → {new_track}"
    else:
        note = (
            f"{_ruleset_and_track(enrollment.ruleset, enrollment.track)} → "
            f"{_ruleset_and_track(target.id, new_track)}"
        )
    source = enrollment.state
    enrollment.ruleset, enrollment.track = target.id, new_track
    enrollment.updated_at = utcnow()
    return _record_transition(session, enrollment, "switch_ruleset", source, actor, note)


def measure_requirements(
    session: Session, enrollment: Enrollment, keys: list[str], today: date | None = None
) -> list[Requirement]:
    """Measure the enrollment's requirements ``keys`` afresh, under its ruleset and track."""
    wanted = (enrollment.candidate_id, enrollment.ruleset, enrollment.track, keys)
    (measured,) = standings.measure_keys(session, [wanted], today or clock.today())
    return measured


def _status(
    enrollment: EnrollmentFacts,
    standing: standings.EnrollmentStanding,
    history: list[HistoryEntry],
    actor_names: dict[int, str],
    viewer: Viewer,
) -> EnrollmentStatus:
    ruleset = ruleset_for(enrollment.ruleset)
    state = enrollment.state
    requirements = standing.requirements
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
        enrollment, ruleset, requirements, events, history, actor_names, standing
    )


def statuses_with_history(
    session: Session,
    found: Sequence[standings.WithHistory],
    viewer: Viewer,
    today: date | None = None,
) -> dict[int, EnrollmentStatus]:
    """Describe enrollments read with their standings and histories (no query when the
    stored standings are current)."""
    measured = standings.standings_of(session, [each.paired for each in found], today)
    return {
        _id(each.paired[0].id): _status(
            each.paired[0], measured[_id(each.paired[0].id)], each.history, each.actor_names, viewer
        )
        for each in found
    }


def visible_enrollment_status(
    session: Session, viewer: Viewer, enrollment_id: int, today: date | None = None
) -> EnrollmentStatus:
    """Describe the enrollment if ``viewer`` may see it (else NotFound), in one query (two
    for a mentor, whose assignment is checked)."""
    found = standings.enrollment_with_history(session, enrollment_id)
    if found is None or not can_view(session, viewer, found.paired[0].candidate_id):
        raise NotFound("No such enrollment.")
    return statuses_with_history(session, [found], viewer, today)[enrollment_id]


def enrollment_status(
    *, session: Session, enrollment: Enrollment, viewer: Viewer, today: date | None = None
) -> EnrollmentStatus:
    """Describe the enrollment as it is in this session (perhaps just changed): the
    requirements of the next steps, events, history."""
    enrollment_id = _id(enrollment.id)
    row = standings.stored_standing(session, enrollment_id)
    history, names = transition_histories(session, [enrollment_id])
    found = standings.WithHistory((enrollment, row), history[enrollment_id], names)
    return statuses_with_history(session, [found], viewer, today)[enrollment_id]


def history_of(session: Session, enrollment: Enrollment) -> list[HistoryEntry]:
    """The enrollment's transitions, oldest first."""
    history, _names = transition_histories(session, [_id(enrollment.id)])
    return history[_id(enrollment.id)]


def fire_event(
    *,
    session: Session,
    enrollment: Enrollment,
    event: str,
    actor: User,
    note: str | None = None,
    today: date | None = None,
    seen: datetime | None = None,
) -> TransitionRecord:
    """Fire ``event`` on the enrollment, or refuse with a Refusal that says why.

    Checks run in the API's order: visibility, event name, role, state, note, guards.
    The state change and its history row are flushed together; a concurrent change
    to the same enrollment makes the flush fail with Conflict. With ``seen`` (the
    enrollment's ``updated_at`` as a page showed it), an enrollment changed since is a
    Conflict too: a second click on "not passed" records it once.
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
    if seen is not None and aware(enrollment.updated_at) != aware(seen):
        raise Conflict(
            "This enrollment changed after your page showed it, so nothing was recorded. "
            "Its history below says what changed."
        )
    note, too_long = note_text(note)
    if too_long:
        raise ValidationFailed({"note": too_long}, f"The note is too long: it {too_long}.")
    if event in ruleset.notes_required and note is None:
        raise ValidationFailed(
            {"note": REQUIRED}, f"A note is required to {event_phrase(ruleset, event)}."
        )
    requirements = measure_requirements(session, enrollment, ruleset.guards(source, event), today)
    if unmet := [requirement for requirement in requirements if not requirement.met]:
        raise GuardUnmet(unmet)

    machine = ruleset.bind(enrollment, {r.key: r.met for r in requirements})
    try:
        machine.send(event)
    except TransitionNotAllowed:  # e.g. a withdrawn enrollment with no state to resume to
        raise InvalidState(
            f"{event_label(ruleset, event)} is not possible for this enrollment now."
        ) from None
    ruleset.after_event(enrollment, event, source)
    enrollment.updated_at = utcnow()
    return _record_transition(session, enrollment, event, source, actor, note)


def _record_transition(
    session: Session,
    enrollment: Enrollment,
    event: str,
    source: str,
    actor: User,
    note: str | None,
) -> TransitionRecord:
    """Flush the enrollment's change with its history row and audit entry, or Conflict."""
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
    if actor.role != Role.CANDIDATE:  # an outcome a mentor or admin recorded
        ruleset = ruleset_for(enrollment.ruleset)
        notifications.outcome_recorded(
            session,
            actor=actor,
            candidate_id=enrollment.candidate_id,
            enrollment_id=_id(enrollment.id),
            pathway=ruleset.title,
            outcome=history_label(ruleset, event, note),
            sentence=outcome_sentence(ruleset, event, enrollment, note),
            note=note,
        )
    session.flush()
    return record
