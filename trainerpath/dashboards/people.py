"""Finding a candidate by what someone typed into a candidate search box.

A search box replaces every list of all candidates: it sends text, the server finds
the candidates the viewer may see whose name or e-mail contains it (ignoring case, a
few at most), and ``choose_candidate`` decides whether the text names exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import queries
from trainerpath.bounds import parse_id
from trainerpath.dashboards.common import matches_name_or_email
from trainerpath.models import Role, User

SUGGESTIONS = 10  # the most candidates a search box suggests
MAX_SEARCH = 254  # longer text is cut (no name or e-mail is longer)


def _candidates(viewer: User) -> Select[User]:
    """Select the candidates ``viewer`` may see."""
    return select(User).where(
        col(User.role) == Role.CANDIDATE.value, queries.visible_to(viewer, col(User.id))
    )


def find_candidates(
    session: Session, viewer: User, text: str, limit: int = SUGGESTIONS
) -> list[User]:
    """Up to ``limit`` candidates ``viewer`` may see whose name or e-mail contains ``text``,
    by name (none for blank text)."""
    text = text.strip()[:MAX_SEARCH]
    if not text:
        return []
    stmt = _candidates(viewer).where(matches_name_or_email(text))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id)).limit(limit)).scalars())


@dataclass(frozen=True)
class CandidateChoice:
    """What a search box's text names: one candidate (``chosen``), or else the candidates
    it matches (``matches``: none, or several, at most SUGGESTIONS)."""

    text: str
    chosen: User | None = None
    matches: list[User] = field(default_factory=list)

    @property
    def several(self) -> bool:
        """Whether the text matches more than one candidate."""
        return len(self.matches) > 1


def choose_candidate(session: Session, viewer: User, text: str | None) -> CandidateChoice:
    """The candidate ``text`` names among those ``viewer`` may see: their id, their e-mail,
    or text that only they match; otherwise the few it matches."""
    text = (text or "").strip()[:MAX_SEARCH]
    if not text:
        return CandidateChoice("")
    exact = _candidates(viewer).where(col(User.email) == text.lower())  # stored lower-case
    number = parse_id(text)
    if number is not None:
        exact = _candidates(viewer).where(col(User.id) == number)
    chosen = session.execute(exact).scalar_one_or_none()
    if chosen is not None:
        return CandidateChoice(text, chosen)
    matches = find_candidates(session, viewer, text, SUGGESTIONS)
    if len(matches) == 1:
        return CandidateChoice(text, matches[0])
    return CandidateChoice(text, None, matches)
