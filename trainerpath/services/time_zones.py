"""Each user's time zone: the IANA names accepted, and choosing one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.orm import Session

from trainerpath.models import User

from . import audit
from .errors import ValidationFailed

UTC_NAME = "UTC"


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone a user may choose, sorted (the system's IANA database, legacy aliases
    such as "US/Eastern" and "Etc/GMT+5" left out)."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    }
    return tuple(sorted(names | {UTC_NAME}))


def local_day(moment: datetime, zone: str | None) -> date:
    """The calendar day a stored moment (UTC; naive ones are UTC) falls on in ``zone``
    (a user's time zone; UTC when they have none)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone or UTC_NAME)).date()


def is_zone(name: object) -> bool:
    """Whether ``name`` is a zone a user may choose."""
    return isinstance(name, str) and name in zone_names()


def set_time_zone(*, session: Session, user: User, name: object) -> None:
    """Show ``user`` times in zone ``name`` from now on."""
    if not is_zone(name):
        raise ValidationFailed({"time_zone": "must be a time zone such as Europe/Berlin"})
    assert isinstance(name, str)
    if user.time_zone == name:
        return
    user.time_zone = name
    audit.record(
        session,
        actor=user,
        candidate_id=None,
        action="user.time_zone",
        subject=f"users/{user.id}",
        detail=name,
    )
    session.flush()


def adopt_browser_zone(*, session: Session, user: User, name: object) -> bool:
    """On a login, take the browser's zone if the user has none yet (a bad name is
    ignored: it came from a script, not from the person). Whether it was taken."""
    if user.time_zone is not None or not is_zone(name):
        return False
    set_time_zone(session=session, user=user, name=name)
    return True
