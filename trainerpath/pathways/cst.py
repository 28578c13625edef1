"""Scrum Alliance Certified Scrum Trainer (CST), ruleset version 1 — pathways.md §4."""

from statemachine import Event, State, StateMachine

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal


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
    interview_fail = Event(interview.to(preparing), name="Record interview failed")
    withdraw, resume = withdrawal(withdrawn, preparing, tac_review, interview)


CST_1 = Ruleset(
    pathway="cst",
    version=1,
    title="Certified Scrum Trainer",
    awarding_body="Scrum Alliance",
    machine=CstMachine,
    who={
        "submit_application": CANDIDATE,
        "tac_approve": MENTOR_OR_ADMIN,
        "tac_decline": MENTOR_OR_ADMIN,
        "interview_pass": MENTOR_OR_ADMIN,
        "interview_fail": MENTOR_OR_ADMIN,
        "withdraw": CANDIDATE_OR_ADMIN,
        "resume": CANDIDATE_OR_ADMIN,
    },
    notes_required=frozenset({"tac_decline", "interview_fail"}),
)
