"""Scrum.org Professional Scrum Trainer (PST), Product Owner track, ruleset version 1.

The rules as the seed documents state them (pathways.md §4): four years as Product
Owner, training provided and PSPO I at 95% to apply; then Train the Trainer, PSPO II
and III at 85%, a staff interview and a peer review.
"""

from statemachine import Event, State, StateMachine

from trainerpath.models import Milestone, TeachingSession

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal
from .vocabulary import Count, Duration, Exists, Hint, Passed, milestone


class PstMachine(StateMachine):
    """The PST route: application, Train the Trainer, PSPO II and III, interview, review."""

    preparing = State("Preparing", initial=True)
    application_review = State("Application review")
    ttt = State("Train the Trainer")
    pspo2 = State("PSPO II")
    pspo3 = State("PSPO III")
    staff_interview = State("Staff interview")
    peer_review = State("Peer review")
    licensed = State("Licensed", final=True)
    withdrawn = State("Withdrawn")

    submit_application = Event(
        preparing.to(application_review, cond=["po_experience", "training_provided", "pspo1_95"]),
        name="Submit application",
    )
    accept_application = Event(application_review.to(ttt), name="Record application accepted")
    reject_application = Event(application_review.to(preparing), name="Record application rejected")
    complete_ttt = Event(ttt.to(pspo2, cond="ttt_attended"), name="Mark Train the Trainer complete")
    pass_pspo2 = Event(pspo2.to(pspo3, cond="pspo2_85"), name="Mark PSPO II passed")
    pass_pspo3 = Event(pspo3.to(staff_interview, cond="pspo3_85"), name="Mark PSPO III passed")
    staff_interview_pass = Event(
        staff_interview.to(peer_review), name="Record staff interview passed"
    )
    staff_interview_fail = Event(
        staff_interview.to.itself(), name="Record staff interview not passed"
    )
    peer_review_pass = Event(peer_review.to(licensed), name="Record peer review passed")
    peer_review_fail = Event(peer_review.to.itself(), name="Record peer review not passed")
    withdraw, resume = withdrawal(
        withdrawn,
        preparing,
        application_review,
        ttt,
        pspo2,
        pspo3,
        staff_interview,
        peer_review,
    )


training_provided = Count(
    TeachingSession,
    at_least=1,
    label="Training provided",
    noun=("teaching session", "teaching sessions"),
    done="{current} {noun} on record",
    hint=Hint("teaching-sessions", "Log a course you taught"),
    describe="At least one teaching session of any kind.",
)

PST_1 = Ruleset(
    pathway="pst",
    version=1,
    title="Professional Scrum Trainer (Product Owner track)",
    edition="first published rules",
    awarding_body="Scrum.org",
    machine=PstMachine,
    requirements={
        "po_experience": Duration(
            roles=("product_owner",),
            at_least_years=4,
            label="Years as Product Owner",
            of_what="as Product Owner",
            hint=Hint("experience", "Log your Product Owner experience"),
            describe="At least four years as Product Owner, counted on the union of periods.",
        ),
        "training_provided": training_provided,
        "pspo1_95": Passed(
            {"pspo_1": "PSPO I"},
            at_least=95,
            hint=Hint("assessments", "Log your PSPO I attempt"),
        ),
        "ttt_attended": Exists(
            Milestone,
            where=milestone("ttt_attended"),
            label="Train the Trainer attended",
            needed="Attendance at the 3-day Train the Trainer course is needed",
            done="Train the Trainer attended",
            hint=Hint("milestones", "Log your Train the Trainer attendance"),
            describe="A verified Train-the-Trainer-attended milestone.",
        ),
        "pspo2_85": Passed(
            {"pspo_2": "PSPO II"},
            at_least=85,
            hint=Hint("assessments", "Log your PSPO II attempt"),
        ),
        "pspo3_85": Passed(
            {"pspo_3": "PSPO III"},
            at_least=85,
            hint=Hint("assessments", "Log your PSPO III attempt"),
        ),
    },
    who={
        "submit_application": CANDIDATE,
        "accept_application": MENTOR_OR_ADMIN,
        "reject_application": MENTOR_OR_ADMIN,
        "complete_ttt": CANDIDATE,
        "pass_pspo2": CANDIDATE,
        "pass_pspo3": CANDIDATE,
        "staff_interview_pass": MENTOR_OR_ADMIN,
        "staff_interview_fail": MENTOR_OR_ADMIN,
        "peer_review_pass": MENTOR_OR_ADMIN,
        "peer_review_fail": MENTOR_OR_ADMIN,
        "withdraw": CANDIDATE_OR_ADMIN,
        "resume": CANDIDATE_OR_ADMIN,
    },
    history={
        "submit_application": "Application submitted",
        "accept_application": "Application accepted",
        "reject_application": "Application rejected",
        "complete_ttt": "Train the Trainer completed",
        "pass_pspo2": "PSPO II passed",
        "pass_pspo3": "PSPO III passed",
        "staff_interview_pass": "Staff interview passed",
        "staff_interview_fail": "Staff interview not passed",
        "peer_review_pass": "Peer review passed",
        "peer_review_fail": "Peer review not passed",
    },
    notes_required=frozenset({"reject_application", "staff_interview_fail", "peer_review_fail"}),
)
