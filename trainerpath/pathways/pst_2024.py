"""Scrum.org Professional Scrum Trainer (PST), ruleset version 2 — pathways.md §6.

The PST Candidate Journey (licence: Applying Professional Scrum). Phase 1, Core
Qualifications, is preparing and the application review; phase 2 is Knowledge &
Practical Experience; phase 3 is Training Skills.
"""

from statemachine import Event, State, StateMachine

from .base import CANDIDATE, CANDIDATE_OR_ADMIN, MENTOR_OR_ADMIN, Ruleset, withdrawal
from .cst_2024 import SCRUM_ROLES
from .pst import training_provided
from .vocabulary import Duration, Hint, Passed


class Pst2024Machine(StateMachine):
    """The PST Candidate Journey: core qualifications, then phases 2 and 3, licensed."""

    preparing = State("Preparing (phase 1)", initial=True)
    application_review = State("Application review (phase 1)")
    knowledge_and_experience = State("Phase 2: Knowledge & Practical Experience")
    training_skills = State("Phase 3: Training Skills")
    licensed = State("Licensed", final=True)
    withdrawn = State("Withdrawn")

    submit_application = Event(
        preparing.to(
            application_review,
            cond=[
                "scrum_experience",
                "training_provided",
                "assessment_95",
                "advanced_assessment_85",
            ],
        ),
        name="Submit application",
    )
    accept_application = Event(
        application_review.to(knowledge_and_experience), name="Record application accepted"
    )
    reject_application = Event(application_review.to(preparing), name="Record application rejected")
    phase_2_pass = Event(knowledge_and_experience.to(training_skills), name="Record phase 2 passed")
    phase_2_fail = Event(knowledge_and_experience.to.itself(), name="Record phase 2 not passed")
    phase_3_pass = Event(training_skills.to(licensed), name="Record phase 3 passed")
    phase_3_fail = Event(training_skills.to.itself(), name="Record phase 3 not passed")
    withdraw, resume = withdrawal(
        withdrawn, preparing, application_review, knowledge_and_experience, training_skills
    )


PST_2 = Ruleset(
    pathway="pst",
    version=2,
    title="Professional Scrum Trainer",
    edition="PST Candidate Journey",
    awarding_body="Scrum.org",
    machine=Pst2024Machine,
    requirements={
        "scrum_experience": Duration(
            roles=SCRUM_ROLES,
            at_least_years=4,
            label="Years of Scrum experience",
            of_what="of Scrum experience",
            hint=Hint("experience", "Log your Scrum experience"),
            describe="At least four years as ScrumMaster, Product Owner, team member or agile "
            "coach, counted on the union of periods.",
        ),
        "training_provided": training_provided,
        "assessment_95": Passed(
            {"psm_1": "PSM I", "pspo_1": "PSPO I"},
            at_least=95,
            hint=Hint("assessments", "Log your PSM I or PSPO I attempt"),
        ),
        "advanced_assessment_85": Passed(
            {"psm_2": "PSM II", "pspo_2": "PSPO II"},
            at_least=85,
            hint=Hint("assessments", "Log your PSM II or PSPO II attempt"),
        ),
    },
    who={
        "submit_application": CANDIDATE,
        "accept_application": MENTOR_OR_ADMIN,
        "reject_application": MENTOR_OR_ADMIN,
        "phase_2_pass": MENTOR_OR_ADMIN,
        "phase_2_fail": MENTOR_OR_ADMIN,
        "phase_3_pass": MENTOR_OR_ADMIN,
        "phase_3_fail": MENTOR_OR_ADMIN,
        "withdraw": CANDIDATE_OR_ADMIN,
        "resume": CANDIDATE_OR_ADMIN,
    },
    history={
        "submit_application": "Application submitted",
        "accept_application": "Application accepted",
        "reject_application": "Application rejected",
        "phase_2_pass": "Phase 2 passed",
        "phase_2_fail": "Phase 2 not passed",
        "phase_3_pass": "Phase 3 passed",
        "phase_3_fail": "Phase 3 not passed",
    },
    notes_required=frozenset({"reject_application", "phase_2_fail", "phase_3_fail"}),
)
