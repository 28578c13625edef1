"""Scrum Alliance Certified Scrum Trainer (CST), ruleset version 1 — pathways.md §4."""

from statemachine import State, StateMachine

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal


class CstMachine(StateMachine):
    """The CST route: prepare, TAC review, interview, certified."""

    preparing = State("Preparing", initial=True)
    tac_review = State("TAC review")
    interview = State("Interview")
    certified = State("Certified", final=True)
    withdrawn = State("Withdrawn")

    submit_application = preparing.to(
        tac_review,
        cond=[
            "csp_active",
            "students_taught",
            "multi_day_sm_sessions",
            "course_materials_reviewed",
            "scrum_experience",
        ],
    )
    tac_approve = tac_review.to(interview)
    tac_decline = tac_review.to(preparing)
    interview_pass = interview.to(certified)
    interview_fail = interview.to(preparing)
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
