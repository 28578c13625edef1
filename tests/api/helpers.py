"""Request bodies and evidence arrangements shared by the API tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import days_ago

from trainerpath.models import EvidenceBase, User

KINDS = ("teaching-sessions", "assessments", "credentials", "experience", "milestones")


def iso_days_ago(days: int) -> str:
    """The ISO date ``days`` before today."""
    return days_ago(days).isoformat()


def valid_body(kind: str) -> dict[str, Any]:
    """A body each kind accepts as a new item."""
    bodies: dict[str, dict[str, Any]] = {
        "teaching-sessions": {
            "title": "Certified ScrumMaster, Leeds",
            "course_type": "scrum_master",
            "first_day": iso_days_ago(40),
            "days": 2,
            "students": 12,
            "context": "co_trained",
            "co_trainer": "Alex Example, CST",
            "location": "Leeds",
            "notes": "Sold out.",
        },
        "assessments": {
            "assessment": "pspo_1",
            "score": 96.5,
            "taken_on": iso_days_ago(20),
            "passport_received_on": iso_days_ago(25),
        },
        "credentials": {
            "kind": "csp_sm",
            "issued_on": iso_days_ago(100),
            "expires_on": iso_days_ago(-600),
        },
        "experience": {
            "role": "product_owner",
            "organisation": "Acme Ltd",
            "started_on": iso_days_ago(900),
            "ended_on": None,
        },
        "milestones": {
            "kind": "course_materials_reviewed",
            "achieved_on": iso_days_ago(10),
            "note": "Panel of three.",
        },
    }
    return bodies[kind]


# Verified evidence that meets each guard of pathways.md §4 (and nothing is spared).
GUARD_EVIDENCE: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "csp_active": [("credentials", {"kind": "csp_sm", "issued_on": days_ago(100)})],
    "students_taught": [("teaching-sessions", {"students": 10})] * 10,
    "multi_day_sm_sessions": [("teaching-sessions", {"course_type": "scrum_master", "days": 2})]
    * 10,
    "course_materials_reviewed": [
        ("milestones", {"kind": "course_materials_reviewed", "achieved_on": days_ago(5)})
    ],
    "scrum_experience": [("experience", {"role": "scrum_master", "started_on": days_ago(800)})],
    "po_experience": [("experience", {"role": "product_owner", "started_on": days_ago(5 * 366)})],
    "training_provided": [("teaching-sessions", {})],
    "pspo1_95": [("assessments", {"assessment": "pspo_1", "score": 96.0})],
    "ttt_attended": [("milestones", {"kind": "ttt_attended", "achieved_on": days_ago(5)})],
    "pspo2_85": [("assessments", {"assessment": "pspo_2", "score": 90.0})],
    "pspo3_85": [("assessments", {"assessment": "pspo_3", "score": 88.0})],
}


def meet_guards(
    make_evidence: Callable[..., EvidenceBase], candidate: User, guards: tuple[str, ...]
) -> None:
    """Store verified evidence that meets every named guard."""
    for guard in guards:
        for kind, fields in GUARD_EVIDENCE[guard]:
            make_evidence(candidate, kind, **fields)
