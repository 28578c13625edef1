"""Scrum Alliance Certified Scrum Trainer (CST), ruleset version 2 — pathways.md §6.

The April 2024 prerequisites: an active CSP of the track, 10 qualifying training events
in the last 60 months (5 of them with current materials), 60 months of Scrum experience
in the last 84 and mapped learning objectives; then a formal review and a Training
Skills Assessment.
"""

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col
from statemachine import Event, State, StateMachine

from trainerpath.models import Credential, Milestone, ReviewStatus, TeachingSession

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal
from .calendar import window_start
from .measure import Filter, Population
from .vocabulary import Count, Duration, Exists, Hint, active_credential, milestone

TRACKS = (
    ("scrum_master", "ScrumMaster (CSM courses)"),
    ("product_owner", "Product Owner (CSPO courses)"),
)
SCRUM_ROLES = ("scrum_master", "product_owner", "team_member", "agile_coach")


def track_course(people: Population) -> Any:
    """A teaching session of the enrollment's track's course."""
    return col(TeachingSession.course_type) == (people.track or TRACKS[0][0])


# A qualifying training event (§6): the track's course, two days or more, at least half
# of it delivered by the candidate, and a reflection written afterwards; counted in the
# last 60 months.
MIN_DAYS = 2
MIN_SHARE = 50  # percent delivered by the candidate
WINDOW_MONTHS = 60
COURSE_NAMES = {"scrum_master": "ScrumMaster", "product_owner": "Product Owner"}
QUALIFYING_BUT_REFLECTION: list[Filter] = [
    track_course,
    col(TeachingSession.days) >= MIN_DAYS,
    col(TeachingSession.share_delivered) >= MIN_SHARE,
]
HAS_REFLECTION = func.trim(col(TeachingSession.reflection)) != ""
QUALIFYING: list[Filter] = [*QUALIFYING_BUT_REFLECTION, HAS_REFLECTION]


WAITING_FOR_REVIEW = "waiting for review"  # the reason a session lacks only its review


def why_not_qualifying(session_row: TeachingSession, track: str | None, today: date) -> list[str]:
    """Say why a loaded teaching session is not a qualifying event (none: it is one).

    The same rules as ``QUALIFYING`` and the window, read from the stored fields.
    """
    course = track or TRACKS[0][0]
    reasons = []
    if session_row.course_type != course:
        reasons.append(f"not a {COURSE_NAMES[course]} course")
    if session_row.days < MIN_DAYS:
        reasons.append("one day only" if session_row.days == 1 else f"{session_row.days} days only")
    if session_row.share_delivered < MIN_SHARE:
        half = "half" if MIN_SHARE == 50 else f"{MIN_SHARE}%"
        reasons.append(f"less than {half} delivered")
    if not (session_row.reflection or "").strip(" "):  # as SQL's TRIM: spaces only
        reasons.append("no reflection yet")
    if not window_start(today, WINDOW_MONTHS) <= session_row.first_day <= today:
        reasons.append(f"outside the {WINDOW_MONTHS}-month window")
    if session_row.review_status == ReviewStatus.PENDING.value:
        reasons.append(WAITING_FOR_REVIEW)
    elif session_row.review_status == ReviewStatus.REJECTED.value:
        reasons.append("rejected")
    return reasons


QUALIFYING_HINT = Hint("teaching-sessions", "Log qualifying courses, each with a reflection")


class Cst2024Machine(StateMachine):
    """The CST route of 2024: prepare, formal review, Training Skills Assessment, certified."""

    preparing = State("Preparing", initial=True)
    formal_review = State("Formal review")
    tsa = State("Training Skills Assessment")
    certified = State("Certified", final=True)
    withdrawn = State("Withdrawn")

    submit_application = Event(
        preparing.to(
            formal_review,
            cond=[
                "csp_active",
                "qualifying_events",
                "current_materials_events",
                "recent_experience",
                "learning_objectives_mapped",
            ],
        ),
        name="Submit application",
    )
    formal_review_pass = Event(formal_review.to(tsa), name="Record formal review passed")
    formal_review_decline = Event(formal_review.to(preparing), name="Record formal review declined")
    tsa_pass = Event(tsa.to(certified), name="Record Training Skills Assessment passed")
    tsa_fail = Event(tsa.to(preparing), name="Record Training Skills Assessment not passed")
    withdraw, resume = withdrawal(withdrawn, preparing, formal_review, tsa)


