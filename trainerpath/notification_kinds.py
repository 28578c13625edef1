"""The kinds of notification: stable keys, their labels, and who receives each.

In-app notifications, e-mail preferences and reminders all name a kind by its key;
the keys are stored and shown in the API, so they never change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    """One kind of notification."""

    key: str
    label: str  # for the settings page: what the recipient is told about
    recipients: str  # who receives it, in words
    batched: bool = False  # one unread notification per recipient and candidate, counted


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
        NotificationKind(EVIDENCE_VERIFIED, "An evidence item of mine was verified", "candidate"),
        NotificationKind(
            EVIDENCE_REJECTED, "An evidence item of mine was rejected, with the note", "candidate"
        ),
        NotificationKind(FEEDBACK_RECEIVED, "A mentor or admin left me feedback", "candidate"),
        NotificationKind(
            ENROLLMENT_OUTCOME,
            "A mentor or admin recorded an outcome on my enrollment",
            "candidate",
        ),
        NotificationKind(
            EVIDENCE_WAITING,
            "New or corrected evidence of a candidate of mine waits for review",
            "each assigned mentor",
            batched=True,
        ),
        NotificationKind(
            MENTORSHIP_ASSIGNED, "A mentor was assigned (to me, or me to a candidate)", "both"
        ),
        NotificationKind(CANDIDATE_UNASSIGNED, "A candidate has no mentor", "every admin"),
        # Issue 10 §3: written by the scheduled reminders.
        NotificationKind(
            "reminder.review_digest", "Daily digest of evidence waiting over 3 days", "mentor"
        ),
        NotificationKind(
            "reminder.credential_expiry", "A credential I rely on expires soon", "candidate"
        ),
        NotificationKind(
            "reminder.pspo_attempt", "My PSPO I free second attempt window closes", "candidate"
        ),
        NotificationKind("reminder.pspo_retake", "My free PSPO I retake is available", "candidate"),
        NotificationKind(
            "reminder.window_ageing", "Qualifying events leave my window soon", "candidate"
        ),
        NotificationKind(
            "reminder.inactive", "No evidence logged for 60 days while preparing", "candidate"
        ),
    )
}

BATCHED = tuple(key for key, kind in KINDS.items() if kind.batched)
