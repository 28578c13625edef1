"""A serving process freezes its long-lived objects once warm, and a test app never does.

Each case runs in a process of its own: a frozen object stays out of every later
collection, which the test process itself must not be subjected to.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from trainerpath.settling import WARM_AFTER_REQUESTS

SERVE = textwrap.dedent(
    """
    import gc, json, secrets, sys
    from trainerpath import create_app, migrate

    app = create_app({
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": "sqlite:///" + sys.argv[1],
        "TESTING": sys.argv[2] == "testing",
    })
    migrate.upgrade(app.extensions["trainerpath.engine"])
    client = app.test_client()
    frozen, statuses = [], set()
    for _ in range(int(sys.argv[3])):
        response = client.get("/login")
        response.close()  # as a WSGI server does once the body is sent
        statuses.add(response.status_code)
        frozen.append(gc.get_freeze_count())
    print(json.dumps({"frozen": frozen, "statuses": sorted(statuses)}))
    """
)


def serve(tmp_path: Path, mode: str, requests: int) -> dict[str, list[int]]:
    """Answer ``requests`` logins in a fresh process; the frozen count after each."""
    done = subprocess.run(
        [sys.executable, "-c", SERVE, str(tmp_path / "app.db"), mode, str(requests)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: dict[str, list[int]] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_a_serving_app_freezes_once_warm_and_goes_on_answering(tmp_path: Path) -> None:
    served = serve(tmp_path, "serving", WARM_AFTER_REQUESTS + 20)

    frozen = served["frozen"]
    assert set(frozen[: WARM_AFTER_REQUESTS - 1]) == {0}
    assert frozen[WARM_AFTER_REQUESTS - 1] > 10_000  # the app, its modules and templates
    assert served["statuses"] == [200]


def test_an_app_in_testing_never_freezes(tmp_path: Path) -> None:
    served = serve(tmp_path, "testing", WARM_AFTER_REQUESTS + 20)

    assert set(served["frozen"]) == {0}
    assert served["statuses"] == [200]
