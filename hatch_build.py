"""Hatch build hook: fill trainerpath/static/vendor (htmx, Pico) before a wheel is built.

The vendor folder is git-ignored, so a clean checkout or an sdist lacks it; without this
hook ``pip wheel .``, ``python -m build`` and ``pip install -e .`` would give an app whose
pages load without htmx and Pico. When the folder is missing or was copied from other
versions than package-lock.json pins, run ``npm ci`` and scripts/copy_static.py.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class VendorFilesMissing(Exception):
    """The vendor folder needs npm, and there is none."""


def load_copy_static(root: Path) -> ModuleType:
    """Import scripts/copy_static.py, which is no package."""
    spec = importlib.util.spec_from_file_location(
        "trainerpath_copy_static", root / "scripts" / "copy_static.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CustomBuildHook(BuildHookInterface):
    """Run ``npm ci`` and the copy when the vendor folder is missing or stale."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Fill the vendor folder for a standard or an editable wheel."""
        root = Path(self.root)
        copy_static = load_copy_static(root)
        if copy_static.is_current(root):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise VendorFilesMissing(
                f"trainerpath: building the {version} wheel needs npm to put htmx and Pico "
                f"in {copy_static.VENDOR} (missing or stale): install Node.js and npm, or "
                "run `npm ci && python scripts/copy_static.py` where npm is, then build again."
            )
        self.app.display_info("trainerpath: npm ci, then scripts/copy_static.py (htmx, Pico)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, check=True
        )
        copy_static.copy(root)
