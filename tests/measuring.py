"""Measure one requirement of one ruleset for one candidate, as the tests need it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from trainerpath.pathways import RULESETS, Population, Requirement, Ruleset


@dataclass(frozen=True)
class Facts:
    """Whose evidence is measured, as of which day, on which track."""

    session: Session
    candidate_id: int
    today: date
    track: str | None = None


class Check:
    """One requirement of one ruleset: ``check(facts)`` for one candidate, ``.many`` for many."""

    def __init__(self, ruleset: Ruleset, key: str) -> None:
        self.ruleset, self.key = ruleset, key

    def many(self, people: Population) -> dict[int, Requirement]:
        """The requirement of each candidate of ``people``."""
        return self.ruleset.measure(self.key, people)

    def __call__(self, facts: Facts) -> Requirement:
        """The requirement of the one candidate ``facts`` names."""
        people = Population(facts.session, (facts.candidate_id,), facts.today, facts.track)
        return self.many(people)[facts.candidate_id]


def checks_of(*ruleset_ids: str) -> dict[str, Check]:
    """Every requirement of these rulesets by key (keys must not repeat among them)."""
    found: dict[str, Check] = {}
    for ruleset_id in ruleset_ids:
        ruleset = RULESETS[ruleset_id]
        for key in ruleset.requirements:
            assert key not in found, f"{key} is in more than one of {ruleset_ids}"
            found[key] = Check(ruleset, key)
    return found


# The first published rulesets' requirements, whose keys do not repeat.
CHECKS = checks_of("cst@1", "pst@1")
