"""The kinds of notification: stable keys, the settings page's labels, who receives each.

In-app notifications, e-mail preferences and reminders all name a kind by its key; the
keys are stored, so they never change.
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

    ``digest``: the recipient may choose a daily digest instead of one e-mail each time.
    """

    key: str
    label: str
    roles: frozenset[Role]
    digest: bool = False


KINDS: dict[str, NotificationKind] = {
    kind.key: kind
    for kind in (
        NotificationKind("evidence.verified", "An item of my evidence was verified", CANDIDATE),
        NotificationKind("evidence.rejected", "An item of my evidence was rejected", CANDIDATE),
        NotificationKind("feedback.received", "A mentor left me feedback", CANDIDATE),
        NotificationKind(
            "enrollment.outcome",
            "An outcome was recorded on my pathway (reviews, interviews, phases)",
            CANDIDATE,
        ),
        NotificationKind(
            "evidence.waiting", "Evidence of my candidates waits for review", MENTOR, digest=True
        ),
        NotificationKind(
            "mentorship.assigned",
            "A mentor assignment of mine began",
            frozenset({Role.MENTOR, Role.CANDIDATE}),
        ),
        NotificationKind("candidate.unassigned", "A new candidate has no mentor", ADMIN),
        NotificationKind(
            "reminder.review_digest", "Daily digest of evidence waiting over 3 days", MENTOR
        ),
        NotificationKind(
            "reminder.credential_expiry", "A credential I rely on expires soon", CANDIDATE
        ),
        NotificationKind(
            "reminder.pspo_attempt", "My PSPO I passport waits for a first attempt", CANDIDATE
        ),
        NotificationKind("reminder.pspo_retake", "My free PSPO I retake is available", CANDIDATE),
        NotificationKind(
            "reminder.window_ageing", "Qualifying events leave a window soon", CANDIDATE
        ),
        NotificationKind(
            "reminder.inactive", "No evidence logged for 60 days while preparing", CANDIDATE
        ),
    )
}


def kinds_for(role: str) -> list[NotificationKind]:
    """The kinds a user of ``role`` can receive, in the order above."""
    return [kind for kind in KINDS.values() if role in kind.roles]
