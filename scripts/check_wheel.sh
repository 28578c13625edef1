#!/usr/bin/env bash
# Build the wheel, install it in a fresh virtualenv outside the checkout, migrate, seed
# and serve it with gunicorn, then fetch a page and a static file: how it is deployed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
PORT="${PORT:-$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
GUNICORN_PID=""
cleanup() { [ -n "$GUNICORN_PID" ] && kill "$GUNICORN_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$ROOT/.venv/bin/pip" wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$ROOT"
WHEEL="$(ls "$WORK"/dist/trainerpath-*.whl)"
# List once: `zipfile -l | grep -q` would die of a broken pipe under pipefail.
"$PYTHON" -m zipfile -l "$WHEEL" > "$WORK/contents.txt"
for required in trainerpath/templates/base.html trainerpath/static/vendor/htmx.min.js \
                trainerpath/static/vendor/pico.min.css trainerpath/migrations/env.py; do
  grep -q "^$required " "$WORK/contents.txt" || { echo "wheel lacks $required" >&2; exit 1; }
done

"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet "$WHEEL"
cd "$WORK"  # nowhere near the checkout
export TRAINERPATH_SECRET_KEY="wheel-check-$RANDOM$RANDOM"
export TRAINERPATH_DATABASE_URL="sqlite:///$WORK/wheel.db"
"$WORK/venv/bin/trainerpath" init-db
"$WORK/venv/bin/trainerpath" seed-demo >/dev/null
"$WORK/venv/bin/gunicorn" --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
  'trainerpath:create_app()' &
GUNICORN_PID=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  sleep 0.2
done
for path in / /pathways/cst /static/vendor/htmx.min.js /static/vendor/pico.min.css; do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT$path" || { echo "wheel check: GET $path failed" >&2; exit 1; }
done
echo "wheel check: $(basename "$WHEEL") installs, migrates, seeds and serves pages and static files"
