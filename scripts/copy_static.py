"""Copy the pinned npm front-end files into the package's static folder.

Run after ``npm ci`` (``make setup`` does both). The wheel's build hook (hatch_build.py)
imports this module to do the same when the vendor folder is missing or stale, so a
wheel or an editable install made from a clean checkout carries htmx and Pico.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = Path("trainerpath", "static", "vendor")
# npm package: {file inside the package: name in the vendor folder}.
PACKAGES = {
    "htmx.org": {"dist/htmx.min.js": "htmx.min.js"},
    "@picocss/pico": {"css/pico.min.css": "pico.min.css"},
}
# Written last by copy(): the versions the vendor files were copied from.
STAMP = "versions.json"


class NotInstalled(Exception):
    """node_modules lacks a package, or holds another version than package-lock.json pins."""


def vendor_files() -> list[str]:
    """Name the files copy() puts in the vendor folder."""
    return [name for files in PACKAGES.values() for name in files.values()]


def pinned(root: Path = ROOT) -> dict[str, str]:
    """Read the version package-lock.json pins for each package."""
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in PACKAGES}


def installed(root: Path = ROOT) -> dict[str, str | None]:
    """Read the version of each package in node_modules (None when it is absent)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        manifest = root / "node_modules" / name / "package.json"
        versions[name] = (
            json.loads(manifest.read_text(encoding="utf-8"))["version"]
            if manifest.is_file()
            else None
        )
    return versions


def is_current(root: Path = ROOT) -> bool:
    """Whether every vendor file is there, copied from the versions package-lock.json pins."""
    vendor = root / VENDOR
    if not all((vendor / name).is_file() for name in vendor_files()):
        return False
    try:
        stamp = json.loads((vendor / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(stamp == pinned(root))


def copy(root: Path = ROOT) -> None:
    """Copy each file from node_modules, refusing when npm has not installed the pinned one."""
    want, have = pinned(root), installed(root)
    for name, version in want.items():
        if have[name] != version:
            found = "is missing" if have[name] is None else f"holds {have[name]}"
            raise NotInstalled(
                f"node_modules/{name} {found} but package-lock.json pins {version}; "
                "run `npm ci` first"
            )
    vendor = root / VENDOR
    vendor.mkdir(parents=True, exist_ok=True)
    (vendor / STAMP).unlink(missing_ok=True)
    for name, files in PACKAGES.items():
        for source, target in files.items():
            shutil.copyfile(root / "node_modules" / name / source, vendor / target)
    (vendor / STAMP).write_text(json.dumps(want, indent=2, sort_keys=True) + "\n")


def main() -> int:
    """Copy the files, failing loudly when npm has not installed them."""
    try:
        copy()
    except NotInstalled as error:
        print(f"copy_static: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