CST_2 = Ruleset(
    pathway="cst",
    version=2,
    title="Certified Scrum Trainer",
    edition="April 2024",
    awarding_body="Scrum Alliance",
    machine=Cst2024Machine,
    tracks=TRACKS,
    requirements={
        "csp_active": Exists(
            Credential,
            where=active_credential({"scrum_master": ("csp_sm",), "product_owner": ("csp_po",)}),
            label="Active CSP of the track",
            needed="An active CSP-SM (ScrumMaster track) or CSP-PO (Product Owner track) "
            "credential is needed",
            needed_on_track={
                "scrum_master": "An active CSP-SM credential is needed on the ScrumMaster track",
                "product_owner": "An active CSP-PO credential is needed on the Product Owner track",
            },
            done="An active CSP credential of the track is on record",
            hint=Hint("credentials", "Log the active CSP of your track"),
            describe="An active CSP-SM (ScrumMaster track) or CSP-PO (Product Owner track).",
        ),
        "qualifying_events": Count(
            TeachingSession,
            where=QUALIFYING,
            within_months=WINDOW_MONTHS,
            at_least=10,
            label="Qualifying training events",
            noun=("qualifying training event", "qualifying training events"),
            done="{current} {noun} in the last 60 months",
            hint=QUALIFYING_HINT,
            describe="At least 10 courses of the track, each of two days or more, at least half "
            "delivered by you, with a reflection, in the last 60 months.",
        ),
        "current_materials_events": Count(
            TeachingSession,
            where=[*QUALIFYING, col(TeachingSession.with_current_materials).is_(True)],
            within_months=WINDOW_MONTHS,
            at_least=5,
            label="Qualifying events with current materials",
            noun=(
                "qualifying event with current materials",
                "qualifying events with current materials",
            ),
            done="{current} {noun} in the last 60 months",
            hint=QUALIFYING_HINT,
            describe="At least 5 of those qualifying events delivered with the current version "
            "of your own course materials.",
        ),
        "recent_experience": Duration(
            roles=SCRUM_ROLES,
            at_least_months=60,
            within_months=84,
            label="Scrum experience in the last 84 months",
            of_what="of Scrum experience",
            hint=Hint("experience", "Log your Scrum experience"),
            describe="At least 60 months as ScrumMaster, Product Owner, team member or agile "
            "coach within the last 84 months, counted on the union of periods.",
        ),
        "learning_objectives_mapped": Exists(
            Milestone,
            where=milestone("learning_objectives_mapped"),
            label="Learning objectives mapped",
            needed="Course materials mapped to the learning objectives are needed",
            done="Learning objectives have been mapped",
            hint=Hint("milestones", "Log the learning-objectives mapping"),
            describe="A verified learning-objectives-mapped milestone.",
        ),
    },
    who={
        "submit_application": CANDIDATE,
        "formal_review_pass": MENTOR_OR_ADMIN,
        "formal_review_decline": MENTOR_OR_ADMIN,
        "tsa_pass": MENTOR_OR_ADMIN,
        "tsa_fail": MENTOR_OR_ADMIN,
        "withdraw": CANDIDATE_OR_ADMIN,
        "resume": CANDIDATE_OR_ADMIN,
    },
    history={
        "submit_application": "Application submitted",
        "formal_review_pass": "Formal review passed",
        "formal_review_decline": "Declined at the formal review",
        "tsa_pass": "Training Skills Assessment passed",
        "tsa_fail": "Training Skills Assessment not passed",
    },
    notes_required=frozenset({"formal_review_decline", "tsa_fail"}),
)
