"""Scrum Alliance Certified Scrum Trainer (CST), ruleset version 1 — pathways.md §4.

The rules as the seed documents state them: an active CSP, 100 students, 10 multi-day
ScrumMaster sessions, reviewed course materials and hands-on Scrum experience; then
the Trainer Approval Community's review and a face-to-face interview.
"""

from sqlmodel import col
from statemachine import Event, State, StateMachine

from trainerpath.models import Credential, ExperiencePeriod, Milestone, TeachingSession

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal
from .vocabulary import Count, Exists, Hint, Total, active_credential, experience_in, milestone

SCRUM_ROLES = ("scrum_master", "product_owner", "team_member")


class CstMachine(StateMachine):
    """The CST route: prepare, TAC review, interview, certified."""

    preparing = State("Preparing", initial=True)
    tac_review = State("TAC review")
    interview = State("Interview")
    certified = State("Certified", final=True)
    withdrawn = State("Withdrawn")

    submit_application = Event(
        preparing.to(
            tac_review,
            cond=[
                "csp_active",
                "students_taught",
                "multi_day_sm_sessions",
                "course_materials_reviewed",
                "scrum_experience",
            ],
        ),
        name="Submit application",
    )
    tac_approve = Event(tac_review.to(interview), name="Record TAC approval")
    tac_decline = Event(tac_review.to(preparing), name="Record TAC decline")
    interview_pass = Event(interview.to(certified), name="Record interview passed")
    interview_fail = Event(interview.to(preparing), name="Record interview not passed")
    withdraw, resume = withdrawal(withdrawn, preparing, tac_review, interview)


csp_active = Exists(
    Credential,
    where=active_credential(("csp_sm", "csp_po")),
    label="Active CSP-SM or CSP-PO",
    needed="An active CSP-SM or CSP-PO credential is needed",
    done="An active CSP credential is on record",
    hint=Hint("credentials", "Log an active CSP-SM or CSP-PO credential"),
    describe="An active CSP-SM or CSP-PO: issued on or before today and not yet expired.",
)

CST_1 = Ruleset(
    pathway="cst",
    version=1,
    title="Certified Scrum Trainer",
    edition="first published rules",
    awarding_body="Scrum Alliance",
    machine=CstMachine,
    requirements={
        "csp_active": csp_active,
        "students_taught": Total(
            TeachingSession.students,
            at_least=100,
            label="Students taught",
            noun=("student", "students"),
            done="{current} {noun} taught",
            hint=Hint("teaching-sessions", "Log the courses you taught"),
            describe="At least 100 students across all teaching sessions.",
        ),
        "multi_day_sm_sessions": Count(
            TeachingSession,
            where=[
                col(TeachingSession.course_type) == "scrum_master",
                col(TeachingSession.days) >= 2,
            ],
            at_least=10,
            label="Multi-day ScrumMaster sessions",
            noun=("multi-day ScrumMaster session", "multi-day ScrumMaster sessions"),
            done="{current} {noun} hosted",
            hint=Hint("teaching-sessions", "Log multi-day ScrumMaster courses"),
            describe="At least 10 ScrumMaster sessions of two days or more.",
        ),
        "course_materials_reviewed": Exists(
            Milestone,
            where=milestone("course_materials_reviewed"),
            label="Course materials reviewed",
            needed="Course materials reviewed by a review panel are needed",
            done="Course materials have been reviewed",
            hint=Hint("milestones", "Log the course-materials review"),
            describe="A verified course-materials-reviewed milestone.",
        ),
        "scrum_experience": Exists(
            ExperiencePeriod,
            where=experience_in(SCRUM_ROLES),
            label="Hands-on Scrum experience",
            needed="Experience as ScrumMaster, Product Owner or team member is needed",
            done="Hands-on Scrum experience is on record",
            hint=Hint("experience", "Log your Scrum experience"),
            describe="At least one experience period as ScrumMaster, Product Owner or team member.",
        ),
    },
    who={
        "submit_application": CANDIDATE,
        "tac_approve": MENTOR_OR_ADMIN,
        "tac_decline": MENTOR_OR_ADMIN,
        "interview_pass": MENTOR_OR_ADMIN,
        "interview_fail": MENTOR_OR_ADMIN,
        "withdraw": CANDIDATE_OR_ADMIN,
        "resume": CANDIDATE_OR_ADMIN,
    },
    history={
        "submit_application": "Application submitted",
        "tac_approve": "Approved by the TAC",
        "tac_decline": "Declined by the TAC",
        "interview_pass": "Interview passed",
        "interview_fail": "Interview not passed",
    },
    notes_required=frozenset({"tac_decline", "interview_fail"}),
)
