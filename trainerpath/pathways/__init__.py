"""The pathway rulesets: states, events, requirements and who may fire each event.

Nothing here imports Flask: the rules can be read, tested and printed on their own.
A newer version of a pathway is one new module and one line in ``REGISTERED``; every
enrollment records the ruleset it follows, and existing enrollments keep theirs.
"""

from .base import Ruleset
from .cst import CST_1
from .cst_2024 import CST_2
from .measure import Population
from .pst import PST_1
from .pst_2024 import PST_2
from .vocabulary import Ageing, Forecast, Requirement, Window

# Every ruleset, oldest first per pathway; the last of each pathway is its current one.
REGISTERED: tuple[Ruleset, ...] = (CST_1, CST_2, PST_1, PST_2)

RULESETS: dict[str, Ruleset] = {ruleset.id: ruleset for ruleset in REGISTERED}

# The version a new enrollment in each pathway follows.
CURRENT: dict[str, Ruleset] = {ruleset.pathway: ruleset for ruleset in REGISTERED}


def ruleset_for(ruleset_id: str) -> Ruleset:
    """Return the ruleset an enrollment records, e.g. ``cst@1``."""
    return RULESETS[ruleset_id]


def rulesets_of(pathway: str) -> list[Ruleset]:
    """Every ruleset of ``pathway``, the current one first, then newest to oldest."""
    return sorted(
        (r for r in REGISTERED if r.pathway == pathway), key=lambda r: r.version, reverse=True
    )


def is_current(ruleset: Ruleset) -> bool:
    """Whether new enrollments in the ruleset's pathway follow it."""
    return CURRENT[ruleset.pathway] is ruleset


__all__ = [
    "CURRENT",
    "REGISTERED",
    "RULESETS",
    "Ageing",
    "Forecast",
    "Population",
    "Requirement",
    "Ruleset",
    "Window",
    "is_current",
    "ruleset_for",
    "rulesets_of",
]
