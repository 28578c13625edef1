"""What measured a stored standing: a fingerprint of the code that measures and words it.

A standing is stored for the day it was measured, and read back all day. A deployment
that changes the rules, the measuring or a requirement's words must not leave the day's
standings as the old code measured them: each stored standing carries the fingerprint
of the code that measured it, and one with another fingerprint is measured again, as
one of another day is. The fingerprint is that of the source of this package, of the
wording of numbers it uses and of the module that stores standings, so any change to
them (and no other) measures afresh once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# The measuring and wording code: this package, the numbers' wording it uses, and the
# standings service that stores and summarises what it measures.
SOURCES = (
    *sorted(PACKAGE.glob("*.py")),
    PACKAGE.parent / "wording.py",
    PACKAGE.parent / "services" / "standings.py",
)
LENGTH = 16  # hex digits kept: enough that two versions never share one


def fingerprint(paths: tuple[Path, ...] = SOURCES) -> str:
    """The fingerprint of the source files at ``paths`` (their names and contents)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:LENGTH]


MEASURED_BY = fingerprint()
