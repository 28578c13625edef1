"""Which day it is: the one place the app reads the calendar.

Windows, expiry, ageing and forecasts depend on today, and so does whether a stored
standing is still current; tests move the day by replacing ``today`` here.
"""

from __future__ import annotations

from datetime import date


def today() -> date:
    """Today's date on this server."""
    return date.today()
