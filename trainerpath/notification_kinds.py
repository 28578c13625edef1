"""The kinds of notification: stable keys, the settings page's labels, who receives each.

In-app notifications, e-mail preferences and reminders all name a kind by its key; the
keys are stored and shown in the API, so they never change.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainerpath.models import Role

CANDIDATE = frozenset({Role.CANDIDATE})
MENTOR = frozenset({Role.MENTOR})
ADMIN = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class NotificationKind:
    """One kind of notification: its key, how the settings page names it, its recipients.

    ``api_kind``: the kind the API contract names (one contract kind may cover several
    of ours, e.g. ``evidence_reviewed`` for verified and rejected, which users may want
    by e-mail separately).
    ``batched``: one unread notification per recipient and candidate, its count raised.
    ``digest``: the recipient may choose a daily digest instead of one e-mail each time.
    """

    key: str
    label: str
    roles: frozenset[Role]
    api_kind: str
    batched: bool = False
    digest: bool = False


EVIDENCE_VERIFIED = "evidence.verified"
EVIDENCE_REJECTED = "evidence.rejected"
FEEDBACK_RECEIVED = "feedback.received"
ENROLLMENT_OUTCOME = "enrollment.outcome"
EVIDENCE_WAITING = "evidence.waiting"
MENTORSHIP_ASSIGNED = "mentorship.assigned"
CANDIDATE_UNASSIGNED = "candidate.unassigned"

KINDS: dict[str, NotificationKind] = {
    kind.key: kind
    for kind in (
        NotificationKind(
            EVIDENCE_VERIFIED,
            "An item of my evidence was verified",
            CANDIDATE,
            "evidence_reviewed",
        ),
        NotificationKind(
            EVIDENCE_REJECTED,
            "An item of my evidence was rejected, with the note",
            CANDIDATE,
            "evidence_reviewed",
        ),
        NotificationKind(
            FEEDBACK_RECEIVED,
            "A mentor or admin left me feedback",
            CANDIDATE,
            "feedback_received",
        ),
        NotificationKind(
            ENROLLMENT_OUTCOME,
            "An outcome was recorded on my pathway (reviews, interviews, phases)",
            CANDIDATE,
            "outcome_recorded",
        ),
        NotificationKind(
            EVIDENCE_WAITING,
            "New or corrected evidence of my candidates waits for review",
            MENTOR,
            "evidence_waiting",
            batched=True,
            digest=True,
        ),
        NotificationKind(
            MENTORSHIP_ASSIGNED,
            "A mentor assignment of mine began",
            frozenset({Role.MENTOR, Role.CANDIDATE}),
            "mentor_assigned",
        ),
        NotificationKind(
            CANDIDATE_UNASSIGNED, "A new candidate has no mentor", ADMIN, "candidate_without_mentor"
        ),
        # Issue 10 §3: written by the scheduled reminders.
        NotificationKind(
            "reminder.review_digest",
            "Daily digest of evidence waiting over 3 days",
            MENTOR,
            "reminder",
        ),
        NotificationKind(
            "reminder.credential_expiry",
            "A credential I rely on expires soon",
            CANDIDATE,
            "reminder",
        ),
        NotificationKind(
            "reminder.pspo_attempt",
            "My PSPO I passport waits for a first attempt",
            CANDIDATE,
            "reminder",
        ),
        NotificationKind(
            "reminder.pspo_retake", "My free PSPO I retake is available", CANDIDATE, "reminder"
        ),
        NotificationKind(
            "reminder.window_ageing", "Evidence leaves a window soon", CANDIDATE, "reminder"
        ),
        NotificationKind(
            "reminder.inactive",
            "No evidence logged for 60 days while preparing",
            CANDIDATE,
            "reminder",
        ),
    )
}


def kinds_for(role: str) -> list[NotificationKind]:
    """The kinds a user of ``role`` can receive, in the order above."""
    return [kind for kind in KINDS.values() if role in kind.roles]
