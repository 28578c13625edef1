"""Scrum.org Professional Scrum Trainer (PST), Product Owner track, ruleset version 1."""

from statemachine import Event, State, StateMachine

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
    staff_interview_fail = Event(staff_interview.to.itself(), name="Record staff interview failed")
    peer_review_pass = Event(peer_review.to(licensed), name="Record peer review passed")
    peer_review_fail = Event(peer_review.to.itself(), name="Record peer review failed")
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
