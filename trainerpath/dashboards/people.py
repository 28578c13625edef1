"""Finding a person by what someone typed into a search box.

A search box replaces every list of all candidates (or all mentors): it sends text, the
server finds the people of that role the viewer may look up whose name or e-mail
contains it (ignoring case, a few at most), and ``choose_person`` decides whether the
text names exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import queries
from trainerpath.bounds import parse_id
from trainerpath.dashboards.common import matches_name_or_email
from trainerpath.models import Role, User

SUGGESTIONS = 10  # the most people a search box suggests
MAX_SEARCH = 254  # longer text is cut (no name or e-mail is longer)


def _findable(viewer: User, role: Role) -> ColumnElement[bool]:
    """Whom of ``role`` the viewer may look up: the candidates they may see; active
    mentors for admins only."""
    if role == Role.CANDIDATE:
        return queries.visible_to(viewer, col(User.id))
    if viewer.role == Role.ADMIN:
        return col(User.is_active).is_(True)
    return false() if role == Role.MENTOR else true()


def _people(viewer: User, role: Role) -> Select[User]:
    """Select the people of ``role`` that ``viewer`` may look up."""
    return select(User).where(col(User.role) == role.value, _findable(viewer, role))


def find_people(
    session: Session,
    viewer: User,
    text: str,
    role: Role = Role.CANDIDATE,
    limit: int = SUGGESTIONS,
) -> list[User]:
    """Up to ``limit`` people of ``role`` that ``viewer`` may look up whose name or e-mail
    contains ``text``, by name (none for blank text)."""
    text = text.strip()[:MAX_SEARCH]
    if not text:
        return []
    stmt = _people(viewer, role).where(matches_name_or_email(text))
    return list(session.execute(stmt.order_by(col(User.name), col(User.id)).limit(limit)).scalars())


@dataclass(frozen=True)
class PersonChoice:
    """What a search box's text names: one person (``chosen``), or else the people it
    matches (``matches``: none, or several, at most SUGGESTIONS)."""

    text: str
    chosen: User | None = None
    matches: list[User] = field(default_factory=list)

    @property
    def several(self) -> bool:
        """Whether the text matches more than one person."""
        return len(self.matches) > 1


def choose_person(
    session: Session, viewer: User, text: str | None, role: Role = Role.CANDIDATE
) -> PersonChoice:
    """The person of ``role`` that ``text`` names among those ``viewer`` may look up:
    their id, their e-mail, or text that only they match; otherwise the few it matches."""
    text = (text or "").strip()[:MAX_SEARCH]
    if not text:
        return PersonChoice("")
    exact = _people(viewer, role).where(col(User.email) == text.lower())  # stored lower-case
    number = parse_id(text)
    if number is not None:
        exact = _people(viewer, role).where(col(User.id) == number)
    chosen = session.execute(exact).scalar_one_or_none()
    if chosen is not None:
        return PersonChoice(text, chosen)
    matches = find_people(session, viewer, text, role)
    if len(matches) == 1:
        return PersonChoice(text, matches[0])
    return PersonChoice(text, None, matches)
