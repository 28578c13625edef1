"""The pathway rulesets: states, events, guards and who may fire each event.

Nothing here imports Flask: the rules can be read, tested and printed on their own.
A newer version of a pathway is a new declarative ruleset added to RULESETS; existing
enrollments keep the version they started with.
"""

from .base import Ruleset
from .cst import CST_1
from .pst import PST_1
from .requirements import CHECKS, Facts, Population, Requirement

RULESETS: dict[str, Ruleset] = {ruleset.id: ruleset for ruleset in (CST_1, PST_1)}

# The version a new enrollment in each pathway follows.
CURRENT: dict[str, Ruleset] = {"cst": CST_1, "pst": PST_1}


def ruleset_for(ruleset_id: str) -> Ruleset:
    """Return the ruleset an enrollment records, e.g. ``cst@1``."""
    return RULESETS[ruleset_id]


__all__ = [
    "CHECKS",
    "CURRENT",
    "RULESETS",
    "Facts",
    "Population",
    "Requirement",
    "Ruleset",
    "ruleset_for",
]
