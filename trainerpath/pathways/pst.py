"""Scrum.org Professional Scrum Trainer (PST), Product Owner track, ruleset version 1."""

from statemachine import State, StateMachine

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal


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

    submit_application = preparing.to(
        application_review, cond=["po_experience", "training_provided", "pspo1_95"]
    )
    accept_application = application_review.to(ttt)
    reject_application = application_review.to(preparing)
    complete_ttt = ttt.to(pspo2, cond="ttt_attended")
    pass_pspo2 = pspo2.to(pspo3, cond="pspo2_85")
    pass_pspo3 = pspo3.to(staff_interview, cond="pspo3_85")
    staff_interview_pass = staff_interview.to(peer_review)
    staff_interview_fail = staff_interview.to.itself()
    peer_review_pass = peer_review.to(licensed)
    peer_review_fail = peer_review.to.itself()
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


PST_1 = Ruleset(
    pathway="pst",
    version=1,
    title="Professional Scrum Trainer (Product Owner track)",
    awarding_body="Scrum.org",
    machine=PstMachine,
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
    notes_required=frozenset({"reject_application", "staff_interview_fail", "peer_review_fail"}),
)
