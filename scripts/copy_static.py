"""Copy the pinned npm front-end files into the package's static folder."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "trainerpath" / "static" / "vendor"
FILES = {
    "node_modules/htmx.org/dist/htmx.min.js": "htmx.min.js",
    "node_modules/@picocss/pico/css/pico.min.css": "pico.min.css",
}


def main() -> int:
    """Copy each file, failing loudly when npm has not installed it."""
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, target in FILES.items():
        path = ROOT / source
        if not path.is_file():
            print(f"copy_static: {source} is missing; run `npm ci` first", file=sys.stderr)
            return 1
        shutil.copyfile(path, VENDOR / target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
