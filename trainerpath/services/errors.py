"""Typed refusals. Each carries the API's error code; web and API both render them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trainerpath.bounds import listed_errors
from trainerpath.pathways import Requirement


class Refusal(Exception):
    """A request that is refused and changes nothing."""

    code = "refused"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(Refusal):
    """No such object, or one the caller may not know exists."""

    code = "not_found"


class Forbidden(Refusal):
    """The caller's role may never do this."""

    code = "forbidden"


class InvalidState(Refusal):
    """Not possible in the object's current state."""

    code = "invalid_state"


class Conflict(Refusal):
    """A duplicate, or a concurrent change won the race."""

    code = "conflict"


class ValidationFailed(Refusal):
    """One or more fields are missing or invalid; ``details`` maps field to reason."""

    code = "validation_error"

    def __init__(self, errors: Mapping[str, str], message: str | None = None) -> None:
        # A body may name thousands of fields: list a few, each once, and count the rest.
        self.errors, self.more = listed_errors(errors)
        self.explicit = message is not None
        if message is None:
            message = "; ".join(f"{field}: {why}" for field, why in self.errors.items())
            message += f"; and {self.more} more" if self.more else ""
        super().__init__(message, self.errors)

    @property
    def summary(self) -> str:
        """The refusal in a sentence that names no field (``errors`` names them)."""
        total = len(self.errors) + self.more
        text = f"{total} field{' is' if total == 1 else 's are'} missing or invalid"
        if self.more:
            return f"{text}; the details say why for the first {len(self.errors)}."
        return f"{text}; the details say why."


class GuardUnmet(Refusal):
    """A guard of the event is unmet; ``requirements`` says which and by how much."""

    code = "guard_unmet"

    def __init__(self, unmet: Sequence[Requirement]) -> None:
        self.unmet = list(unmet)
        message = "Not yet: " + "; ".join(r.message for r in self.unmet) + "."
        super().__init__(
            message,
            {
                "unmet": [r.key for r in self.unmet],
                "requirements": [r.as_dict() for r in self.unmet],
            },
        )
