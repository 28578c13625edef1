"""Sum the tests of a CI run: pytest's JUnit XML files and api_fuzz.py's counts.

Prints each file's counts, then the total as the last line, which is what the CI judge
reads: ``N passed, N failed, N skipped``. Errors count as failed; a file that does not
exist (its step did not run) counts nothing.

    python3 scripts/ci_summary.py artifacts/junit/*.xml artifacts/api_fuzz.json
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

OUTCOMES = ("passed", "failed", "skipped")
SEVERITY = ("passed", "skipped", "failed")
TAG_OUTCOMES = {"failure": "failed", "error": "failed", "skipped": "skipped"}


def junit_counts(path: Path) -> Counter[str]:
    """Count a JUnit XML file's tests by outcome; an error is a failure, each test counts once."""
    # pytest writes a second <testcase> for a test that failed and then errored in teardown.
    outcomes: dict[tuple[str | None, str | None], str] = {}
    for case in ET.parse(path).iter("testcase"):
        key = (case.get("classname"), case.get("name"))
        found = [TAG_OUTCOMES.get(child.tag, "passed") for child in case]
        outcomes[key] = max([*found, outcomes.get(key, "passed")], key=SEVERITY.index)
    return Counter(outcomes.values())


def json_counts(path: Path) -> Counter[str]:
    """Read a JSON object of counts by outcome, as api_fuzz.py --counts writes."""
    data = json.loads(path.read_text())
    return Counter({outcome: int(data.get(outcome, 0)) for outcome in OUTCOMES})


def summary(counts: Counter[str]) -> str:
    """Format counts as ``N passed, N failed, N skipped``."""
    return ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)


def main(names: list[str]) -> int:
    """Print each file's counts, then the total on the last line."""
    total: Counter[str] = Counter()
    for path in map(Path, names):
        if not path.exists():
            print(f"{path}: not run")
            continue
        counts = junit_counts(path) if path.suffix == ".xml" else json_counts(path)
        print(f"{path}: {summary(counts)}")
        total.update(counts)
    print(summary(total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
